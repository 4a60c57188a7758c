"""Stock changes. Each one locks its rows, checks, writes, and records a movement.

Rows are always locked in primary-key order so that two orders touching the
same SKUs in opposite order queue behind each other instead of deadlocking.
"""

import logging
from collections import Counter
from collections.abc import Iterable
from functools import cache

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone

from catalog.cache import bump_catalog_version
from catalog.fixed_sql import columns, fields, instance, sends_statements_together
from catalog.models import Variant
from catalog.services import refresh_product_stock
from stores.exceptions import NotEnoughStock, OutOfStock
from stores.models import Stock, StockMovement, Store

logger = logging.getLogger(__name__)

Lines = Iterable[tuple[int, int]]  # (variant id, quantity)


def _merge(lines: Lines) -> dict[int, int]:
    merged: Counter = Counter()
    for variant_id, quantity in lines:
        if quantity <= 0:
            raise ValueError("stock changes move at least one unit")
        merged[variant_id] += quantity
    return dict(merged)


def _locked_rows(store_id: int, variant_ids: Iterable[int]) -> dict[int, Stock]:
    rows = Stock.objects.select_for_update().filter(store_id=store_id, variant_id__in=list(variant_ids)).order_by("pk")
    return {row.variant_id: row for row in rows}


def _record(stock: Stock, reason: str, *, on_hand: int = 0, reserved: int = 0, reference="", note="", by=None):
    return StockMovement(
        stock=stock,
        reason=reason,
        on_hand_change=on_hand,
        reserved_change=reserved,
        reference=reference,
        note=note,
        created_by=by,
    )


@transaction.atomic
def receive_stock(*, store_id: int, variant_id: int, quantity: int, reference: str = "", by=None) -> Stock:
    """Add goods that arrived at a store; the row is created on first receipt."""
    if quantity <= 0:
        raise ValueError("a receipt adds at least one unit")
    stock, _ = Stock.objects.get_or_create(store_id=store_id, variant_id=variant_id)
    Stock.objects.filter(pk=stock.pk).update(on_hand=F("on_hand") + quantity)
    _record(stock, StockMovement.Reason.RECEIPT, on_hand=quantity, reference=reference, by=by).save()
    refresh_product_stock_flags(variant_ids=[variant_id])
    stock.refresh_from_db(fields=["on_hand", "reserved"])
    return stock


@transaction.atomic
def adjust_stock(*, stock_id: int, change: int, note: str, by=None) -> Stock:
    """Correct the on-hand count (stocktake, breakage) with a reason; never below what is reserved.

    Raises NotEnoughStock if the change would leave less on hand than reserved.
    """
    if change == 0:
        raise ValueError("an adjustment changes the count")
    stock = Stock.objects.select_for_update().get(pk=stock_id)
    if stock.on_hand + change < stock.reserved:
        raise NotEnoughStock(available=stock.available, requested=-change)
    stock.on_hand += change
    stock.save(update_fields=["on_hand"])
    _record(stock, StockMovement.Reason.ADJUSTMENT, on_hand=change, note=note, by=by).save()
    refresh_product_stock_flags(variant_ids=[stock.variant_id])
    return stock


def reserve_stock(*, store_id: int, lines: Lines, reference: str, by=None) -> None:
    """Reserve every line in one store, or nothing.

    Locks the rows in pk order, re-checks on hand − reserved inside the lock,
    then reserves. Raises OutOfStock naming each short line. Its own
    savepoint: a store found short rolls back, which also lets go of that
    store's row locks before the caller tries another.
    """
    wanted = _merge(lines)
    if connection.in_atomic_block and sends_statements_together() and _transaction_is_usable():
        _reserve_under_savepoint(store_id, wanted, reference, by)
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            rows = _reserve_in_one_statement(store_id, wanted, reference, by)
        else:
            rows = _reserve_with_orm(store_id, wanted, reference, by)
        _after_reserving(wanted, rows)


def _transaction_is_usable() -> bool:
    # A transaction that already failed would refuse the SAVEPOINT; the rollback that follows must
    # never reach an older reservation's savepoint instead. atomic() raises the failure as before.
    from psycopg.pq import TransactionStatus

    return connection.connection.info.transaction_status != TransactionStatus.INERROR


# One fixed name, so the statement's text (and psycopg's parse of it) is the same every time. A rollback
# to it reaches the newest savepoint of that name: this reservation's own, as nothing between its
# SAVEPOINT and its rollback makes another; earlier reservations' stay untouched.
SAVEPOINT = "stock_reserve"


def _reserve_under_savepoint(store_id, wanted, reference, by) -> None:
    """``reserve_stock`` inside the caller's transaction, its savepoint sent with the statement.

    Django's atomic() would send SAVEPOINT and, on success, RELEASE SAVEPOINT as two more round
    trips, the second one while this reservation holds the stock rows: every buyer queued on a
    scarce SKU waited for it. Here the savepoint goes in the same round trip as the reservation and
    is left for the transaction's end to drop; it is rolled back to (letting go of the rows) only
    when a line is short or something fails after it, as atomic() would.
    """
    savepoint = connection.ops.quote_name(SAVEPOINT)
    try:
        with connection.cursor() as cursor:
            params = _reserve_params(store_id, wanted, reference, by)
            cursor.execute(f"SAVEPOINT {savepoint};\n{_reserve_statement()}", params)
            cursor.nextset()
            rows = {variant_id: (before, after) for variant_id, before, after in cursor.fetchall()}
    except BaseException:
        _roll_back_reservation(savepoint, quietly=True)  # the statement itself failed
        raise
    if _shortages(wanted, rows):
        _roll_back_reservation(savepoint)  # nothing was written; this lets go of the rows it locked
        _after_reserving(wanted, rows)  # raises OutOfStock
    try:
        _after_reserving(wanted, rows)
    except BaseException:
        _roll_back_reservation(savepoint, quietly=True)
        raise


def _roll_back_reservation(savepoint: str, *, quietly: bool = False) -> None:
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ROLLBACK TO SAVEPOINT {savepoint}; RELEASE SAVEPOINT {savepoint}")
    except DatabaseError:
        if not quietly:
            raise
        # The savepoint never came to be: the caller's transaction is failing anyway and rolls back whole.


def _shortages(wanted: dict[int, int], rows: dict[int, tuple[int, int | None]]) -> dict[int, int]:
    """{variant id: units available} for each line the store cannot fill."""
    return {
        variant_id: (rows[variant_id][0] if variant_id in rows else 0)
        for variant_id, quantity in wanted.items()
        if variant_id not in rows or rows[variant_id][0] < quantity
    }


def _after_reserving(wanted: dict[int, int], rows: dict[int, tuple[int, int | None]]) -> None:
    """Raise OutOfStock for the short lines, or flag the variants this reservation sold out."""
    shortages = _shortages(wanted, rows)
    if shortages:
        names = dict(Variant.objects.filter(pk__in=shortages).values_list("pk", "product__name"))
        raise OutOfStock(shortages=shortages, names=names)
    # Only a row this reservation emptied can flip a variant to sold out.
    emptied = [variant_id for variant_id, (_before, after) in rows.items() if after == 0]
    if emptied:
        refresh_product_stock_flags(variant_ids=emptied)


@cache
def _reserve_statement() -> str:
    quote = connection.ops.quote_name
    stock, movement = quote(Stock._meta.db_table), quote(StockMovement._meta.db_table)
    return f"""
        WITH wanted (variant_id, quantity) AS (SELECT * FROM unnest(%(variants)s::bigint[], %(quantities)s::integer[])),
        -- FOR UPDATE after ORDER BY: the rows are locked one by one in pk order, and each is read as it is
        -- once its lock is ours (the newest committed version), so the check below sees the live figures.
        locked AS (
            SELECT id, variant_id, on_hand, reserved FROM {stock}
            WHERE store_id = %(store)s AND variant_id = ANY(%(variants)s::bigint[])
            ORDER BY id FOR UPDATE
        ),
        short AS (
            SELECT 1 FROM wanted w LEFT JOIN locked l ON l.variant_id = w.variant_id
            WHERE l.id IS NULL OR l.on_hand - l.reserved < w.quantity
        ),
        -- All or nothing: one short line and no row changes.
        reserved AS (
            UPDATE {stock} s SET reserved = s.reserved + w.quantity
            FROM locked l JOIN wanted w ON w.variant_id = l.variant_id
            WHERE s.id = l.id AND NOT EXISTS (SELECT 1 FROM short)
            RETURNING s.id, s.variant_id, s.on_hand - s.reserved AS available, w.quantity
        ),
        ledger AS (
            INSERT INTO {movement}
                (stock_id, reason, on_hand_change, reserved_change, reference, note, created_by_id, created_at)
            SELECT id, %(reason)s, 0, quantity, %(reference)s, '', %(by)s, %(at)s FROM reserved
        )
        SELECT l.variant_id, l.on_hand - l.reserved, r.available
        FROM locked l LEFT JOIN reserved r ON r.id = l.id
    """


def _reserve_in_one_statement(store_id, wanted, reference, by) -> dict[int, tuple[int, int | None]]:
    """Lock, check, reserve and write the ledger in one round trip: {variant id: (available before, after or None)}.

    ``after`` is None on every row when any line was short (nothing was written).
    """
    with connection.cursor() as cursor:
        cursor.execute(_reserve_statement(), _reserve_params(store_id, wanted, reference, by))
        return {variant_id: (before, after) for variant_id, before, after in cursor.fetchall()}


def _reserve_params(store_id, wanted, reference, by) -> dict:
    return {
        "variants": list(wanted),
        "quantities": list(wanted.values()),
        "store": store_id,
        "reason": StockMovement.Reason.RESERVATION.value,
        "reference": reference,
        "by": by.pk if by is not None else None,
        "at": timezone.now(),
    }


def _reserve_with_orm(store_id, wanted, reference, by) -> dict[int, tuple[int, int | None]]:
    """The same on databases other than PostgreSQL: select_for_update, then one save per row."""
    rows = _locked_rows(store_id, wanted)
    if any(variant_id not in rows or rows[variant_id].available < quantity for variant_id, quantity in wanted.items()):
        return {variant_id: (row.available, None) for variant_id, row in rows.items()}
    movements, result = [], {}
    for variant_id, row in rows.items():
        before = row.available
        row.reserved += wanted[variant_id]
        row.save(update_fields=["reserved"])
        movements.append(_record(row, StockMovement.Reason.RESERVATION, reserved=wanted[variant_id], reference=reference, by=by))
        result[variant_id] = (before, row.available)
    StockMovement.objects.bulk_create(movements)
    return result


@transaction.atomic
def release_stock(*, store_id: int, lines: Lines, reference: str, by=None) -> None:
    """Give reserved units back to sale (an order cancelled or expired before it left)."""
    _move_reserved(store_id, lines, reference, by, StockMovement.Reason.RELEASE, deduct=False)


@transaction.atomic
def deduct_stock(*, store_id: int, lines: Lines, reference: str, by=None) -> None:
    """Turn a reservation into goods gone: shipped or picked up."""
    _move_reserved(store_id, lines, reference, by, StockMovement.Reason.DEDUCTION, deduct=True)


def _move_reserved(store_id, lines, reference, by, reason, *, deduct: bool) -> None:
    wanted = _merge(lines)
    rows = _locked_rows(store_id, wanted)
    movements, refilled = [], []
    for variant_id, quantity in wanted.items():
        row = rows.get(variant_id)
        if row is None or row.reserved < quantity:
            # A reservation that is not there means a bug or a double release: refuse loudly.
            raise NotEnoughStock(available=row.reserved if row else 0, requested=quantity)
        if not deduct and row.available == 0:
            refilled.append(variant_id)  # sold out until this release
        row.reserved -= quantity
        if deduct:
            row.on_hand -= quantity
        row.save(update_fields=["reserved", "on_hand"])
        movements.append(
            _record(row, reason, reserved=-quantity, on_hand=-quantity if deduct else 0, reference=reference, by=by)
        )
    StockMovement.objects.bulk_create(movements)
    # A deduction leaves on hand − reserved as it was; a release matters only for a row that was empty.
    if refilled:
        refresh_product_stock_flags(variant_ids=refilled)


@transaction.atomic
def return_to_stock(*, store_id: int, lines: Lines, reference: str, by=None) -> None:
    """Put returned goods back on the shelf of the store that sent them."""
    wanted = _merge(lines)
    for variant_id in wanted:
        Stock.objects.get_or_create(store_id=store_id, variant_id=variant_id)
    rows = _locked_rows(store_id, wanted)
    movements = []
    for variant_id, quantity in wanted.items():
        row = rows[variant_id]
        row.on_hand += quantity
        row.save(update_fields=["on_hand"])
        movements.append(_record(row, StockMovement.Reason.RETURN, on_hand=quantity, reference=reference, by=by))
    StockMovement.objects.bulk_create(movements)
    refresh_product_stock_flags(variant_ids=wanted)


def refresh_product_stock_flags(*, variant_ids: Iterable[int]) -> None:
    """Set ``is_in_stock`` on these variants and their products from live stock.

    The storefront filters and labels by those flags instead of joining
    stock rows on every listing.
    """
    variant_ids = list(variant_ids)
    sellable = Exists(Stock.objects.filter(variant=OuterRef("pk"), store__is_active=True, on_hand__gt=F("reserved")))
    # Write only flags that flip (rare: a SKU selling out or coming back), so the
    # storefront's page cache survives ordinary reservations.
    if Variant.objects.filter(pk__in=variant_ids).exclude(is_in_stock=sellable).update(is_in_stock=sellable):
        bump_catalog_version()
    product_ids = Variant.objects.filter(pk__in=variant_ids).values_list("product_id", flat=True).distinct()
    refresh_product_stock(product_ids=product_ids)


def _delivery_order(store: Store) -> tuple:
    """Where a store stands in the queue of delivery sources (SHOP_DELIVERY_SOURCE_ORDER).

    "warehouses-first": online warehouses, then stores, each by priority;
    "priority": priority alone.
    """
    if settings.SHOP_DELIVERY_SOURCE_ORDER == "warehouses-first":
        return (store.kind != Store.Kind.WAREHOUSE, store.priority, store.code)
    return (store.priority, store.code)


def delivery_stores() -> list[Store]:
    """Stores that may ship delivery orders, in the order they are tried."""
    return sorted(Store.objects.filter(is_active=True, is_delivery_source=True), key=_delivery_order)


def _stores_with_everything(lines: Lines, **store_filters) -> list[Store]:
    """Stores matching ``store_filters`` whose stock covers every line now, in one query."""
    wanted = _merge(lines)
    if not wanted:
        return []
    if connection.vendor == "postgresql":
        return _stores_covering(wanted, store_filters)
    rows = Stock.objects.filter(variant_id__in=wanted, **{f"store__{k}": v for k, v in store_filters.items()})
    stores: dict[int, Store] = {}
    covered: Counter = Counter()
    for row in rows.select_related("store"):
        if row.available >= wanted[row.variant_id]:
            stores[row.store_id] = row.store
            covered[row.store_id] += 1
    return [store for store_id, store in stores.items() if covered[store_id] == len(wanted)]


@cache
def _covering_statement(filter_names: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    conditions = "".join(f" AND st.{quote(Store._meta.get_field(name).column)} = %s" for name in filter_names)
    return f"""
        SELECT {columns(Store, 'st')}
        FROM {quote(Stock._meta.db_table)} s
        JOIN unnest(%s::bigint[], %s::integer[]) AS w (variant_id, quantity) ON w.variant_id = s.variant_id
        JOIN {quote(Store._meta.db_table)} st ON st.id = s.store_id
        WHERE s.variant_id = ANY(%s::bigint[]) AND s.on_hand - s.reserved >= w.quantity{conditions}
        GROUP BY st.id
        HAVING count(*) = %s
    """


def _stores_covering(wanted: dict[int, int], store_filters: dict) -> list[Store]:
    """The same answer in one fixed SQL text, counted in the database, with no Stock instances built."""
    names = tuple(sorted(store_filters))
    variant_ids = list(wanted)
    params = [variant_ids, list(wanted.values()), variant_ids, *(store_filters[name] for name in names), len(wanted)]
    with connection.cursor() as cursor:
        cursor.execute(_covering_statement(names), params)
        rows = cursor.fetchall()
    store_fields = fields(Store)
    return [instance(Store, store_fields, iter(row)) for row in rows]


def delivery_shortages(*, lines: Lines) -> dict[int, int]:
    """For lines no single delivery source can fill: the most any one source has of it."""
    wanted = _merge(lines)
    best = dict.fromkeys(wanted, 0)
    rows = Stock.objects.filter(
        variant_id__in=wanted, store__is_active=True, store__is_delivery_source=True
    ).values_list("variant_id", "on_hand", "reserved")
    for variant_id, on_hand, reserved in rows:
        best[variant_id] = max(best[variant_id], on_hand - reserved)
    return {variant_id: best[variant_id] for variant_id, quantity in wanted.items() if best[variant_id] < quantity}


def choose_delivery_store(*, lines: Lines) -> Store | None:
    """The first delivery source, in the configured order, that has every line."""
    candidates = _stores_with_everything(lines, is_active=True, is_delivery_source=True)
    return min(candidates, key=_delivery_order, default=None)


def pickup_stores_with(*, lines: Lines) -> list[Store]:
    """Active pick-up stores that have every line available now."""
    candidates = _stores_with_everything(lines, is_active=True, is_pickup_enabled=True, kind=Store.Kind.STORE)
    return sorted(candidates, key=lambda store: (store.priority, store.code))


def claim_low_stock_alerts() -> list[int]:
    """Mark stock rows that fell to their threshold as alerted; return their ids.

    The conditional update is the claim: run twice or concurrently, each
    crossing is claimed once. Rows restocked above the threshold are re-armed.
    """
    now = timezone.now()
    Stock.objects.filter(low_stock_alerted_at__isnull=False, on_hand__gt=F("reserved") + F("low_stock_threshold")).update(
        low_stock_alerted_at=None
    )
    candidates = list(
        Stock.objects.filter(
            low_stock_alerted_at__isnull=True,
            store__is_active=True,
            on_hand__lte=F("reserved") + F("low_stock_threshold"),
        ).values_list("pk", flat=True)[:1000]
    )
    claimed = []
    for stock_id in candidates:
        if Stock.objects.filter(pk=stock_id, low_stock_alerted_at__isnull=True).update(low_stock_alerted_at=now):
            claimed.append(stock_id)
    return claimed


def send_low_stock_alerts(*, stock_ids: list[int]) -> int:
    """Record an admin notice per claimed row and mail each store's managers one list.

    Each store stands alone: when one store's mail fails, its rows are un-claimed
    (the next run alerts again) and the stores after it are still mailed; the
    first failure is raised at the end, so the task retries what a retry can fix.
    Returns how many rows were alerted.
    """
    from django.core.mail import send_mail
    from django.utils.translation import gettext as _

    from stores.models import LowStockAlert, StoreStaff

    rows = list(Stock.objects.filter(pk__in=stock_ids).select_related("store", "variant__product").order_by("store_id", "pk"))
    by_store: dict[int, list[Stock]] = {}
    for row in rows:
        by_store.setdefault(row.store_id, []).append(row)
    managers: dict[int, list[str]] = {}
    for store_id, email in StoreStaff.objects.filter(
        store_id__in=by_store, role=StoreStaff.Role.MANAGER, user__is_active=True
    ).values_list("store_id", "user__email"):
        if email:
            managers.setdefault(store_id, []).append(email)
    alerted = 0
    first_failure: Exception | None = None
    for store_id, store_rows in by_store.items():
        recipients = managers.get(store_id, [])
        if recipients:
            lines = [
                f"{row.variant.product.name} ({row.variant.sku}): {row.available} / {row.low_stock_threshold}"
                for row in store_rows
            ]
            subject = _("Low stock at %(store)s") % {"store": store_rows[0].store.name}
            try:
                send_mail(subject, "\n".join(lines), None, recipients)
            except Exception as err:
                # Un-claim this store's rows so the next run alerts again instead of losing the crossing.
                Stock.objects.filter(pk__in=[row.pk for row in store_rows]).update(low_stock_alerted_at=None)
                logger.warning("low-stock alert for store %s not sent: %s", store_id, err)
                first_failure = first_failure or err
                continue
        LowStockAlert.objects.bulk_create(
            LowStockAlert(
                stock=row, available=row.available, threshold=row.low_stock_threshold, emailed_to=", ".join(recipients)
            )
            for row in store_rows
        )
        alerted += len(store_rows)
    if first_failure is not None:
        raise first_failure
    return alerted
