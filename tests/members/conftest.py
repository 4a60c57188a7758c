from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from members.models import MemberProfile, PointsEntry, Tier, WalletEntry
from members.services import ensure_member, staff_adjust_points, staff_top_up_wallet


def make_user(name: str):
    return get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x")


@pytest.fixture
def tiers(db):
    """普通 (from 0), 银卡 (¥2,000 spend, ×1.5 points), 金卡 (10,000 points in 12 months, ×2)."""
    return {
        "regular": Tier.objects.create(name="普通会员", code="regular", rank=1, threshold=Decimal("0")),
        "silver": Tier.objects.create(name="银卡", code="silver", rank=2, threshold=Decimal("2000"),
                                      points_multiplier=Decimal("1.5")),
        "gold": Tier.objects.create(name="金卡", code="gold", rank=3, rule=Tier.Rule.POINTS,
                                    threshold=Decimal("10000"), points_multiplier=Decimal("2")),
    }


@pytest.fixture
def member(shopper) -> MemberProfile:
    return ensure_member(user=shopper)


@pytest.fixture
def clerk(db):
    return get_user_model().objects.create_user(username="clerk", email="clerk@example.com", password="x",
                                                is_staff=True)


def give_points(member: MemberProfile, points: int, by=None) -> None:
    staff_adjust_points(user_id=member.user_id, change=points, reason="test credit", by=by)


def give_money(member: MemberProfile, amount: str, by=None) -> None:
    staff_top_up_wallet(user_id=member.user_id, amount=Decimal(amount), reason="test credit", by=by)


def points_of(member: MemberProfile) -> int:
    member.refresh_from_db()
    return member.points_balance


def wallet_of(member: MemberProfile) -> Decimal:
    member.refresh_from_db()
    return member.wallet_balance


def points_ledger_sum(member: MemberProfile) -> int:
    return sum(PointsEntry.objects.filter(member=member).values_list("change", flat=True))


def wallet_ledger_sum(member: MemberProfile) -> Decimal:
    return sum(WalletEntry.objects.filter(member=member).values_list("change", flat=True), Decimal("0.00"))


