"""Group buys (拼团): start a group, join one by its share code, leave it, and close it as filled or failed.

A place is held by an order (paid or awaiting payment): an unpaid order keeps
its slot until it is paid, cancelled or expires (group orders get the short
flash payment time), and then leaves. ``Group.joined`` moves only by guarded
UPDATEs (joined < size), so the last slot goes to exactly one shopper. A group
succeeds when every slot is held by a paid order; marketing keeps order
numbers only, so orders tells it which are paid (marketing never imports orders).
"""

import secrets
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import Group, GroupBuy, GroupMember
from marketing.rules import UnitPriceRule

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud or typed from a screenshot


class GroupBuyError(Exception):
    """The group cannot be started or joined. ``message`` is fit to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def live_group_buy(*, group_buy_id: int, at=None) -> GroupBuy:
    """The group buy if it is running now. Raises GroupBuyError."""
    at = at or timezone.now()
    campaign = GroupBuy.objects.select_related("variant__product").filter(pk=group_buy_id).first()
    if campaign is None or not campaign.is_active or not (campaign.starts_at <= at < campaign.ends_at):
        raise GroupBuyError(_("This group buy is not running."))
    return campaign


def open_group(*, code: str, at=None) -> Group:
    """An open group that can still be joined. Raises GroupBuyError."""
    at = at or timezone.now()
    code = str(code or "").strip().upper()
    # A pasted link may carry anything (NUL bytes, 10 kB): only a well-formed code is looked up.
    if not code or len(code) > 16 or any(char not in CODE_ALPHABET for char in code):
        raise GroupBuyError(_("No such group."))
    group = Group.objects.select_related("campaign__variant__product").filter(code=code).first()
    if group is None:
        raise GroupBuyError(_("No such group."))
    if group.status != Group.Status.OPEN or group.deadline <= at:
        raise GroupBuyError(_("This group is closed; start a new one."))
    if group.joined >= group.size:
        raise GroupBuyError(_("This group is full; start a new one."))
    return group


def group_price_rule(campaign: GroupBuy) -> UnitPriceRule:
    """Pricing step 1: the group price for the one unit a group order holds."""
    return UnitPriceRule(
        variant_id=campaign.variant_id, price=campaign.group_price, max_units=1,
        reference=f"group_buy:{campaign.pk}", kind="group",
    )


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(8))


def start_group(*, group_buy_id: int, user_id: int, order_number: str, at=None) -> Group:
    """Open a new group with the shopper as leader holding the first slot. Raises GroupBuyError."""
    at = at or timezone.now()
    campaign = live_group_buy(group_buy_id=group_buy_id, at=at)
    deadline = min(at + timedelta(hours=campaign.hours_to_fill), campaign.ends_at)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                group = Group.objects.create(
                    campaign=campaign, code=_new_code(), leader_id=user_id, size=campaign.group_size,
                    joined=1, deadline=deadline,
                )
            break
        except IntegrityError:
            continue  # the random code was taken: draw another
    else:
        raise GroupBuyError(_("Could not start a group; please try again."))
    GroupMember.objects.create(group=group, user_id=user_id, order_number=order_number, is_leader=True)
    return group


def join_group(*, code: str, user_id: int, order_number: str, at=None) -> Group:
    """Take a slot in an open group by its share code; the last slot goes to exactly one shopper.

    Runs inside the checkout transaction after the member lock; the guarded
    UPDATE (joined < size, still open, deadline ahead) locks the group row
    until commit. Raises GroupBuyError; nothing is written then.
    """
    at = at or timezone.now()
    group = open_group(code=code, at=at)
    if GroupMember.objects.filter(group=group, user_id=user_id, left_at=None).exists():
        raise GroupBuyError(_("You are already in this group."))
    claimed = Group.objects.filter(
        pk=group.pk, status=Group.Status.OPEN, deadline__gt=at, joined__lt=F("size")
    ).update(joined=F("joined") + 1)
    if not claimed:
        raise GroupBuyError(_("This group filled up just now; start a new one."))
    try:
        with transaction.atomic():
            GroupMember.objects.create(group=group, user_id=user_id, order_number=order_number)
    except IntegrityError:
        raise GroupBuyError(_("You are already in this group.")) from None
    group.refresh_from_db(fields=["joined"])
    return group


def leave_group(*, order_number: str) -> Group | None:
    """The order was cancelled: its place is given up once; an open group gets the slot back."""
    member = GroupMember.objects.filter(order_number=order_number, left_at=None).first()
    if member is None:
        return None
    claimed = GroupMember.objects.filter(pk=member.pk, left_at=None).update(left_at=timezone.now())
    if claimed:
        Group.objects.filter(pk=member.group_id, status=Group.Status.OPEN, joined__gt=0).update(joined=F("joined") - 1)
    return member.group


def lock_group(code: str) -> Group | None:
    """The group row, locked (lock order step 5): payments of its members queue here to decide success once."""
    return Group.objects.select_for_update().filter(code=code).first()


def member_order_numbers(group: Group) -> list[str]:
    return list(group.members.filter(left_at=None).values_list("order_number", flat=True))


def mark_group_succeeded(*, group_id: int) -> bool:
    """Close a full group as succeeded, once. True when this call closed it."""
    return bool(
        Group.objects.filter(pk=group_id, status=Group.Status.OPEN, joined=F("size")).update(
            status=Group.Status.SUCCEEDED, closed_at=timezone.now()
        )
    )


def claim_failed_group(*, group_id: int, at=None) -> bool:
    """Close an open group whose deadline passed as failed, once. True when this call closed it."""
    at = at or timezone.now()
    return bool(
        Group.objects.filter(pk=group_id, status=Group.Status.OPEN, deadline__lte=at).update(
            status=Group.Status.FAILED, closed_at=at
        )
    )


def overdue_group_ids(*, at=None, limit: int = 200) -> list[int]:
    at = at or timezone.now()
    return list(
        Group.objects.filter(status=Group.Status.OPEN, deadline__lte=at).order_by("deadline").values_list("pk", flat=True)[:limit]
    )


def failed_group_codes(*, codes) -> set[str]:
    return set(Group.objects.filter(code__in=list(codes), status=Group.Status.FAILED).values_list("code", flat=True))


def initials(user) -> str:
    """Up to two letters for an avatar circle: the first of the name, else of the user name."""
    name = (getattr(user, "first_name", "") or getattr(user, "username", "") or "?").strip()
    return name[:1].upper() or "?"


__all__ = [
    "GroupBuyError",
    "claim_failed_group",
    "failed_group_codes",
    "group_price_rule",
    "initials",
    "join_group",
    "leave_group",
    "live_group_buy",
    "lock_group",
    "mark_group_succeeded",
    "member_order_numbers",
    "open_group",
    "overdue_group_ids",
    "start_group",
]
