"""Tiers: upgrades at once, downgrades only in the review and after the grace period; order figures kept in step."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import MemberProfile, TierChange
from members.services import ensure_member, evaluate_tier, record_order_activity

pytestmark = pytest.mark.django_db


def test_a_new_member_starts_in_the_lowest_tier(shopper, tiers):
    member = ensure_member(user=shopper)

    assert member.tier == tiers["regular"]
    assert member.tier_since is not None


def test_reaching_a_spend_threshold_upgrades_at_once_and_records_why(shopper, tiers):
    member = ensure_member(user=shopper)

    change = evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("2000.00"), points_12m=0,
                           reason="order SO-1 completed", allow_downgrade=False)

    member.refresh_from_db()
    assert member.tier == tiers["silver"]
    assert (change.from_tier, change.to_tier, change.reason) == (tiers["regular"], tiers["silver"], "order SO-1 completed")


def test_a_points_rule_can_lift_a_member_past_a_spend_tier(shopper, tiers):
    ensure_member(user=shopper)

    change = evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("0"), points_12m=10_000, reason="r",
                           allow_downgrade=False)

    assert change.to_tier == tiers["gold"]


def test_an_unchanged_tier_records_nothing(shopper, tiers):
    ensure_member(user=shopper)

    assert evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("10"), points_12m=0, reason="r",
                         allow_downgrade=True) is None
    assert not TierChange.objects.exists()


def _silver_since(shopper, tiers, days_ago):
    member = ensure_member(user=shopper)
    MemberProfile.objects.filter(pk=member.pk).update(
        tier=tiers["silver"], tier_since=timezone.now() - timedelta(days=days_ago)
    )
    return member


def test_a_member_is_not_downgraded_outside_the_nightly_review(shopper, tiers):
    _silver_since(shopper, tiers, days_ago=400)

    assert evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("0"), points_12m=0, reason="refund",
                         allow_downgrade=False) is None


def test_a_member_keeps_a_new_tier_through_the_grace_period(shopper, tiers):
    _silver_since(shopper, tiers, days_ago=29)

    assert evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("0"), points_12m=0, reason="nightly",
                         allow_downgrade=True) is None


def test_after_the_grace_period_the_review_downgrades_to_the_tier_still_earned(shopper, tiers):
    member = _silver_since(shopper, tiers, days_ago=31)

    change = evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("5"), points_12m=0, reason="nightly",
                           allow_downgrade=True)

    member.refresh_from_db()
    assert (change.from_tier, change.to_tier) == (tiers["silver"], tiers["regular"])
    assert member.tier == tiers["regular"]


def test_order_activity_adds_spend_never_below_zero_and_keeps_the_latest_order_time(member):
    first = timezone.now() - timedelta(days=3)
    later = timezone.now()

    record_order_activity(user_id=member.user_id, spend_delta=Decimal("120.00"), at=later)
    record_order_activity(user_id=member.user_id, spend_delta=Decimal("30.00"), at=first)
    member.refresh_from_db()
    assert member.total_spend == Decimal("150.00")
    assert member.last_order_at == later

    record_order_activity(user_id=member.user_id, spend_delta=Decimal("-500.00"), at=first)
    member.refresh_from_db()
    assert member.total_spend == Decimal("0.00")
    assert member.last_order_at == later


def test_order_activity_creates_the_profile_when_missing(shopper):
    record_order_activity(user_id=shopper.pk, spend_delta=Decimal("9.90"), at=None)

    assert MemberProfile.objects.get(user=shopper).total_spend == Decimal("9.90")
