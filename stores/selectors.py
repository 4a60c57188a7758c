"""Reads of stores and stock for pages."""

from functools import cache

from django.core.cache import caches
from django.db import connection

from catalog.fixed_sql import PreparedStatement, columns, from_db
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
    # This process's cache: a few seconds stale at most. Not the objects cache, though a pickle costs more:
    # one entry per product viewed would push out the few thousand shared objects it holds for listings.
    local = caches["pages"]
    figures = local.get(key)
    if figures is None:
        figures = _availability(variant)
        local.set(key, figures, AVAILABILITY_SECONDS)
    return figures


def _availability(variant) -> dict:
    online = 0
    pickup = []
    for on_hand, reserved, store in _stock_rows(variant.pk):
        available = on_hand - reserved  # Stock.available
        if store.is_delivery_source:
            online += max(available, 0)
        if store.is_pickup_enabled and store.kind == Store.Kind.STORE and available > 0:
            pickup.append({"store": store, "available": available})
    return {"pickup_stores": pickup, "online_available": online}


def _stock_rows(variant_id: int) -> list[tuple[int, int, Store]]:
    """(on hand, reserved, store) of the variant in each active store, by store priority.

    One fixed SQL text rather than a queryset: every cold product page asks, and the ORM's building
    and compiling of the query cost three times the query itself. On PostgreSQL it is prepared once per
    connection (planning the join cost about a third of running it); SQLite is sent the text itself.
    """
    with connection.cursor() as cursor:
        STOCK_ROWS.execute(cursor, [variant_id])
        rows = cursor.fetchall()
    names = [field.attname for field in Store._meta.concrete_fields]
    return [(on_hand, reserved, from_db(Store, names, store)) for on_hand, reserved, *store in rows]


@cache
def _stock_rows_sql() -> str:
    quote = connection.ops.quote_name
    stock = Stock._meta
    return (
        f"SELECT s.{quote(stock.get_field('on_hand').column)}, s.{quote(stock.get_field('reserved').column)},"
        f" {columns(Store, 'st')} FROM {quote(stock.db_table)} s JOIN {quote(Store._meta.db_table)} st"
        f" ON st.id = s.{quote(stock.get_field('store').column)}"
        f" WHERE s.{quote(stock.get_field('variant').column)} = %s AND st.is_active ORDER BY st.priority, st.code"
    )


STOCK_ROWS = PreparedStatement("stores_stock_rows", _stock_rows_sql)


# --- who works where ---------------------------------------------------------------------
# Head office is a superuser, or active staff with no store assignment (the same rule as the
# order workflow's staff_actor); a StoreStaff row narrows a person to their stores and role.


def is_head_office(user) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    # Staff of some other department (the catalogue only) are not head office for the stores.
    return user.is_staff and user.has_module_perms("stores") and not assigned_store_ids(user)


def assigned_store_ids(user) -> frozenset[int]:
    """The stores a StoreStaff assignment ties this person to; empty for the unassigned (and for a superuser).

    Cached on the user object for the request, since every scoped admin page asks several times.
    """
    from stores.models import StoreStaff

    if user is None or not user.is_authenticated or not user.is_active or user.is_superuser:
        return frozenset()
    cached = getattr(user, "_assigned_store_ids", None)
    if cached is None:
        cached = frozenset(StoreStaff.objects.filter(user=user).values_list("store_id", flat=True))
        user._assigned_store_ids = cached
    return cached


def store_scope(user) -> frozenset[int] | None:
    """None when nothing narrows this person (a superuser, or staff without a store assignment, whose model
    permissions alone decide), else the ids of the only stores they may see. The back office's scoping rule."""
    return assigned_store_ids(user) or None


def stores_for(user):
    """The stores this person may see: every store for head office, their assigned stores otherwise."""
    if is_head_office(user):
        return Store.objects.all()
    if user is None or not user.is_authenticated or not user.is_active:
        return Store.objects.none()
    return Store.objects.filter(pk__in=assigned_store_ids(user))


def store_role(user, store_id: int) -> str | None:
    """``"hq"`` for head office, the StoreStaff role in that store, or None."""
    from stores.models import StoreStaff

    if is_head_office(user):
        return "hq"
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    return StoreStaff.objects.filter(user=user, store_id=store_id).values_list("role", flat=True).first()


def can_manage_store(user, store_id: int) -> bool:
    """Approve transfers out of it, apply and cancel its stocktakes: its manager or head office."""
    from stores.models import StoreStaff

    return store_role(user, store_id) in ("hq", StoreStaff.Role.MANAGER)


def can_work_in_store(user, store_id: int) -> bool:
    """Count, dispatch and receive stock there: any of its staff (clerks too) or head office."""
    return store_role(user, store_id) is not None


def spare_stock_elsewhere(*, variant_id: int, exclude_store_id: int) -> Stock | None:
    """The active store with the most of this SKU free to sell above its own threshold, for a transfer offer."""
    rows = (
        Stock.objects.filter(variant_id=variant_id, store__is_active=True)
        .exclude(store_id=exclude_store_id)
        .select_related("store")
    )
    best = max(rows, key=lambda row: row.available - row.low_stock_threshold, default=None)
    if best is None or best.available - best.low_stock_threshold <= 0:
        return None
    return best
