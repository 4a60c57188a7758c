"""Orders and the member programme: tier discount, points, stored value, referrals, privacy."""

import json
import time
import uuid
from decimal import Decimal

import pytest
from django.test import Client

from members import services as member_services
from members.exceptions import MemberError
from members.models import MemberProfile, PointsEntry, ReferralReward, Tier, TopUpBonusRule, WalletEntry
from orders.models import Order
from orders.payments import SIGNATURE_HEADER, sign
from orders.services import cancel_order, confirm_receipt, record_payment, refund_order, ship_order
from orders.services.membership import anonymise_orders_for_member, export_orders_for_member, on_order_completed
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def tiers(db):
    return {
        "normal": Tier.objects.create(name="普通", code="normal", rank=1),
        "gold": Tier.objects.create(
            name="金卡", code="gold", rank=3, threshold=Decimal("500"), discount_percent=Decimal("5"),
            points_multiplier=Decimal("2"), free_shipping_over=Decimal("49"),
        ),
    }


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=50, price=Decimal("100.00"))


def fund(user, amount):
    return member_services.staff_top_up_wallet(user_id=user.pk, amount=Decimal(amount), reason="测试充值", by=None)


def test_the_tier_discount_is_a_line_on_the_order(shopper, tiers, variant, address, express):
    member = member_services.ensure_member(user=shopper)
    member.tier = tiers["gold"]
    member.save()

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    tier_line = order.adjustments.get(kind="tier")
    assert tier_line.amount == Decimal("-5.00") and "金卡" in tier_line.label
    assert order.total == Decimal("95.00")  # gold members ship free from ¥49


def test_points_are_spent_at_checkout_and_given_back_if_the_order_is_cancelled(shopper, variant, address, express):
    member_services.ensure_member(user=shopper)
    member_services.staff_adjust_points(user_id=shopper.pk, change=3000, reason="迁移积分", by=None)

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, points_to_use=2000))

    assert order.points_used == 2000 and order.adjustments.get(kind="points").amount == Decimal("-20.00")
    assert MemberProfile.objects.get(user=shopper).points_balance == 1000
    cancel_order(order_id=order.pk)
    assert MemberProfile.objects.get(user=shopper).points_balance == 3000


def test_the_wallet_pays_part_and_the_gateway_collects_the_rest(shopper, variant, address, express):
    member_services.ensure_member(user=shopper)
    fund(shopper, "60.00")

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, use_wallet=True))

    assert (order.total, order.wallet_amount, order.amount_due) == (Decimal("100.00"), Decimal("60.00"), Decimal("40.00"))
    assert MemberProfile.objects.get(user=shopper).wallet_balance == 0
    with pytest.raises(Exception):
        record_payment(order_number=order.number, provider="gateway", amount=Decimal("100.00"), currency="CNY", transaction_id="X1")
    record_payment(order_number=order.number, provider="gateway", amount=Decimal("40.00"), currency="CNY", transaction_id="X2")
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_an_order_the_wallet_covers_is_paid_at_once(shopper, variant, address, express):
    member_services.ensure_member(user=shopper)
    fund(shopper, "500.00")

    order = buy(shopper, [(variant, 2)], delivery_choice(address, express, use_wallet=True))

    assert order.status == Order.Status.PAID and order.amount_due == 0
    assert MemberProfile.objects.get(user=shopper).wallet_balance == Decimal("300.00")


def test_the_wallet_refuses_a_payment_it_does_not_cover_and_keeps_its_balance(shopper):
    member = member_services.ensure_member(user=shopper)
    fund(shopper, "50.00")
    member_services.pay_from_wallet(user_id=shopper.pk, amount=Decimal("30.00"), reference="elsewhere")

    with pytest.raises(MemberError):
        member_services.pay_from_wallet(user_id=shopper.pk, amount=Decimal("30.00"), reference="again")
    assert MemberProfile.objects.get(pk=member.pk).wallet_balance == Decimal("20.00")


def test_refunding_a_wallet_paid_order_returns_the_money_to_the_wallet(shopper, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    fund(shopper, "60.00")
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, use_wallet=True))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY", transaction_id="G1")

    refund_order(order_id=order.pk, by=admin_user, reason="缺货")

    assert MemberProfile.objects.get(user=shopper).wallet_balance == Decimal("60.00")
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.wallet_refunded == Decimal("60.00")


def test_a_completed_order_earns_points_once_upgrades_the_tier_and_counts_the_spend(shopper, tiers, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    order = buy(shopper, [(variant, 6)], delivery_choice(address, express))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY", transaction_id="G2")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)
    confirm_receipt(order_id=order.pk, user=shopper)

    on_order_completed(order_id=order.pk)
    on_order_completed(order_id=order.pk)  # the task ran twice

    member = MemberProfile.objects.get(user=shopper)
    assert member.points_balance == 600  # ¥600 × 1 point (the tier changes after earning)
    assert PointsEntry.objects.filter(member=member, kind="earn").count() == 1
    assert member.tier == tiers["gold"] and member.total_spend == Decimal("600.00")
    assert member.tier_changes.first().reason.endswith("completed") or order.number in member.tier_changes.first().reason


def test_a_refund_after_completion_takes_back_the_points_earned_on_it(shopper, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY", transaction_id="G3")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF2", by=admin_user)
    confirm_receipt(order_id=order.pk, user=shopper)
    on_order_completed(order_id=order.pk)

    refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={order.lines.get().pk: 1})

    member = MemberProfile.objects.get(user=shopper)
    assert member.points_balance == 100  # 200 earned, half of the money refunded
    assert member.total_spend == Decimal("100.00")


def test_the_inviter_and_the_invitee_are_rewarded_once_on_the_first_completed_order(shopper, variant, address, express, admin_user, django_user_model):
    inviter = django_user_model.objects.create_user(username="inviter", email="inviter@example.com", password="x")
    code = member_services.ensure_member(user=inviter).referral_code
    member_services.ensure_member(user=shopper)
    assert member_services.attach_referrer(user=shopper, code=code)

    for n in range(2):
        order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
        record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY", transaction_id=f"R{n}")
        ship_order(order_id=order.pk, carrier="顺丰", tracking_number=f"SF{n}", by=admin_user)
        confirm_receipt(order_id=order.pk, user=shopper)
        on_order_completed(order_id=order.pk)

    assert ReferralReward.objects.count() == 1
    assert PointsEntry.objects.filter(kind="referral").count() == 2


def test_a_top_up_paid_on_the_gateway_credits_the_wallet_with_its_bonus_once(shopper):
    member_services.ensure_member(user=shopper)
    TopUpBonusRule.objects.create(pay_at_least=Decimal("500"), bonus=Decimal("50"))
    top_up = member_services.start_top_up(user_id=shopper.pk, amount=Decimal("500.00"))
    body = json.dumps(
        {"order_number": top_up.number, "amount": "500.00", "currency": "CNY", "transaction_id": "SIMTOPUP1", "timestamp": int(time.time())}
    ).encode()

    for _ in range(3):
        response = Client().post("/payments/gateway/callback/", body, content_type="application/json", **{f"HTTP_{SIGNATURE_HEADER.upper().replace('-', '_')}": sign(body)})
        assert response.status_code == 200

    member = MemberProfile.objects.get(user=shopper)
    assert member.wallet_balance == Decimal("550.00")
    assert WalletEntry.objects.filter(member=member).count() == 2


def test_the_top_up_page_sends_the_member_to_the_gateway(client, shopper):
    client.force_login(shopper)

    response = client.post("/wallet/top-up/", {"amount": "200"})

    assert response.status_code == 302 and response["Location"].startswith("/gateway/pay/TU")
    assert client.get(response["Location"]).status_code == 200
    assert client.post("/wallet/top-up/", {"amount": "-5"}).status_code == 200  # a form error, not a redirect


def test_the_privacy_export_includes_orders_and_erasure_blanks_their_personal_details(shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    # Erasure waits for orders still to be delivered (tests/members/test_erasure.py): this one is.
    Order.objects.filter(pk=order.pk).update(status=Order.Status.COMPLETED)

    exported = export_orders_for_member(shopper)
    anonymise_orders_for_member(shopper)

    assert exported["orders"][0]["number"] == order.number and exported["orders"][0]["phone"] == address.phone
    order.refresh_from_db()
    assert (order.phone, order.address_detail, order.total) == ("", "", Decimal("100.00"))  # free shipping from ¥99


def test_checkout_shows_the_members_points_and_wallet(client, shopper, variant, address, express):
    member_services.ensure_member(user=shopper)
    fund(shopper, "30.00")
    member_services.staff_adjust_points(user_id=shopper.pk, change=500, reason="活动", by=None)
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})

    form = client.get("/checkout/").context["form"]
    response = client.post("/checkout/", {
        "fulfilment": "delivery", "address": address.pk, "shipping_method": express.pk, "payment_method": "online",
        "points_to_use": "500", "use_wallet": "on", "token": str(uuid.uuid4()), "update": "1",
    })

    priced = response.context["priced"]
    assert priced.points_used == 500 and priced.wallet_amount == Decimal("30.00")
    # ¥100 of goods ships free (from ¥99); 500 points take off ¥5; the wallet pays ¥30.
    assert priced.amount_due == Decimal("100.00") - Decimal("5.00") - Decimal("30.00")
    assert form is not None


def test_the_cart_shows_the_members_tier_discount_as_its_own_line(client, shopper, tiers, variant):
    member = member_services.ensure_member(user=shopper)
    member.tier = tiers["gold"]
    member.save()
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 2})

    response = client.get("/cart/")

    priced = response.context["priced"]
    assert [(a.kind, a.amount) for a in priced.adjustments] == [("tier", Decimal("-10.00"))]
    assert "金卡" in response.content.decode() and "¥190.00" in response.content.decode()
