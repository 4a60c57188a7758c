"""Reads of stores and stock for pages."""

from django.core.cache import caches

from stores.models import Stock, Store


AVAILABILITY_SECONDS = 15


def product_availability(request, product, variant) -> dict:
    """Where the chosen variant can be had: online (any delivery source) and which stores for pick-up.

    Plugged into the catalogue's product page through CATALOG_PRODUCT_CONTEXT_PROVIDERS,
    so the catalogue never imports the stores app. Cached for a few seconds: the figures
    only inform the shopper, and checkout re-checks stock under lock.
    """
    if variant is None:
        return {"pickup_stores": [], "online_available": 0}
    key = f"stores:availability:{variant.pk}"
    local = caches["pages"]  # this process's cache: a few seconds stale at most
    figures = local.get(key)
    if figures is None:
        figures = _availability(variant)
        local.set(key, figures, AVAILABILITY_SECONDS)
    return figures


def _availability(variant) -> dict:
    rows = (
        Stock.objects.filter(variant=variant, store__is_active=True)
        .select_related("store")
        .order_by("store__priority", "store__code")
    )
    online = 0
    pickup = []
    for row in rows:
        if row.store.is_delivery_source:
            online += max(row.available, 0)
        if row.store.is_pickup_enabled and row.store.kind == Store.Kind.STORE and row.available > 0:
            pickup.append({"store": row.store, "available": row.available})
    return {"pickup_stores": pickup, "online_available": online}
