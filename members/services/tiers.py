"""Member tiers and the order figures they are judged on (kept here because members may not read orders)."""

from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from members.models import MemberProfile, Tier, TierChange
from members.services.accounts import ensure_member, lock_member


def record_order_activity(*, user_id: int, spend_delta: Decimal, at: datetime | None) -> None:
    """Add ``spend_delta`` (negative for refunds) to the member's total spend, never below zero,
    and move last_order_at forward to ``at``.

    One UPDATE computes both from the stored values, so concurrent orders never lose a figure.
    """
    from django.contrib.auth import get_user_model

    if not MemberProfile.objects.filter(user_id=user_id).exists():
        ensure_member(user=get_user_model().objects.get(pk=user_id))
    changes = {"total_spend": Greatest(F("total_spend") + Decimal(spend_delta), Value(Decimal("0.00")))}
    if at is not None:
        # PostgreSQL's GREATEST skips NULL, so the first order sets it.
        changes["last_order_at"] = Greatest(F("last_order_at"), Value(at))
    MemberProfile.objects.filter(user_id=user_id).update(**changes)


def _qualifies(tier: Tier, spend_12m: Decimal, points_12m: int) -> bool:
    if tier.rule == Tier.Rule.POINTS:
        return Decimal(points_12m) >= tier.threshold
    return Decimal(spend_12m) >= tier.threshold


@transaction.atomic
def evaluate_tier(*, user_id: int, spend_12m: Decimal, points_12m: int, reason: str,
                  allow_downgrade: bool) -> TierChange | None:
    """Move the member to the best tier whose rule the 12-month figures meet; record why.

    Upgrades happen at once. A downgrade happens only when allowed (the
    nightly review) and the current tier is older than MEMBERS_TIER_GRACE_DAYS.
    The lowest tier is the floor. Returns the TierChange, or None if nothing changed.
    """
    member = lock_member(user_id=user_id)
    tiers = list(Tier.objects.order_by("-rank"))
    if not tiers:
        return None
    target = next((tier for tier in tiers if _qualifies(tier, spend_12m, points_12m)), tiers[-1])
    current = member.tier
    if current is not None and target.pk == current.pk:
        return None
    now = timezone.now()
    if current is not None and target.rank < current.rank:
        grace = timedelta(days=int(getattr(settings, "MEMBERS_TIER_GRACE_DAYS", 30)))
        if not allow_downgrade or (member.tier_since is not None and member.tier_since > now - grace):
            return None
    change = TierChange.objects.create(member=member, from_tier=current, to_tier=target, reason=reason[:200])
    member.tier = target
    member.tier_since = now
    member.save(update_fields=["tier", "tier_since"])
    return change
