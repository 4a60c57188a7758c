"""Demo activity for ``seed_demo``: the member programme and a few hundred orders in every state.

Without it a fresh demo shows empty member pages and an empty back office.
Everything goes through the same services a shopper and the staff use, so
the ledgers, stock movements and order events are real; only the dates are
spread over the last weeks afterwards, so lists and reports have a history.
Idempotent: members are looked up by email, and orders are only added up to
the wanted count of demo orders.
"""

import random
import uuid
from datetime import date, timedelta
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction

from members import services as member_services
from members.models import Address, MemberProfile, MemberTag, PointsEntry, Tier, TopUpBonusRule, WalletEntry

SEED = 7
DEMO_MEMBER_EMAIL = "member{:03d}@example.com"
DEMO_MEMBER_PASSWORD = "member12345"

TIERS = (
    # code, name, rank, threshold (12-month spend), discount %, points multiplier, free shipping from, birthday benefit
    ("regular", "普通会员", 0, "0", "0", "1.00", None, "生日当月积分双倍"),
    ("silver", "银卡会员", 1, "1000", "5", "1.20", "79", "生日当月 9 折券一张"),
    ("gold", "金卡会员", 2, "5000", "10", "1.50", "0", "生日礼盒 + 8 折券一张"),
)
TOP_UP_BONUS_RULES = (("200", "20"), ("500", "60"), ("1000", "150"))
TAGS = ("咖啡爱好者", "母婴家庭", "生鲜常客", "周末采购")

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = ("小满", "晓雯", "子轩", "欣怡", "浩然", "梓涵", "一鸣", "雨桐", "俊杰", "思琪", "明轩", "佳怡")
DISTRICTS = (
    ("上海市", "上海市", "徐汇区", "漕溪北路 {n} 号"),
    ("上海市", "上海市", "浦东新区", "张杨路 {n} 弄"),
    ("上海市", "上海市", "静安区", "南京西路 {n} 号"),
    ("浙江省", "杭州市", "西湖区", "文三路 {n} 号"),
    ("江苏省", "苏州市", "姑苏区", "人民路 {n} 号"),
)


def seed_member_programme(*, members: int = 40) -> list[int]:
    """Tiers, top-up bonus rules, tags and ``members`` demo members with points, stored value and addresses.

    Returns the demo members' user ids (existing ones included), in a stable order.
    """
    with transaction.atomic():
        for code, name, rank, threshold, discount, multiplier, free_over, benefit in TIERS:
            Tier.objects.get_or_create(
                code=code,
                defaults={
                    "name": name, "rank": rank, "threshold": Decimal(threshold), "discount_percent": Decimal(discount),
                    "points_multiplier": Decimal(multiplier),
                    "free_shipping_over": Decimal(free_over) if free_over is not None else None,
                    "birthday_benefit": benefit,
                },
            )
        for pay, bonus in TOP_UP_BONUS_RULES:
            TopUpBonusRule.objects.get_or_create(pay_at_least=Decimal(pay), defaults={"bonus": Decimal(bonus)})
        tags = [MemberTag.objects.get_or_create(name=name)[0] for name in TAGS]

    rng = random.Random(SEED)
    User = get_user_model()
    user_ids = []
    for index in range(1, members + 1):
        email = DEMO_MEMBER_EMAIL.format(index)
        name = rng.choice(SURNAMES) + rng.choice(GIVEN)
        phone = f"139{index:08d}"
        birthday = date(1970 + rng.randrange(35), rng.randrange(1, 13), rng.randrange(1, 29))
        user = User.objects.filter(email__iexact=email).first()
        if user is not None:
            user_ids.append(user.pk)
            continue
        with transaction.atomic():
            user = User(username=email.split("@")[0], email=email, first_name=name)
            user.set_password(DEMO_MEMBER_PASSWORD)
            user.save()
            EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
            member = member_services.ensure_member(user=user)
            MemberProfile.objects.filter(pk=member.pk).update(
                phone=phone, birthday=birthday, gender=rng.choice(["female", "male", ""]),
                marketing_consent=rng.random() < 0.7,
            )
            member.tags.add(*rng.sample(tags, rng.randrange(0, 3)))
            province, city, district, street = rng.choice(DISTRICTS)
            member_services.save_address(address=Address(
                user=user, recipient=name, phone=phone, province=province, city=city, district=district,
                detail=street.format(n=rng.randrange(1, 999)), is_default=True,
            ))
            if rng.random() < 0.6:
                member_services.staff_adjust_points(
                    user_id=user.pk, change=rng.randrange(200, 5000), reason="开卡礼积分（演示数据）", by=None
                )
            if rng.random() < 0.5:
                member_services.staff_top_up_wallet(
                    user_id=user.pk, amount=Decimal(rng.choice(["200.00", "300.00", "500.00", "1000.00"])),
                    reason="门店储值（演示数据）", by=None,
                )
        user_ids.append(user.pk)
    return user_ids


def demo_member_ids() -> list[int]:
    """The demo members' user ids, oldest first."""
    return list(
        get_user_model().objects.filter(email__regex=r"^member[0-9]{3}@example\.com$").order_by("pk").values_list("pk", flat=True)
    )


def ledger_summary() -> dict[str, int]:
    """How many ledger rows the demo holds (for the seed summary)."""
    return {"points": PointsEntry.objects.count(), "wallet": WalletEntry.objects.count()}


def _spread(days: int, rng: random.Random) -> timedelta:
    return timedelta(days=rng.randrange(days), hours=rng.randrange(24), minutes=rng.randrange(60))


# Where each demo order ends up: (final state, fulfilment, payment method, weight).
ORDER_PLAN = (
    ("pending_payment", "delivery", "online", 6),
    ("pending_payment", "delivery", "bank_transfer", 4),
    ("placed", "delivery", "cod", 4),
    ("paid", "delivery", "online", 10),
    ("paid", "pickup", "online", 4),
    ("shipped", "delivery", "online", 10),
    ("shipped", "delivery", "cod", 4),
    ("ready_for_pickup", "pickup", "online", 6),
    ("completed", "delivery", "online", 22),
    ("completed", "delivery", "cod", 6),
    ("completed", "pickup", "online", 10),
    ("cancelled", "delivery", "online", 6),
    ("refused", "delivery", "cod", 3),
    ("refund_cancelled", "delivery", "online", 3),
    ("refunded", "delivery", "online", 3),
    ("part_refunded", "delivery", "online", 4),
)
CARRIERS = ("顺丰速运", "中通快递", "京东物流", "圆通速递")


def seed_orders(*, wanted: int = 240) -> int:
    """Add demo orders by demo members until there are ``wanted`` of them; returns how many were added.

    Each order is placed with ``place_order`` and moved by the workflow as
    the shopper, the payment gateway and head office would; its dates are
    then spread over the last 60 days (unpaid ones stay recent so they do
    not expire at once).
    """
    from orders.models import Order

    members = demo_member_ids()
    if not members:
        return 0
    shopper = get_user_model().objects.filter(email__iexact="shopper@example.com").values_list("pk", flat=True).first()
    if shopper is not None:
        members.append(shopper)  # the printed demo login has a history too
    existing = Order.objects.filter(user_id__in=members).count()
    rng = random.Random(SEED + existing)
    hq = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    # Every state once first, so even a small demo shows each of them; then by weight.
    plans = list(ORDER_PLAN) + [plan for plan in ORDER_PLAN for _ in range(plan[3])]
    added = 0
    for index in range(existing, wanted):
        state, fulfilment, method, _weight = plans[index % len(plans)]
        user_id = members[rng.randrange(len(members))]
        # Some pay partly from stored value; never the ones meant to stay unpaid.
        use_wallet = state not in ("pending_payment", "placed", "cancelled") and rng.random() < 0.15
        order = _place_demo_order(rng, user_id=user_id, fulfilment=fulfilment, method=method, use_wallet=use_wallet)
        if order is None:
            continue
        _drive(order, state, hq=hq, rng=rng)
        if state not in ("pending_payment", "placed"):
            _backdate(order.pk, _spread(60, rng) + timedelta(days=1))
        added += 1
    return added


def _place_demo_order(rng: random.Random, *, user_id: int, fulfilment: str, method: str, use_wallet: bool):
    from catalog.models import visible_product
    from orders.exceptions import OrderError
    from orders.models import CartLine, Order
    from orders.selectors import shipping_methods_for
    from orders.services import CheckoutChoice, add_to_cart, place_order
    from orders.services.cart import MemberCart
    from stores.exceptions import StockError
    from stores.models import Stock, Store

    user = get_user_model().objects.get(pk=user_id)
    address = Address.objects.filter(user=user, is_default=True).first()
    if fulfilment == Order.Fulfilment.PICKUP:
        store = rng.choice(list(Store.objects.filter(is_active=True, is_pickup_enabled=True, kind=Store.Kind.STORE)))
    else:
        store = None
    rows = Stock.objects.filter(
        visible_product("variant__product__"),
        store__is_active=True, variant__is_active=True, on_hand__gte=10,
        **({"store": store} if store else {"store__is_delivery_source": True}),
    ).values_list("variant_id", flat=True)
    variant_ids = list(rows.order_by("?")[:3]) if rows.exists() else []
    if not variant_ids:
        return None
    cart = MemberCart(user)
    try:
        for variant_id in variant_ids[: rng.randrange(1, 4)]:
            add_to_cart(cart=cart, variant_id=variant_id, quantity=rng.randrange(1, 3))
        methods = shipping_methods_for(address.province) if address else []
        choice = CheckoutChoice(
            fulfilment=fulfilment,
            payment_method=method,
            address=address if fulfilment == Order.Fulfilment.DELIVERY else None,
            pickup_store=store,
            shipping_method=methods[0] if methods and fulfilment == Order.Fulfilment.DELIVERY else None,
            contact_name=address.recipient if address else user.first_name or "顾客",
            contact_phone=address.phone if address else "13900000000",
            use_wallet=use_wallet,
        )
        return place_order(user_id=user_id, token=uuid.uuid4(), choice=choice, expected_total=None)
    except (OrderError, StockError):
        # Sold out or no shipping to this address: leave no half-filled cart behind.
        CartLine.objects.filter(cart__user_id=user_id).delete()
        return None


def _drive(order, state: str, *, hq, rng: random.Random) -> None:
    """Move a fresh order to ``state`` through the workflow and the payment and refund services."""
    from orders import workflow
    from orders.models import Order
    from orders.services import confirm_bank_transfer, record_payment, refund_order

    staff = workflow.Actor(kind=workflow.ActorKind.HQ, user=hq)
    shopper = workflow.Actor.shopper(order.user)

    def move(action, **data):
        workflow.move_order(order_id=order.pk, action=action, actor=data.pop("actor", staff), **data)

    def pay():
        order.refresh_from_db()
        if order.status != Order.Status.PENDING_PAYMENT:
            return  # paid in full from stored value at checkout
        if order.payment_method == Order.PaymentMethod.BANK_TRANSFER:
            confirm_bank_transfer(order_id=order.pk, reference=f"DEMO-{order.number}", by=hq)
        else:
            record_payment(
                order_number=order.number, provider="gateway", amount=order.amount_due,
                currency=order.currency, transaction_id=f"demo-{order.number}",
            )

    def ship():
        move("ship", carrier=rng.choice(CARRIERS), tracking_number=f"SF{rng.randrange(10**11, 10**12)}")

    if state in ("pending_payment", "placed"):
        return
    if state == "cancelled":
        move("cancel", actor=shopper if rng.random() < 0.5 else workflow.Actor.system(),
             note="未按时支付" if rng.random() < 0.5 else "")
        return
    if order.payment_method != Order.PaymentMethod.CASH_ON_DELIVERY:
        pay()
    if state == "refund_cancelled":
        refund_order(order_id=order.pk, by=hq, reason="顾客不想要了", key=f"demo-{order.number}")
        return
    if state == "paid":
        return
    if order.fulfilment == Order.Fulfilment.PICKUP:
        move("ready_for_pickup")
        if state == "completed":
            order.refresh_from_db(fields=["pickup_code"])
            move("hand_over", pickup_code=order.pickup_code)
        return
    ship()
    if state == "shipped":
        return
    if state == "refused":
        move("refuse_delivery", note="顾客拒收")
        return
    if order.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY:
        move("complete_delivery", note="快递员已代收货款")
    else:
        move("confirm_receipt", actor=shopper)
    if state == "refunded":
        refund_order(order_id=order.pk, by=hq, reason="商品质量问题，全额退款", key=f"demo-{order.number}")
    elif state == "part_refunded":
        line = order.lines.order_by("pk").first()
        refund_order(
            order_id=order.pk, by=hq, reason="退回一件", key=f"demo-{order.number}",
            quantities={line.pk: 1}, restock=True,
        )


def _backdate(order_id: int, by: timedelta) -> None:
    """Move an order's history ``by`` into the past, as if it had happened then."""
    from django.db.models import F

    from orders.models import Order, OrderEvent

    dated = ["placed_at", "paid_at", "shipped_at", "ready_at", "completed_at", "cancelled_at", "counted_at"]
    order = Order.objects.filter(pk=order_id)
    order.update(**{name: F(name) - by for name in dated})
    OrderEvent.objects.filter(order_id=order_id).update(created_at=F("created_at") - by)


# The promotions the home page's banners announce (shop/demo_data.py ANNOUNCEMENTS), so checkout keeps them.
PROMOTION_DAYS = 365
MEMBER_DAY_WEEKDAY = 2  # Wednesday, in the shop's time zone (Asia/Shanghai)


def seed_promotions() -> list[int]:
    """全场满199减20 and 会员日每周三 生鲜果蔬 9 折 积分双倍, running for a year; idempotent (looked up by name).

    The member day is for every tier (members, not guests) and covers the
    fresh-food category with its subcategories. Returns the promotions' ids.
    """
    from django.utils import timezone

    from catalog.models import Category
    from marketing.models import Promotion, PromotionThreshold

    now = timezone.now()
    window = {"starts_at": now - timedelta(days=1), "ends_at": now + timedelta(days=PROMOTION_DAYS)}
    with transaction.atomic():
        threshold, created = Promotion.objects.get_or_create(
            name="全场满199减20",
            defaults={"kind": Promotion.Kind.THRESHOLD, "badge": "满减", "applies_to_all": True, **window},
        )
        if created:
            PromotionThreshold.objects.create(promotion=threshold, threshold=Decimal("199"), discount=Decimal("20"))
        member_day, created = Promotion.objects.get_or_create(
            name="会员日 生鲜果蔬 9 折 积分双倍",
            defaults={
                "kind": Promotion.Kind.MEMBER_DAY, "badge": "会员日", "applies_to_all": False,
                "weekday": MEMBER_DAY_WEEKDAY, "percent": Decimal("10"), "points_multiplier": Decimal("2"),
                "priority": 50, **window,
            },
        )
        if created:
            member_day.categories.set(Category.objects.filter(slug="fresh"))
            member_day.tiers.set(Tier.objects.all())
    return [threshold.pk, member_day.pk]
