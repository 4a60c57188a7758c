"""Points: earn once per order, redeem once per reference with a cap, give back, reverse, expire, adjust."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import override_settings
from django.utils import timezone
from django.utils import translation

from members.exceptions import MemberError, NotEnoughPoints
from members.models import PointsEntry
from members.services import (
    award_points_for_order,
    expire_points,
    max_points_for,
    points_value,
    restore_points,
    reverse_points_for_refund,
    spend_points,
    staff_adjust_points,
)
from tests.members.conftest import give_points, points_ledger_sum, points_of

pytestmark = pytest.mark.django_db


# --- value and cap -------------------------------------------------------------------

def test_points_are_worth_a_fen_each_by_default():
    assert points_value(100) == Decimal("1.00")
    assert points_value(1) == Decimal("0.01")
    assert points_value(0) == Decimal("0.00")


@override_settings(MEMBERS_POINTS_PER_YUAN_REDEEM=30)
def test_points_value_is_rounded_down_to_the_cent_never_up():
    assert points_value(1) == Decimal("0.03")  # 0.0333…
    assert points_value(20) == Decimal("0.66")  # 0.6666…, not 0.67


def test_points_usable_are_capped_at_half_the_goods_and_at_the_balance():
    assert max_points_for(Decimal("100.00"), 100_000) == 5000
    assert max_points_for(Decimal("100.00"), 1200) == 1200
    assert max_points_for(Decimal("0.03"), 1000) == 1  # ¥0.015 → one whole point
    assert max_points_for(Decimal("0"), 1000) == 0
    assert max_points_for(Decimal("100.00"), 0) == 0


@override_settings(MEMBERS_POINTS_MAX_SHARE=Decimal("0.2"), MEMBERS_POINTS_PER_YUAN_REDEEM=10)
def test_the_points_cap_follows_the_settings():
    assert max_points_for(Decimal("99.99"), 10_000) == 199  # ¥19.998 × 10, whole points


# --- spending and giving back ---------------------------------------------------------

def test_spending_points_writes_a_redeem_entry_and_lowers_the_balance(member):
    give_points(member, 1000)

    entry = spend_points(user_id=member.user_id, points=300, reference="SO-1")

    assert (entry.kind, entry.change, entry.balance_after) == (PointsEntry.Kind.REDEEM, -300, 700)
    assert points_of(member) == 700 == points_ledger_sum(member)


def test_spending_twice_for_the_same_reference_takes_the_points_once(member):
    give_points(member, 1000)

    first = spend_points(user_id=member.user_id, points=300, reference="SO-1")
    second = spend_points(user_id=member.user_id, points=300, reference="SO-1")

    assert second.pk == first.pk
    assert points_of(member) == 700


def test_spending_more_points_than_the_balance_is_refused_with_a_message(member):
    give_points(member, 100)

    with translation.override("en"), pytest.raises(NotEnoughPoints) as refused:
        spend_points(user_id=member.user_id, points=101, reference="SO-1")

    assert refused.value.message == "You have 100 points, not enough for 101."
    assert points_of(member) == 100


def test_spending_zero_or_negative_points_is_a_programming_error(member):
    with pytest.raises(ValueError):
        spend_points(user_id=member.user_id, points=0, reference="SO-1")
    with pytest.raises(ValueError):
        spend_points(user_id=member.user_id, points=-5, reference="SO-1")


def test_restoring_gives_back_what_was_spent_for_the_reference_once(member):
    give_points(member, 1000)
    spend_points(user_id=member.user_id, points=400, reference="SO-1")

    restored = restore_points(user_id=member.user_id, reference="SO-1")
    again = restore_points(user_id=member.user_id, reference="SO-1")

    assert (restored.kind, restored.change) == (PointsEntry.Kind.RESTORE, 400)
    assert again is None
    assert points_of(member) == 1000 == points_ledger_sum(member)


def test_restoring_a_reference_that_spent_nothing_does_nothing(member):
    assert restore_points(user_id=member.user_id, reference="SO-404") is None
    assert points_of(member) == 0


# --- earning --------------------------------------------------------------------------

def test_an_order_earns_points_once_with_the_tier_multiplier_and_an_expiry_date(member, tiers):
    member.tier = tiers["silver"]
    member.save(update_fields=["tier"])

    entry = award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("199.99"))
    again = award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("199.99"))

    assert entry.change == 299  # floor(199.99 × 1 × 1.5)
    assert entry.expires_on == timezone.localdate() + timedelta(days=365)
    assert again is None
    assert points_of(member) == 299


def test_a_member_without_a_profile_gets_one_when_their_first_order_earns(shopper):
    entry = award_points_for_order(user_id=shopper.pk, order_number="SO-1", amount=Decimal("10.00"))

    assert entry.member.user == shopper
    assert entry.change == 10


def test_an_order_too_small_to_earn_a_point_writes_nothing(member):
    assert award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("0.99")) is None
    assert not PointsEntry.objects.exists()


# --- refunds --------------------------------------------------------------------------

def test_a_refund_takes_back_its_share_of_what_the_order_earned_once(member):
    award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("300.00"))

    taken = reverse_points_for_refund(user_id=member.user_id, order_number="SO-1", refund_reference="RF-1",
                                      share=Decimal("0.5"))
    again = reverse_points_for_refund(user_id=member.user_id, order_number="SO-1", refund_reference="RF-1",
                                      share=Decimal("0.5"))

    assert (taken.kind, taken.change) == (PointsEntry.Kind.REVERSE, -150)
    assert again is None
    assert points_of(member) == 150


def test_refunds_of_one_order_never_take_back_more_than_it_earned(member):
    award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("5.00"))

    for n in range(3):  # three refunds of "half" each: rounding must not take 9 of 5 points
        reverse_points_for_refund(user_id=member.user_id, order_number="SO-1", refund_reference=f"RF-{n}",
                                  share=Decimal("0.5"))

    assert points_of(member) == 0
    assert sum(PointsEntry.objects.filter(kind="reverse").values_list("change", flat=True)) == -5


def test_a_refund_never_takes_the_balance_below_zero(member):
    award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("300.00"))
    spend_points(user_id=member.user_id, points=250, reference="SO-2")

    taken = reverse_points_for_refund(user_id=member.user_id, order_number="SO-1", refund_reference="RF-1",
                                      share=Decimal("1"))

    assert taken.change == -50
    assert points_of(member) == 0


def test_a_refund_of_an_order_that_earned_nothing_does_nothing(member):
    assert reverse_points_for_refund(user_id=member.user_id, order_number="SO-9", refund_reference="RF-1",
                                     share=Decimal("1")) is None


# --- expiry ---------------------------------------------------------------------------

def _earned(member, number, amount, expires_on):
    entry = award_points_for_order(user_id=member.user_id, order_number=number, amount=Decimal(amount))
    PointsEntry.objects.filter(pk=entry.pk).update(expires_on=expires_on)
    return entry


def test_expired_points_are_taken_back_once(member):
    today = timezone.localdate()
    _earned(member, "SO-1", "100", today - timedelta(days=1))
    _earned(member, "SO-2", "50", today + timedelta(days=10))

    assert expire_points(today=today) == 100
    assert expire_points(today=today) == 0
    assert points_of(member) == 50 == points_ledger_sum(member)


def test_spending_uses_the_oldest_points_first_so_only_the_unspent_rest_expires(member):
    today = timezone.localdate()
    _earned(member, "SO-1", "100", today - timedelta(days=1))
    _earned(member, "SO-2", "50", today + timedelta(days=10))
    spend_points(user_id=member.user_id, points=70, reference="SO-3")  # from SO-1's 100 first

    assert expire_points(today=today) == 30
    assert points_of(member) == 50


def test_an_entry_spent_in_full_expires_nothing_and_is_not_looked_at_again(member):
    today = timezone.localdate()
    entry = _earned(member, "SO-1", "100", today - timedelta(days=1))
    spend_points(user_id=member.user_id, points=100, reference="SO-2")

    assert expire_points(today=today) == 0
    assert PointsEntry.objects.get(kind="expire", reference=f"expire-{entry.pk}").change == 0
    assert expire_points(today=today + timedelta(days=1)) == 0


def test_points_expiring_today_are_still_usable_today(member):
    today = timezone.localdate()
    _earned(member, "SO-1", "100", today)

    assert expire_points(today=today) == 0
    assert points_of(member) == 100


# --- staff ----------------------------------------------------------------------------

def test_staff_adjust_points_with_a_reason_and_are_recorded(member, clerk):
    entry = staff_adjust_points(user_id=member.user_id, change=250, reason="门店活动补发", by=clerk)

    assert (entry.kind, entry.change, entry.note, entry.created_by) == (PointsEntry.Kind.ADJUST, 250, "门店活动补发", clerk)
    assert points_of(member) == 250


def test_staff_cannot_adjust_points_without_a_reason(member, clerk):
    with translation.override("en"), pytest.raises(MemberError) as refused:
        staff_adjust_points(user_id=member.user_id, change=10, reason="  ", by=clerk)

    assert refused.value.message == "Give a reason for the adjustment."


def test_staff_cannot_take_points_below_zero(member, clerk):
    give_points(member, 10)

    with pytest.raises(NotEnoughPoints):
        staff_adjust_points(user_id=member.user_id, change=-11, reason="correction", by=clerk)

    assert points_of(member) == 10
