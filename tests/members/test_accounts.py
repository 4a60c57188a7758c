"""The profile, consent, and the PIPL rights: export everything, erase the person but keep the accounts."""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.test import override_settings

from members.models import Address, MemberProfile, MemberTag, PointsEntry, WalletEntry
from members.selectors import member_for, points_history, wallet_history
from members.services import (
    anonymise_member,
    award_points_for_order,
    ensure_member,
    evaluate_tier,
    export_member_data,
    pay_from_wallet,
    request_deletion,
    set_marketing_consent,
)
from tests.factories import AddressFactory
from tests.members.conftest import give_money

pytestmark = pytest.mark.django_db

erased_users = []


def remember_erasure(user):
    erased_users.append(user.pk)


def extra_export(user):
    return {"orders": [{"number": "SO-1"}]}


def test_a_member_profile_is_made_once_with_an_unambiguous_invite_code(shopper):
    member = ensure_member(user=shopper)

    assert ensure_member(user=shopper).pk == member.pk
    assert re.fullmatch(r"[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}", member.referral_code)
    assert MemberProfile.objects.count() == 1


def test_member_for_loads_the_tier_and_the_histories_hide_bookkeeping_rows(shopper, tiers, clerk):
    member = member_for(shopper)
    give_money(member, "20.00")
    PointsEntry.objects.create(member=member, kind="expire", change=0, balance_after=0, reference="expire-1")

    assert member.tier == tiers["regular"]
    assert list(points_history(member)) == []
    assert [e.change for e in wallet_history(member)] == [Decimal("20.00")]


def test_marketing_consent_is_recorded_with_its_time(shopper):
    member = set_marketing_consent(user=shopper, consent=True)

    assert member.marketing_consent is True
    assert member.marketing_consent_at is not None


@override_settings(MEMBERS_EXPORT_PROVIDERS=["tests.members.test_accounts.extra_export"])
def test_the_data_export_holds_profile_addresses_ledgers_tiers_and_what_other_apps_add(shopper, tiers):
    member = ensure_member(user=shopper)
    MemberProfile.objects.filter(pk=member.pk).update(phone="13800138000")
    AddressFactory(user=shopper, recipient="张三")
    award_points_for_order(user_id=shopper.pk, order_number="SO-1", amount=Decimal("50.00"))
    give_money(member, "30.00")
    evaluate_tier(user_id=shopper.pk, spend_12m=Decimal("3000"), points_12m=0, reason="r", allow_downgrade=False)

    data = export_member_data(user=shopper)

    assert data["account"]["email"] == "shopper@example.com"
    assert data["profile"]["phone"] == "13800138000"
    assert data["profile"]["tier"] == "银卡"
    assert [a["recipient"] for a in data["addresses"]] == ["张三"]
    assert [(e["kind"], e["change"]) for e in data["points"]] == [("earn", 50)]
    assert [(e["kind"], e["change"]) for e in data["wallet"]] == [("top_up", "30.00")]
    assert data["tier_changes"][0]["to_tier__name"] == "银卡"
    assert data["referrals"]["invited_count"] == 0
    assert data["orders"] == [{"number": "SO-1"}]


def test_requesting_deletion_is_recorded_and_stops_marketing(shopper):
    set_marketing_consent(user=shopper, consent=True)

    member = request_deletion(user=shopper)

    assert member.deletion_requested_at is not None
    assert member.marketing_consent is False


@override_settings(MEMBERS_ERASURE_HOOKS=["tests.members.test_accounts.remember_erasure"])
def test_anonymising_erases_personal_data_but_keeps_the_ledgers(shopper, tiers):
    member = ensure_member(user=shopper)
    MemberProfile.objects.filter(pk=member.pk).update(phone="13800138000", gender="female", marketing_consent=True)
    member.refresh_from_db()
    member.birthday = "1990-05-01"
    member.save(update_fields=["birthday"])
    member.tags.add(MemberTag.objects.create(name="高价值"))
    AddressFactory(user=shopper)
    award_points_for_order(user_id=shopper.pk, order_number="SO-1", amount=Decimal("50.00"))
    give_money(member, "30.00")
    pay_from_wallet(user_id=shopper.pk, amount=Decimal("30.00"), reference="SO-1")  # nothing left owed
    erased_users.clear()

    anonymise_member(user=shopper)

    user = get_user_model().objects.get(pk=shopper.pk)
    member.refresh_from_db()
    placeholder = f"deleted-{shopper.pk}@invalid"
    assert (user.email, user.username, user.first_name, user.last_name) == (placeholder, placeholder, "", "")
    assert not user.is_active and not user.has_usable_password()
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Address.objects.filter(user=user).exists()
    assert (member.phone, member.birthday, member.gender, member.marketing_consent) == ("", None, "", False)
    assert member.anonymised_at is not None
    assert not member.tags.exists()
    assert PointsEntry.objects.filter(member=member).count() == 1
    assert WalletEntry.objects.filter(member=member).count() == 2
    assert member.points_balance == 50 and member.wallet_balance == Decimal("0.00")
    assert erased_users == [shopper.pk]
    exported = repr(export_member_data(user=user))
    assert "13800138000" not in exported and "shopper@example.com" not in exported


def test_anonymising_twice_changes_nothing_more(shopper):
    first = anonymise_member(user=shopper).anonymised_at

    assert anonymise_member(user=shopper).anonymised_at == first
