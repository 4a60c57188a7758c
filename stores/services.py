"""Stock changes. Each one locks its row, checks, writes, and records a movement."""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Exists, F, OuterRef

from catalog.models import Product
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
    """Set ``Product.is_in_stock`` for the products of these variants from live stock.

    The storefront filters on that flag instead of joining stock on every listing.
    """
    product_ids = Product.objects.filter(variants__pk__in=list(variant_ids)).values("pk")
    available = Stock.objects.filter(
        variant__product=OuterRef("pk"), variant__is_active=True, store__is_active=True, on_hand__gt=F("reserved")
    )
    Product.objects.filter(pk__in=product_ids).update(is_in_stock=Exists(available))
