"""Reads that the order pages, emails, the admin and the services share."""

import uuid
from decimal import Decimal

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet
from django.http import Http404

from catalog.models import SEARCH_COLUMNS, Variant, visible_product
from orders.models import CartLine, Order, OrderEvent, OrderLine, OrderLineAdjustment, ShippingMethod
from stores.models import Stock, Store
from stores.services import delivery_stores, pickup_stores_with


def line_shares_prefetch(lookup: str = "lines") -> Prefetch:
    """Prefetch for an order's lines with each line's shares and their adjustments, in a fixed two queries."""
    return Prefetch(
        lookup,
        queryset=OrderLine.objects.order_by("id").prefetch_related(
            Prefetch("allocations", queryset=OrderLineAdjustment.objects.select_related("adjustment").order_by("id"))
        ),
    )


def line_explanation(line: OrderLine) -> list[tuple[str, Decimal]]:
    """Why an order line costs what it does: (label in the active language, signed share) per adjustment.

    Uses the line's prefetched ``allocations`` (``line_shares_prefetch``), so
    a page listing many lines makes no query per line.
    """
    return [(allocation.adjustment.label, allocation.amount) for allocation in line.allocations.all()]


def orders_for_member(user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("lines").order_by("-placed_at", "-id")


def order_for_member(user, number: str) -> Order:
    """The member's own order with everything its page shows; 404 for anyone else's."""
    order = (
        Order.objects.filter(user=user, number=number)
        .select_related("store")
        .prefetch_related(
            line_shares_prefetch(),
            "adjustments",
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
            "return_requests",
            "refunds",
        )
        .first()
    )
    if order is None:
        raise Http404("No such order")
    return order


def order_for_receipt(order_id: int) -> Order | None:
    """An order with its lines, their shares and its adjustments, as an email shows them."""
    return (
        Order.objects.filter(pk=order_id)
        .select_related("user")
        .prefetch_related(line_shares_prefetch(), "adjustments")
        .first()
    )


def order_for_checkout_token(*, user_id: int, token) -> Order | None:
    """The member's order made by the checkout ``token``, if that checkout already went through."""
    try:
        token = uuid.UUID(str(token))
    except (TypeError, ValueError, AttributeError):
        return None
    return Order.objects.filter(user_id=user_id, checkout_token=token).first()


def member_cart_lines(user_id: int) -> list[tuple[Variant, int]]:
    """The member's cart lines; each variant carries ``on_sale`` (active, product visible now)."""
    if connection.vendor == "postgresql":
        # One fixed SQL text instead of a queryset built per call (orders/checkout_queries.py says why).
        from orders.checkout_queries import cart_lines_for_checkout

        return cart_lines_for_checkout(user_id)
    on_sale = ExpressionWrapper(
        visible_product("variant__product__") & Q(variant__is_active=True), output_field=BooleanField()
    )
    rows = (
        CartLine.objects.filter(cart__user_id=user_id)
        .select_related("variant__product")
        .defer(*(f"variant__product__{column}" for column in SEARCH_COLUMNS))
        .prefetch_related("variant__option_values")
        .annotate(on_sale=on_sale)
        .order_by("added_at", "id")
    )
    lines = []
    for row in rows:
        row.variant.on_sale = row.on_sale
        lines.append((row.variant, row.quantity))
    return lines


def shipping_methods_for(province: str) -> list[ShippingMethod]:
    """Active shipping methods that deliver to ``province``, in their display order."""
    return [m for m in ShippingMethod.objects.filter(is_active=True) if m.serves(province)]


def pickup_stores_for(lines: list[tuple[Variant, int]]) -> list[Store]:
    """Pick-up stores that have every line in stock now."""
    return pickup_stores_with(lines=[(variant.pk, quantity) for variant, quantity in lines])


def delivery_sources_with(lines) -> list[Store]:
    """Delivery sources that have every (variant id, quantity) of ``lines`` now, in the order they are tried."""
    wanted: dict[int, int] = {}
    for variant_id, quantity in lines:
        wanted[variant_id] = wanted.get(variant_id, 0) + quantity
    sources = delivery_stores()
    rows = Stock.objects.filter(store__in=[s.pk for s in sources], variant_id__in=wanted).values_list(
        "store_id", "variant_id", "on_hand", "reserved"
    )
    covered: dict[int, int] = {}
    for store_id, variant_id, on_hand, reserved in rows:
        if on_hand - reserved >= wanted[variant_id]:
            covered[store_id] = covered.get(store_id, 0) + 1
    return [store for store in sources if covered.get(store.pk) == len(wanted)]
