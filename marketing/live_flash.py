"""Live flash sales and group buys for cards and product pages: one small table per process, keyed by the catalogue version.

A page of cards asks "is this product in a flash sale now?" once per card;
the table answers from memory (one query per process and catalogue version,
none per card). Saving a flash sale bumps the version (marketing.signals).
The window is checked at lookup time, so a sale that opens or closes needs
no reload. Units left are not shown on cards: they change by the second and
the product page reads them fresh, and only for a product the table names.
Group buys ride in the same table (one UNION query), so a product page with
neither costs no query of its own.
"""

import threading
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import CharField, Value
from django.db.models import F as models_F
from django.utils import timezone

from catalog.cache import catalog_version
from marketing.models import FlashSale, GroupBuy

FLASH, GROUP = "flash", "group"


@dataclass(frozen=True)
class CardFlash:
    product_id: int
    flash_price: Decimal  # the flash price, or a group buy's group price
    starts_at: datetime
    ends_at: datetime
    kind: str = FLASH
    variant_id: int = 0

    def is_live(self, at: datetime) -> bool:
        return self.starts_at <= at < self.ends_at


_lock = threading.Lock()
_tables: dict = {}


def _load() -> dict[int, list[CardFlash]]:
    now = timezone.now()
    columns = ("kind", "variant__product_id", "variant_id", "price", "starts_at", "ends_at")
    flash = (
        FlashSale.objects.filter(is_active=True, ends_at__gt=now)
        .annotate(kind=Value(FLASH, output_field=CharField()), price=models_F("flash_price"))
        .order_by()  # no default ordering inside a UNION: SQLite (the zero-setup demo) refuses it
        .values_list(*columns)
    )
    groups = (
        GroupBuy.objects.filter(is_active=True, ends_at__gt=now)
        .annotate(kind=Value(GROUP, output_field=CharField()), price=models_F("group_price"))
        .order_by()
        .values_list(*columns)
    )
    table: dict[int, list[CardFlash]] = {}
    for kind, product_id, variant_id, price, starts_at, ends_at in flash.union(groups, all=True):
        table.setdefault(product_id, []).append(
            CardFlash(product_id, price, starts_at, ends_at, kind=kind, variant_id=variant_id)
        )
    return table


def flash_table() -> dict[int, list[CardFlash]]:
    version = catalog_version()
    table = _tables.get(version)
    if table is None:
        with _lock:
            table = _tables.get(version)
            if table is None:
                table = _load()
                _tables.clear()  # keep only the current version's table
                _tables[version] = table
    return table


def card_flash(product_id: int, *, at: datetime | None = None) -> CardFlash | None:
    """The flash sale running now on any variant of the product (the lowest price), or None."""
    at = at or timezone.now()
    live = [entry for entry in flash_table().get(product_id, ()) if entry.kind == FLASH and entry.is_live(at)]
    return min(live, key=lambda entry: entry.flash_price) if live else None


def variant_campaigns(variant_id: int, product_id: int, *, within=None, at: datetime | None = None) -> set[str]:
    """Which kinds ("flash", "group") run on the variant now (or, for flash, start within ``within``)."""
    at = at or timezone.now()
    kinds = set()
    for entry in flash_table().get(product_id, ()):
        if entry.variant_id != variant_id:
            continue
        if entry.is_live(at) or (within is not None and entry.kind == FLASH and at < entry.starts_at <= at + within):
            kinds.add(entry.kind)
    return kinds
