"""What the product page shows of flash sales and group buys (CATALOG_PRODUCT_CONTEXT_PROVIDERS).

Outside the page's cached fragments: the units left and the time left change
by the second. Two small queries per product page, none per card.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from marketing.models import FlashSale, Group, GroupBuy

# A flash sale that starts within this time is announced with its countdown to the start.
UPCOMING = timedelta(hours=24)
OPEN_GROUPS_SHOWN = 3


@dataclass(frozen=True)
class Countdown:
    """Time left until ``ends_at``, rendered by the server; static/js/marketing/countdown.js ticks it."""

    ends_at: datetime
    now: datetime

    @property
    def seconds(self) -> int:
        return max(0, int((self.ends_at - self.now).total_seconds()))

    @property
    def clock(self) -> str:
        """H:MM:SS, or D天 H:MM:SS past a day (numbers read the same in every language)."""
        days, rest = divmod(self.seconds, 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        clock = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
        return f"{days}d {clock}" if days else clock


@dataclass(frozen=True)
class FlashBox:
    sale: FlashSale
    is_live: bool
    countdown: Countdown
    units_left: int

    @property
    def is_sold_out(self) -> bool:
        return self.is_live and self.units_left <= 0

    @property
    def saving(self) -> Decimal:
        return self.sale.variant.price - self.sale.flash_price


def flash_box(variant, *, at=None) -> FlashBox | None:
    """The live (or next, within a day) flash sale of a variant, with its countdown and units left."""
    at = at or timezone.now()
    sale = (
        FlashSale.objects.select_related("variant")
        .filter(variant=variant, is_active=True, ends_at__gt=at, starts_at__lte=at + UPCOMING)
        .order_by("starts_at", "pk")
        .first()
    )
    if sale is None:
        return None
    is_live = sale.starts_at <= at
    return FlashBox(
        sale=sale, is_live=is_live, countdown=Countdown(ends_at=sale.ends_at if is_live else sale.starts_at, now=at),
        units_left=max(0, sale.quota - sale.taken),
    )


def group_buy_box(variant, *, at=None) -> dict | None:
    """The running group buy of a variant and a few open groups to join."""
    at = at or timezone.now()
    campaign = GroupBuy.objects.filter(variant=variant, is_active=True, starts_at__lte=at, ends_at__gt=at).first()
    if campaign is None:
        return None
    groups = list(
        Group.objects.filter(campaign=campaign, status=Group.Status.OPEN, deadline__gt=at, joined__lt=campaign.group_size)
        .select_related("leader")
        .order_by("deadline")[:OPEN_GROUPS_SHOWN]
    )
    return {
        "campaign": campaign,
        "open_groups": [
            {"group": group, "countdown": Countdown(ends_at=group.deadline, now=at), "slots_left": group.size - group.joined}
            for group in groups
        ],
    }


def product_flash_and_group_context(request, product, variant) -> dict:
    """The flash and group-buy boxes; a variant the per-process table names in neither costs no query."""
    from marketing.live_flash import FLASH, GROUP, variant_campaigns

    if variant is None:
        return {"flash": None, "group_buy": None}
    kinds = variant_campaigns(variant.pk, product.pk, within=UPCOMING)
    return {
        "flash": flash_box(variant) if FLASH in kinds else None,
        "group_buy": group_buy_box(variant) if GROUP in kinds else None,
    }


@dataclass(frozen=True)
class GroupPage:
    group: Group
    members: list  # (initial, username shown as "a***", is_leader)
    slots_left: int
    countdown: Countdown

    @property
    def is_open(self) -> bool:
        return self.group.status == Group.Status.OPEN and self.countdown.seconds > 0


def group_page(code: str, *, at=None) -> GroupPage | None:
    """A group by its share code, with its members' initials (never their names) and slots left; None if unknown."""
    from marketing.services.groups import CODE_ALPHABET, initials

    code = str(code or "").strip().upper()
    if not code or len(code) > 16 or any(char not in CODE_ALPHABET for char in code):
        return None
    group = Group.objects.select_related("campaign__variant__product", "leader").filter(code=code).first()
    if group is None:
        return None
    at = at or timezone.now()
    members = [
        {"initial": initials(member.user), "is_leader": member.is_leader}
        for member in group.members.filter(left_at=None).select_related("user").order_by("joined_at", "pk")
    ]
    return GroupPage(group=group, members=members, slots_left=max(0, group.size - group.joined),
                     countdown=Countdown(ends_at=group.deadline, now=at))
