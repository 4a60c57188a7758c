"""Promotions from the database to the order: live table, checkout, gifts, member day points, campaign figures."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.live_promotions import LivePromotion, PromotionTable, card_offer, promotion_rules_for, promotion_table
from marketing.models import Promotion, PromotionThreshold, PromotionUse
from marketing.services.promotions import campaign_figures, set_promotions_active
from members import services as member_services
from members.models import MemberProfile, PointsEntry, Tier
from orders.models import Order
from orders.services import cancel_order, confirm_receipt, record_payment, ship_order
from orders.services.membership import on_order_completed
from stores.models import Stock
from tests.factories import BrandFactory, CategoryFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db
D = Decimal


def promotion(kind, *, steps=(), **fields) -> Promotion:
    now = timezone.now()
    fields.setdefault("name", "满199减20")
    fields.setdefault("starts_at", now - timedelta(days=1))
    fields.setdefault("ends_at", now + timedelta(days=7))
    scope = {name: fields.pop(name) for name in ("categories", "brands", "products", "variants", "excluded_products",
                                                  "tiers") if name in fields}
    created = Promotion.objects.create(kind=kind, **fields)
    for threshold, discount in steps:
        PromotionThreshold.objects.create(promotion=created, threshold=D(threshold), discount=D(discount))
    for name, values in scope.items():
        getattr(created, name).set(values)
    return created


def tiered(**fields):
    return promotion(Promotion.Kind.THRESHOLD, steps=(("199", "20"), ("299", "40")), **fields)


@pytest.fixture
def apples(warehouse):
    return stocked_variant(store=warehouse, on_hand=50, price=D("100.00"))


def test_a_threshold_reduction_applies_at_checkout_and_is_allocated_to_the_lines(shopper, warehouse, address, express, apples):
    pears = stocked_variant(store=warehouse, on_hand=10, price=D("50.00"))
    campaign = tiered()

    order = buy(shopper, [(apples, 2), (pears, 1)], delivery_choice(address, express))

    adjustment = order.adjustments.get(kind="promotion")
    assert (adjustment.amount, adjustment.reference) == (D("-20.00"), f"promotion:{campaign.pk}")
    assert [line.net_total for line in order.lines.order_by("id")] == [D("184.00"), D("46.00")]
    assert order.total == D("230.00")
    use = PromotionUse.objects.get(promotion=campaign)
    assert (use.order_number, use.discount, use.order_total, use.is_cancelled) == (order.number, D("20.00"), D("230.00"), False)


def test_campaign_figures_count_orders_discount_and_revenue_and_leave_out_cancelled_orders(shopper, address, express, apples):
    campaign = tiered()
    kept = buy(shopper, [(apples, 3)], delivery_choice(address, express))
    cancelled = buy(shopper, [(apples, 2)], delivery_choice(address, express))

    cancel_order(order_id=cancelled.pk)

    assert PromotionUse.objects.get(order_number=cancelled.number).is_cancelled
    assert campaign_figures([campaign.pk])[campaign.pk] == {
        "orders": 1, "discount": D("40.00"), "revenue": kept.total, "cancelled": 1,
    }


def test_a_promotion_on_a_category_covers_its_subcategories_and_not_other_goods(shopper, warehouse, address, express):
    fresh = CategoryFactory(slug="fresh")
    fruit = CategoryFactory(slug="fruit", parent=fresh)
    covered = stocked_variant(store=warehouse, price=D("100.00"), category=fruit)
    other = stocked_variant(store=warehouse, price=D("100.00"))
    campaign = promotion(Promotion.Kind.PERCENT, name="生鲜 8 折", percent=D("20"), applies_to_all=False, categories=[fresh])

    order = buy(shopper, [(covered, 1), (other, 1)], delivery_choice(address, express))

    assert [line.discount for line in order.lines.order_by("id")] == [D("20.00"), D("0.00")]
    assert order.adjustments.get(kind="promotion").reference == f"promotion:{campaign.pk}"


def test_a_brand_promotion_with_an_excluded_product_leaves_that_product_alone(warehouse):
    brand = BrandFactory()
    covered = stocked_variant(store=warehouse, brand=brand)
    excluded = stocked_variant(store=warehouse, brand=brand)
    promotion(Promotion.Kind.PERCENT, percent=D("10"), applies_to_all=False, brands=[brand],
              excluded_products=[excluded.product])

    rules = promotion_rules_for([covered, excluded], tier_id=None)

    assert [rule.variant_ids for rule in rules] == [frozenset({covered.pk})]


def test_a_promotion_outside_its_window_or_switched_off_does_not_apply(apples):
    now = timezone.now()
    tiered(starts_at=now + timedelta(hours=1), ends_at=now + timedelta(days=1))
    off = tiered(is_active=True)
    set_promotions_active(promotion_ids=[off.pk], is_active=False)

    assert promotion_rules_for([apples], tier_id=None) == ()
    assert len(promotion_rules_for([apples], tier_id=None, at=now + timedelta(hours=2))) == 1


def test_member_day_runs_on_its_weekday_in_shanghai_for_its_tiers_only(apples):
    gold = Tier.objects.create(name="金卡", code="gold", rank=3)
    wednesday = timezone.make_aware(timezone.datetime(2026, 12, 2, 0, 30))  # 00:30 in Shanghai, Tuesday in UTC
    promotion(Promotion.Kind.MEMBER_DAY, name="会员日", weekday=2, percent=D("10"), points_multiplier=D("2"),
              tiers=[gold], starts_at=wednesday - timedelta(days=30), ends_at=wednesday + timedelta(days=30))

    assert len(promotion_rules_for([apples], tier_id=gold.pk, at=wednesday)) == 1
    assert promotion_rules_for([apples], tier_id=None, at=wednesday) == ()
    assert promotion_rules_for([apples], tier_id=gold.pk, at=wednesday + timedelta(days=1)) == ()


def test_a_member_day_order_earns_its_points_multiplier_when_it_is_counted(shopper, address, express, apples, admin_user):
    member_services.ensure_member(user=shopper)
    promotion(Promotion.Kind.MEMBER_DAY, name="会员日 积分双倍", weekday=timezone.localtime().weekday(),
              percent=D("10"), points_multiplier=D("2"))

    order = buy(shopper, [(apples, 2)], delivery_choice(address, express))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY", transaction_id="M1")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)
    confirm_receipt(order_id=order.pk, user=shopper)
    on_order_completed(order_id=order.pk)

    assert order.total == D("180.00")
    member = MemberProfile.objects.get(user=shopper)
    assert PointsEntry.objects.get(member=member, kind="earn").change == 360  # ¥180 × 1 point × 2


def test_a_gift_with_purchase_is_a_free_order_line_that_reserves_its_own_stock(shopper, warehouse, address, express, apples):
    bag = stocked_variant(store=warehouse, on_hand=3, price=D("15.00"), name="帆布袋")
    promotion(Promotion.Kind.GIFT, name="满100送帆布袋", threshold=D("100"), gift_variant=bag, gift_quantity=1)

    order = buy(shopper, [(apples, 1)], delivery_choice(address, express))

    gift_line = order.lines.get(variant=bag)
    assert (gift_line.unit_price, gift_line.line_total, gift_line.net_total) == (D("0.00"), D("0.00"), D("0.00"))
    assert Stock.objects.get(store=warehouse, variant=bag).reserved == 1
    cancel_order(order_id=order.pk)
    assert Stock.objects.get(store=warehouse, variant=bag).reserved == 0


def test_a_gift_out_of_stock_is_said_on_the_order_and_the_order_still_goes(shopper, warehouse, address, express, apples):
    bag = stocked_variant(store=warehouse, on_hand=0, price=D("15.00"), name="帆布袋")
    promotion(Promotion.Kind.GIFT, name="满100送帆布袋", threshold=D("100"), gift_variant=bag)

    order = buy(shopper, [(apples, 1)], delivery_choice(address, express))

    assert order.status == Order.Status.PENDING_PAYMENT
    assert not order.lines.filter(variant=bag).exists()
    assert order.adjustments.get(kind="promotion").params["gift_in_stock"] == 0


def test_a_gift_the_shipping_store_lacks_is_dropped_under_the_lock_and_the_goods_still_go(
    shopper, warehouse, store, address, express, apples
):
    bag = stocked_variant(store=store, on_hand=5, price=D("15.00"), name="帆布袋")  # only in a shop, not the warehouse
    promotion(Promotion.Kind.GIFT, name="满100送帆布袋", threshold=D("100"), gift_variant=bag)

    order = buy(shopper, [(apples, 1)], delivery_choice(address, express))

    assert order.store == warehouse and Stock.objects.get(store=warehouse, variant=apples).reserved == 1
    assert not order.lines.filter(variant=bag).exists()
    assert order.adjustments.get(kind="promotion").params["gift_in_stock"] == 0
    assert Stock.objects.get(store=store, variant=bag).reserved == 0


def test_product_cards_show_the_promotional_price_and_badge_from_the_table_without_queries(warehouse, django_assert_num_queries):
    brand = BrandFactory()
    variant = stocked_variant(store=warehouse, price=D("50.00"), brand=brand)
    promotion(Promotion.Kind.PERCENT, name="品牌 8 折", badge="限时折扣", percent=D("20"), applies_to_all=False, brands=[brand])
    tiered(badge="")
    product = variant.product
    promotion_table()  # loaded once per catalogue version

    with django_assert_num_queries(0):
        offer = card_offer(product)

    assert offer.price == D("40.00")
    assert offer.badges[0] == "限时折扣" and len(offer.badges) == 2


def test_saving_a_promotion_moves_the_table_on_at_once(apples):
    assert promotion_table().promotions == []

    campaign = tiered()
    assert [live.rule.promotion_id for live in promotion_table().promotions] == [campaign.pk]

    campaign.delete()
    assert promotion_table().promotions == []


def test_the_promotion_table_answers_each_moment_afresh_though_it_keeps_its_last_answer():
    now = timezone.now()
    ending = LivePromotion(rule=None, badge="满减", starts_at=now - timedelta(hours=1), ends_at=now + timedelta(minutes=1),
                           weekday=None, tier_ids=frozenset({7}), applies_to_all=True)
    table = PromotionTable([ending])

    assert table.running(now, members_only_too=True) == [ending]
    assert table.running(now, members_only_too=True) == [ending]  # the kept answer
    assert table.running(now) == []  # tier-only, and no tier asked for
    assert table.running(now, tier_id=7) == [ending]
    assert table.running(now + timedelta(minutes=2), members_only_too=True) == []
