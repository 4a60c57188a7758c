"""Counting an order for its member exactly once, and taking back what a refund must (orders/services/membership.py)."""

from decimal import Decimal

import pytest
from django.utils import timezone

from members import services as member_services
from members.models import MemberProfile, PointsEntry, ReferralReward, Tier
from orders.models import Order
from orders.services import record_payment, ship_order
from orders.services.membership import catch_up_completed_orders, count_order, points_last_12_months, uncount_refund
from orders.workflow import Actor, move_order
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=50, price=Decimal("100.00"))


def completed(user, variant, address, express, admin_user, quantity=1):
    """A delivered order the shopper confirmed; counting is left to the test (no commit inside a test)."""
    order = buy(user, [(variant, quantity)], delivery_choice(address, express))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY",
                   transaction_id=f"T-{order.number}")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number=f"SF{order.pk}", by=admin_user)
    move_order(order_id=order.pk, action="confirm_receipt", actor=Actor.shopper(user))
    return Order.objects.get(pk=order.pk)


def member_of(user):
    return MemberProfile.objects.get(user=user)


def test_an_order_is_counted_once_however_often_counting_runs(shopper, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    order = completed(shopper, variant, address, express, admin_user, quantity=2)

    assert count_order(order_id=order.pk) is True
    assert count_order(order_id=order.pk) is False
    assert catch_up_completed_orders() == 0

    member = member_of(shopper)
    assert (member.points_balance, member.total_spend) == (200, Decimal("200.00"))
    assert Order.objects.get(pk=order.pk).counted_at is not None


def test_the_spend_counts_even_when_the_order_earns_no_points(shopper, variant, address, express, admin_user, settings):
    settings.MEMBERS_POINTS_EARN_PER_YUAN = 0
    member_services.ensure_member(user=shopper)
    order = completed(shopper, variant, address, express, admin_user)

    count_order(order_id=order.pk)

    member = member_of(shopper)
    assert (member.points_balance, member.total_spend) == (0, Decimal("100.00"))


def test_a_crash_midway_leaves_nothing_counted_and_the_retry_counts_it(
    shopper, variant, address, express, admin_user, monkeypatch
):
    member_services.ensure_member(user=shopper)
    order = completed(shopper, variant, address, express, admin_user)
    real_evaluate = member_services.evaluate_tier

    def crash(**kwargs):
        raise RuntimeError("the worker died")

    monkeypatch.setattr(member_services, "evaluate_tier", crash)
    with pytest.raises(RuntimeError):
        count_order(order_id=order.pk)

    member = member_of(shopper)
    assert (member.points_balance, member.total_spend) == (0, Decimal("0.00"))
    assert Order.objects.get(pk=order.pk).counted_at is None

    monkeypatch.setattr(member_services, "evaluate_tier", real_evaluate)
    assert catch_up_completed_orders() == 1
    member = member_of(shopper)
    assert (member.points_balance, member.total_spend) == (100, Decimal("100.00"))


def test_an_order_that_is_not_completed_is_never_counted(shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    assert count_order(order_id=order.pk) is False
    assert Order.objects.get(pk=order.pk).counted_at is None


def test_counting_upgrades_the_tier_at_once(shopper, variant, address, express, admin_user):
    Tier.objects.create(name="普通", code="normal", rank=1)
    gold = Tier.objects.create(name="金卡", code="gold", rank=3, threshold=Decimal("500"))
    member_services.ensure_member(user=shopper)
    order = completed(shopper, variant, address, express, admin_user, quantity=6)

    count_order(order_id=order.pk)

    assert member_of(shopper).tier == gold


def test_a_part_refund_takes_back_its_share_of_the_spend_and_the_points(shopper, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    order = completed(shopper, variant, address, express, admin_user, quantity=4)
    count_order(order_id=order.pk)

    uncount_refund(order=Order.objects.get(pk=order.pk), amount=Decimal("100.00"), points_reference="R-1", fully=False)
    uncount_refund(order=Order.objects.get(pk=order.pk), amount=Decimal("100.00"), points_reference="R-1", fully=False)

    member = member_of(shopper)
    assert member.points_balance == 300  # 400 earned, a quarter of the money back, once per reference
    assert points_last_12_months(shopper.pk) == 300  # points-based tier progress follows


def test_a_refund_of_an_order_not_counted_yet_takes_nothing_back(shopper, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    order = completed(shopper, variant, address, express, admin_user)

    uncount_refund(order=order, amount=Decimal("100.00"), points_reference="R-1", fully=True)

    member = member_of(shopper)
    assert (member.points_balance, member.total_spend) == (0, Decimal("0.00"))


def test_returning_the_rewarding_order_in_full_claws_back_the_referral_reward(
    shopper, variant, address, express, admin_user, django_user_model
):
    inviter = django_user_model.objects.create_user(username="inviter", email="inviter@example.com", password="x")
    code = member_services.ensure_member(user=inviter).referral_code
    member_services.ensure_member(user=shopper)
    member_services.attach_referrer(user=shopper, code=code)
    order = completed(shopper, variant, address, express, admin_user)
    count_order(order_id=order.pk)
    assert ReferralReward.objects.count() == 1 and member_of(inviter).points_balance == 500

    Order.objects.filter(pk=order.pk).update(refunded_total=order.total, completed_at=timezone.now())
    for _ in range(2):
        uncount_refund(order=Order.objects.get(pk=order.pk), amount=order.total, points_reference="R-full", fully=True)

    assert member_of(inviter).points_balance == 0
    assert member_of(shopper).points_balance == 0  # 100 earned and 500 referral, all taken back
    assert member_of(shopper).total_spend == Decimal("0.00")
    assert PointsEntry.objects.filter(kind="referral", change__lt=0).count() == 2
