"""Stock changes. Each one locks its row, checks, writes, and records a movement."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, F, OuterRef

from catalog.models import Variant
from catalog.services import refresh_product_stock
from stores.exceptions import NotEnoughStock
from stores.models import Stock, StockMovement


@transaction.atomic
def receive_stock(*, store_id: int, variant_id: int, quantity: int, reference: str = "", by=None) -> Stock:
    """Add goods that arrived at a store; the row is created on first receipt."""
    if quantity <= 0:
        raise ValueError("a receipt adds at least one unit")
    stock, _ = Stock.objects.get_or_create(store_id=store_id, variant_id=variant_id)
    Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    StockMovement.objects.create(
        stock=stock, reason=StockMovement.Reason.RECEIPT, on_hand_change=quantity, reference=reference, created_by=by
    )
    refresh_product_stock_flags(variant_ids=[variant_id])
    stock.refresh_from_db(fields=["on_hand", "reserved"])
    return stock


@transaction.atomic
def adjust_stock(*, stock_id: int, change: int, note: str, by=None) -> Stock:
    """Correct the on-hand count (stocktake, breakage); never below what is reserved.

    Raises NotEnoughStock if the change would leave less on hand than reserved.
    """
    stock = Stock.objects.select_for_update().get(pk=stock_id)
    if stock.on_hand + change < stock.reserved:
        raise NotEnoughStock(available=stock.available, requested=-change)
    stock.on_hand += change
    stock.save(update_fields=["on_hand"])
    StockMovement.objects.create(
        stock=stock, reason=StockMovement.Reason.ADJUSTMENT, on_hand_change=change, note=note, created_by=by
    )
    refresh_product_stock_flags(variant_ids=[stock.variant_id])
    return stock


def refresh_product_stock_flags(*, variant_ids: Iterable[int]) -> None:
    """Set ``is_in_stock`` on these variants and their products from live stock.

    The storefront filters and labels by those flags instead of joining
    stock rows on every listing.
    """
    variant_ids = list(variant_ids)
    sellable = Stock.objects.filter(variant=OuterRef("pk"), store__is_active=True, on_hand__gt=F("reserved"))
    Variant.objects.filter(pk__in=variant_ids).update(is_in_stock=Exists(sellable))
    product_ids = Variant.objects.filter(pk__in=variant_ids).values_list("product_id", flat=True).distinct()
    refresh_product_stock(product_ids=product_ids)
