"""Flash sales (限时秒杀): which are live, what a member may still have at the flash price, taking and giving back units.

The quota is one row (``FlashSale.taken``) moved only by guarded UPDATEs, so
the flash price is never sold beyond the cap; the per-member limit is counted
under the member's account lock (the caller holds it: lock order step 4, this
row is step 5), so ten tabs of one member cannot pass it together.
"""

from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.models import FlashSale, FlashSaleTake
from marketing.rules import UnitPriceRule


class FlashSaleError(Exception):
    """The flash price cannot be had (sold out, over the limit, ended). ``message`` is fit to show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FlashOffer:
    """A live flash sale as one shopper sees it now."""

    sale: FlashSale
    quota_left: int
    member_left: int

    @property
    def units_for_member(self) -> int:
        return max(0, min(self.quota_left, self.member_left))

    @property
    def is_sold_out(self) -> bool:
        return self.quota_left <= 0


def live_flash_sales(*, variant_ids, at=None) -> dict[int, FlashSale]:
    """The live flash sale of each variant (one query); the earliest-ending wins if two overlap."""
    at = at or timezone.now()
    sales = FlashSale.objects.filter(
        variant_id__in=list(variant_ids), is_active=True, starts_at__lte=at, ends_at__gt=at
    ).order_by("-ends_at", "-pk")
    return {sale.variant_id: sale for sale in sales}


def flash_offers(*, user_id: int | None, variant_ids, at=None) -> dict[int, FlashOffer]:
    """Live flash sales for these variants with what this member may still have (two queries at most)."""
    sales = live_flash_sales(variant_ids=variant_ids, at=at)
    if not sales:
        return {}
    held: dict[int, int] = defaultdict(int)
    if user_id is not None:
        rows = (
            FlashSaleTake.objects.filter(user_id=user_id, released_at=None, flash_sale__in=list(sales.values()))
            .values("flash_sale_id")
            .annotate(units=Sum("quantity"))
        )
        for row in rows:
            held[row["flash_sale_id"]] = row["units"]
    return {
        variant_id: FlashOffer(
            sale=sale,
            quota_left=max(0, sale.quota - sale.taken),
            member_left=max(0, sale.per_member_limit - held[sale.pk]) if user_id is not None else sale.per_member_limit,
        )
        for variant_id, sale in sales.items()
    }


def flash_price_rules(*, user_id: int | None, variant_ids, at=None, offers=None) -> list[UnitPriceRule]:
    """Unit-price rules for pricing step 1: the flash price for as many units as this member may still have.

    ``offers`` (``flash_offers`` for these variants, already read by the caller) saves reading them again.
    """
    if offers is None:
        offers = flash_offers(user_id=user_id, variant_ids=variant_ids, at=at)
    return [
        UnitPriceRule(
            variant_id=variant_id,
            price=offer.sale.flash_price,
            max_units=offer.units_for_member,
            reference=f"flash:{offer.sale.pk}",
            kind="flash",
        )
        for variant_id, offer in offers.items()
        if offer.units_for_member > 0
    ]


def check_flash_quantity(*, user_id: int, variant_id: int, quantity: int, name: str, offers=None) -> None:
    """Refuse a line that asks for more units than the flash price still allows this member.

    Units beyond the allowance are not sold at the normal price while the sale
    is open to the shopper: they would pay two prices for one line without
    noticing. Once the member's allowance or the quota is used up, the normal
    price applies again. Raises FlashSaleError. ``offers``: as for ``flash_price_rules``.
    """
    if offers is None:
        offers = flash_offers(user_id=user_id, variant_ids=[variant_id])
    offer = offers.get(variant_id)
    if offer is None or offer.units_for_member <= 0 or quantity <= offer.units_for_member:
        return
    if offer.quota_left < offer.member_left:
        raise FlashSaleError(
            _("Only %(left)s of %(name)s are left at the flash price; lower the quantity to %(left)s.")
            % {"left": offer.quota_left, "name": name}
        )
    raise FlashSaleError(
        _("The flash price of %(name)s is limited to %(limit)s per member; lower the quantity to %(left)s.")
        % {"name": name, "limit": offer.sale.per_member_limit, "left": offer.member_left}
    )


def take_flash_units(*, user_id: int, order_number: str, flash_sale_id: int, quantity: int, at=None) -> FlashSaleTake:
    """Take ``quantity`` units of the quota for an order; never beyond the cap or the member's limit.

    The caller holds the member's account lock (lock order step 4) inside its
    transaction, so the member's takes counted here cannot change under us;
    the quota moves by one guarded UPDATE (taken + n <= quota) that locks the
    sale's row until commit. Raises FlashSaleError; nothing is written then.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("flash units are taken inside the checkout transaction")
    at = at or timezone.now()
    sale = FlashSale.objects.filter(pk=flash_sale_id).first()
    if sale is None or not sale.is_active or not (sale.starts_at <= at < sale.ends_at):
        raise FlashSaleError(_("This flash sale has ended; the normal price applies now."))
    held = (
        FlashSaleTake.objects.filter(user_id=user_id, flash_sale_id=flash_sale_id, released_at=None)
        .aggregate(units=Sum("quantity"))["units"]
        or 0
    )
    if held + quantity > sale.per_member_limit:
        raise FlashSaleError(
            _("The flash price is limited to %(limit)s per member, and you already have %(held)s.")
            % {"limit": sale.per_member_limit, "held": held}
        )
    taken = FlashSale.objects.filter(
        pk=flash_sale_id, is_active=True, taken__lte=F("quota") - quantity
    ).update(taken=F("taken") + quantity)
    if not taken:
        raise FlashSaleError(_("Sold out just now: the flash units are gone and the normal price applies."))
    return FlashSaleTake.objects.create(
        flash_sale_id=flash_sale_id, user_id=user_id, order_number=order_number, quantity=quantity
    )


def release_flash_units(*, order_number: str) -> int:
    """Give an order's flash units back to their quotas, exactly once; returns how many went back.

    The take is claimed by a conditional update (released_at still empty), so
    a cancel and an expiry racing each other give the units back once.
    """
    given_back = 0
    takes = FlashSaleTake.objects.filter(order_number=order_number, released_at=None).order_by("flash_sale_id")
    for take in takes.values("pk", "flash_sale_id", "quantity"):
        claimed = FlashSaleTake.objects.filter(pk=take["pk"], released_at=None).update(released_at=timezone.now())
        if claimed:
            FlashSale.objects.filter(pk=take["flash_sale_id"], taken__gte=take["quantity"]).update(
                taken=F("taken") - take["quantity"]
            )
            given_back += take["quantity"]
    return given_back


def flash_sale_figures(sale: FlashSale) -> dict:
    """Sold (held by paid or unpaid orders) and remaining units, for the admin."""
    return {"sold": sale.taken, "remaining": max(0, sale.quota - sale.taken)}


def live_flash_badges(*, variant_ids=None, at=None) -> dict[int, FlashSale]:
    """Live flash sales by PRODUCT id for listing cards: one query for the whole page."""
    at = at or timezone.now()
    sales = FlashSale.objects.filter(is_active=True, starts_at__lte=at, ends_at__gt=at).select_related("variant")
    if variant_ids is not None:
        sales = sales.filter(variant_id__in=list(variant_ids))
    return {sale.variant.product_id: sale for sale in sales.order_by("-ends_at")}


__all__ = [
    "FlashOffer",
    "FlashSaleError",
    "check_flash_quantity",
    "flash_offers",
    "flash_price_rules",
    "flash_sale_figures",
    "live_flash_badges",
    "live_flash_sales",
    "release_flash_units",
    "take_flash_units",
]
