"""Referrals: an invite code attaches once and never in a loop; both sides are rewarded once."""

import pytest

from members.models import MemberProfile, PointsEntry, ReferralReward
from members.services import attach_referrer, ensure_member, reward_referral
from tests.members.conftest import make_user, points_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def inviter(db):
    return ensure_member(user=make_user("inviter"))


def test_an_invite_code_attaches_the_inviter_case_and_space_insensitively(shopper, inviter):
    assert attach_referrer(user=shopper, code=f"  {inviter.referral_code.lower()} ") is True

    assert MemberProfile.objects.get(user=shopper).referred_by == inviter.user


def test_an_unknown_code_is_refused(shopper):
    assert attach_referrer(user=shopper, code="NOPE2345") is False
    assert attach_referrer(user=shopper, code="") is False


def test_a_member_cannot_invite_themselves(shopper):
    own = ensure_member(user=shopper).referral_code

    assert attach_referrer(user=shopper, code=own) is False
    assert MemberProfile.objects.get(user=shopper).referred_by is None


def test_a_code_whose_chain_leads_back_to_the_member_is_refused(shopper, inviter):
    middle = ensure_member(user=make_user("middle"))
    assert attach_referrer(user=inviter.user, code=middle.referral_code)  # middle invited inviter
    assert attach_referrer(user=middle.user, code=ensure_member(user=shopper).referral_code)  # shopper invited middle

    assert attach_referrer(user=shopper, code=inviter.referral_code) is False  # shopper → middle → inviter → shopper


def test_a_member_who_already_has_an_inviter_keeps_them(shopper, inviter):
    other = ensure_member(user=make_user("other"))
    attach_referrer(user=shopper, code=inviter.referral_code)

    assert attach_referrer(user=shopper, code=other.referral_code) is False
    assert MemberProfile.objects.get(user=shopper).referred_by == inviter.user


def test_the_first_order_of_an_invitee_rewards_both_sides_once(shopper, inviter):
    attach_referrer(user=shopper, code=inviter.referral_code)

    reward = reward_referral(invitee_user_id=shopper.pk, order_number="SO-1")
    again = reward_referral(invitee_user_id=shopper.pk, order_number="SO-2")

    invitee = MemberProfile.objects.get(user=shopper)
    assert (reward.invitee, reward.referrer, reward.order_number, reward.points_each) == (invitee, inviter, "SO-1", 500)
    assert again is None
    assert points_of(invitee) == 500 and points_of(inviter) == 500
    assert set(PointsEntry.objects.values_list("kind", "reference")) == {("referral", f"referral-{shopper.pk}")}


def test_an_order_without_an_inviter_rewards_nobody(member):
    assert reward_referral(invitee_user_id=member.user_id, order_number="SO-1") is None
    assert not ReferralReward.objects.exists()
