"""Points (积分): earn on orders, redeem at checkout, reverse on refunds, expire, staff adjustments.

Every change locks the member row, writes a PointsEntry with the balance
after it, then updates the cached balance, all in one transaction. Keyed
kinds are unique per (member, kind, reference), so a repeated call finds
the earlier entry under the same lock instead of counting twice.
"""

import hashlib
from datetime import date, timedelta
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members.exceptions import MemberError, NotEnoughPoints
from members.models import MemberProfile, PointsEntry
from members.services.accounts import lock_member
from shop.money import CENT

REFERENCE_MAX = PointsEntry._meta.get_field("reference").max_length
NOTE_MAX = PointsEntry._meta.get_field("note").max_length


def _earn_per_yuan() -> Decimal:
    return Decimal(str(getattr(settings, "MEMBERS_POINTS_EARN_PER_YUAN", 1)))


def _per_yuan_redeem() -> int:
    return int(getattr(settings, "MEMBERS_POINTS_PER_YUAN_REDEEM", 100))


def _max_share() -> Decimal:
    return Decimal(str(getattr(settings, "MEMBERS_POINTS_MAX_SHARE", Decimal("0.5"))))


def _valid_days() -> int:
    return int(getattr(settings, "MEMBERS_POINTS_VALID_DAYS", 365))


def _whole_points(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_DOWN))


def _require_reference(reference: str) -> str:
    reference = str(reference or "").strip()
    if not reference or len(reference) > REFERENCE_MAX:
        raise ValueError(f"a reference of 1 to {REFERENCE_MAX} characters is required, not {reference!r}")
    return reference


def record_points_change(member: MemberProfile, *, kind: str, change: int, reference: str = "", note: str = "",
           expires_on: date | None = None, by=None) -> PointsEntry:
    """Ledger row, then the cached balance; the caller holds the member lock and has checked the balance."""
    member.points_balance += change
    entry = PointsEntry.objects.create(
        member=member, kind=kind, change=change, balance_after=member.points_balance,
        reference=reference, note=note[:NOTE_MAX], expires_on=expires_on, created_by=by,
    )
    member.save(update_fields=["points_balance"])
    return entry


def points_value(points: int) -> Decimal:
    """What ``points`` are worth at checkout, rounded down to the cent (never more than promised)."""
    if points <= 0:
        return Decimal("0.00")
    return (Decimal(points) / _per_yuan_redeem()).quantize(CENT, rounding=ROUND_DOWN)


def max_points_for(amount: Decimal, balance: int) -> int:
    """Most points usable on goods worth ``amount``: the balance, capped at MAX_SHARE of the amount."""
    if amount <= 0 or balance <= 0:
        return 0
    cap = _whole_points(Decimal(amount) * _max_share() * _per_yuan_redeem())
    return max(0, min(balance, cap))


@transaction.atomic
def spend_points(*, user_id: int, points: int, reference: str) -> PointsEntry:
    """Take ``points`` for ``reference`` (an order) once; a repeat returns the first entry.

    Raises NotEnoughPoints when the balance does not cover them.
    """
    if not isinstance(points, int) or points <= 0:
        raise ValueError(f"points must be a positive whole number, not {points!r}")
    reference = _require_reference(reference)
    member = lock_member(user_id=user_id)
    earlier = PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.REDEEM, reference=reference).first()
    if earlier is not None:
        return earlier
    if member.points_balance < points:
        raise NotEnoughPoints(have=member.points_balance, need=points)
    return record_points_change(member, kind=PointsEntry.Kind.REDEEM, change=-points, reference=reference)


@transaction.atomic
def restore_points(*, user_id: int, reference: str) -> PointsEntry | None:
    """Give back what spend_points took for ``reference``, once.

    Returns the restore entry, or None when nothing was spent for it or it was already given back.
    """
    reference = _require_reference(reference)
    member = lock_member(user_id=user_id)
    spent = PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.REDEEM, reference=reference).first()
    if spent is None or PointsEntry.objects.filter(
        member=member, kind=PointsEntry.Kind.RESTORE, reference=reference
    ).exists():
        return None
    # Refunds may already have given back some lines' shares (restore_points_share): only the rest is left.
    left = -spent.change - _shares_given_back(member, reference)
    if left <= 0:
        return None
    return record_points_change(member, kind=PointsEntry.Kind.RESTORE, change=left, reference=reference)


def _shares_given_back(member: MemberProfile, order_number: str) -> int:
    return PointsEntry.objects.filter(
        member=member, kind=PointsEntry.Kind.RESTORE, reference__startswith=f"{order_number}:"
    ).aggregate(total=Sum("change"))["total"] or 0


@transaction.atomic
def restore_points_share(*, user_id: int, order_number: str, refund_reference: str, points: int) -> PointsEntry | None:
    """Give back ``points`` of what spend_points took for ``order_number``, once per refund.

    A part refund gives back the points share of the lines it refunds. Never
    more than the order spent over all its refunds (nor after a full
    restore_points). Returns None when there is nothing left or this refund
    was already handled.
    """
    if not isinstance(points, int) or points < 0:
        raise ValueError(f"points must be a whole number, not {points!r}")
    order_number = _require_reference(order_number)
    reference = _reverse_reference(order_number, _require_reference(refund_reference))
    member = lock_member(user_id=user_id)
    spent = PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.REDEEM, reference=order_number).first()
    restores = PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.RESTORE)
    if spent is None or restores.filter(reference__in=[order_number, reference]).exists():
        return None
    points = min(points, -spent.change - _shares_given_back(member, order_number))
    if points <= 0:
        return None
    return record_points_change(member, kind=PointsEntry.Kind.RESTORE, change=points, reference=reference,
                                note=_("Order %(number)s") % {"number": order_number})


@transaction.atomic
def award_points_for_order(*, user_id: int, order_number: str, amount: Decimal) -> PointsEntry | None:
    """Credit floor(amount × EARN_PER_YUAN × tier multiplier) points for an order, once.

    Returns None when the order already earned (or earns no points). The
    points expire MEMBERS_POINTS_VALID_DAYS after today.
    """
    reference = _require_reference(order_number)
    member = lock_member(user_id=user_id)
    if PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.EARN, reference=reference).exists():
        return None
    multiplier = member.tier.points_multiplier if member.tier_id else Decimal("1")
    points = _whole_points(Decimal(amount) * _earn_per_yuan() * multiplier)
    if points <= 0:
        return None
    return record_points_change(
        member, kind=PointsEntry.Kind.EARN, change=points, reference=reference,
        expires_on=timezone.localdate() + timedelta(days=_valid_days()),
    )


def _reverse_reference(order_number: str, refund_reference: str) -> str:
    # The order number leads, so the reversals of one order can be summed; an over-long
    # refund reference is replaced by its digest (stable, so the repeat still matches).
    reference = f"{order_number}:{refund_reference}"
    if len(reference) > REFERENCE_MAX:
        reference = f"{order_number}:{hashlib.sha256(refund_reference.encode()).hexdigest()}"[:REFERENCE_MAX]
    return reference


@transaction.atomic
def reverse_points_for_refund(*, user_id: int, order_number: str, refund_reference: str,
                              share: Decimal) -> PointsEntry | None:
    """Take back ``share`` (0..1) of what the order earned, once per refund.

    Never more than the order earned over all its refunds, and never more
    than the balance (points already spent stay spent). Returns None when
    there is nothing to take back or this refund was already handled.
    """
    share = Decimal(share)
    if not Decimal("0") <= share <= Decimal("1"):
        raise ValueError(f"share must be between 0 and 1, not {share}")
    order_number = _require_reference(order_number)
    reference = _reverse_reference(order_number, _require_reference(refund_reference))
    member = lock_member(user_id=user_id)
    earned = PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.EARN, reference=order_number).first()
    if earned is None:
        return None
    reversals = PointsEntry.objects.filter(
        member=member, kind=PointsEntry.Kind.REVERSE, reference__startswith=f"{order_number}:"
    )
    if reversals.filter(reference=reference).exists():
        return None
    already = -(reversals.aggregate(total=Sum("change"))["total"] or 0)
    wanted = int((earned.change * share).to_integral_value(rounding=ROUND_HALF_UP))
    points = min(wanted, earned.change - already, member.points_balance)
    if points <= 0:
        return None
    return record_points_change(member, kind=PointsEntry.Kind.REVERSE, change=-points, reference=reference,
                  note=_("Order %(number)s") % {"number": order_number})


def expire_points(*, today: date) -> int:
    """Expire what remains unspent of every earn entry whose expires_on is before ``today``.

    The model is first in, first out: spending uses the oldest points first,
    so the balance is made of the newest credits. What remains of an old
    earn entry is therefore the balance minus every credit written after it,
    between 0 and the entry's own amount. Each entry is handled once (an
    expire entry with reference "expire-<pk>" marks it, even when nothing
    remained), one member per transaction. Returns the points expired.
    """
    due = PointsEntry.objects.filter(kind=PointsEntry.Kind.EARN, expires_on__lt=today)
    member_ids = due.values_list("member_id", flat=True).distinct().order_by("member_id")
    total = 0
    for member_id in member_ids.iterator():
        total += _expire_for_member(member_id=member_id, today=today)
    return total


@transaction.atomic
def _expire_for_member(*, member_id: int, today: date) -> int:
    member = MemberProfile.objects.select_for_update().get(pk=member_id)
    handled = set(
        PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.EXPIRE).values_list("reference", flat=True)
    )
    expired = 0
    for entry in PointsEntry.objects.filter(
        member=member, kind=PointsEntry.Kind.EARN, expires_on__lt=today
    ).order_by("id"):
        reference = f"expire-{entry.pk}"
        if reference in handled:
            continue
        later_credits = PointsEntry.objects.filter(member=member, id__gt=entry.pk, change__gt=0).aggregate(
            total=Sum("change")
        )["total"] or 0
        remaining = max(0, min(entry.change, member.points_balance - later_credits))
        record_points_change(member, kind=PointsEntry.Kind.EXPIRE, change=-remaining, reference=reference,
               note=_("Earned on %(date)s") % {"date": timezone.localdate(entry.created_at).isoformat()})
        expired += remaining
    return expired


@transaction.atomic
def staff_adjust_points(*, user_id: int, change: int, reason: str, by) -> PointsEntry:
    """A staff correction of ``change`` points (either sign), audited with who and why.

    Raises MemberError without a reason or a change, NotEnoughPoints if it would go below zero.
    """
    reason = (reason or "").strip()
    if not reason:
        raise MemberError(_("Give a reason for the adjustment."))
    if not isinstance(change, int) or change == 0:
        raise MemberError(_("The change must be a whole number other than zero."))
    member = lock_member(user_id=user_id)
    if member.points_balance + change < 0:
        raise NotEnoughPoints(have=member.points_balance, need=-change)
    return record_points_change(member, kind=PointsEntry.Kind.ADJUST, change=change, note=reason, by=by)
