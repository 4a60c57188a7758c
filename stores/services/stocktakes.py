"""Stocktakes (盘点): open a count session, record counts (typed, scanned or a CSV), apply the variance once.

Sales go on while staff count. So each line keeps the on-hand figure of the
snapshot taken when the session opened, and the ledger position then
(``Stocktake.snapshot_movement_id``); when a count is entered, the ledger
position of that moment is kept too. What the system expected on the shelf
at the count is the snapshot plus the on-hand movements in between:

    variance = counted − (snapshot + movements between the snapshot and the count)

Applying writes one ledger adjustment per line with a variance, on top of
whatever on hand is now, so movements after the count are kept. The session
row is locked first and then the stock rows by pk; an applied session is
applied once, however often "apply" is posted.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.models import Category, Variant
from shop.money import to_money
from stores.exceptions import StockError
from stores.models import Stock, StockMovement, Stocktake, StocktakeLine
from stores.selectors import can_manage_store, can_work_in_store
from stores.services import _locked_rows, _record, refresh_product_stock_flags

S = Stocktake.Status
MAX_COUNT = 1_000_000
MAX_CSV_ROWS = 20_000


class StocktakeError(StockError):
    """A count or an apply that may not happen; ``message`` is fit to show."""


def _last_movement_id() -> int:
    return StockMovement.objects.aggregate(last=Max("pk"))["last"] or 0


def _variants_in_scope(category: Category | None):
    variants = Variant.objects.all()
    if category is not None:
        subtree = Category.objects.filter(Q(pk=category.pk) | Q(path__startswith=category.path))
        variants = variants.filter(product__category__in=subtree)
    return variants


@transaction.atomic
def open_stocktake(*, store_id: int, by, category: Category | None = None, note: str = "") -> Stocktake:
    """Start counting a store (every SKU with a stock row there, or one category's): snapshot on hand now.

    The store's stock rows are locked while the snapshot and the ledger
    position are read, so no movement of theirs falls between the two.
    Raises StocktakeError.
    """
    if not can_work_in_store(by, store_id):
        raise StocktakeError(_("You may only count your own stores."))
    rows = list(
        Stock.objects.select_for_update()
        .filter(store_id=store_id, variant__in=_variants_in_scope(category))
        .order_by("pk")
    )
    stocktake = Stocktake.objects.create(
        store_id=store_id, category=category, opened_by=by, note=note[:255], snapshot_movement_id=_last_movement_id()
    )
    StocktakeLine.objects.bulk_create(
        StocktakeLine(stocktake=stocktake, variant_id=row.variant_id, snapshot_on_hand=row.on_hand) for row in rows
    )
    return stocktake


def _open_session(stocktake_id: int, by, *, manage: bool = False) -> Stocktake:
    stocktake = Stocktake.objects.select_for_update().get(pk=stocktake_id)
    allowed = can_manage_store(by, stocktake.store_id) if manage else can_work_in_store(by, stocktake.store_id)
    if not allowed:
        raise StocktakeError(_("You may not do this for stocktake %(reference)s.") % {"reference": stocktake.reference})
    return stocktake


def _require_open(stocktake: Stocktake) -> None:
    if stocktake.status != S.OPEN:
        raise StocktakeError(
            _("Stocktake %(reference)s is %(status)s: counts can no longer change.")
            % {"reference": stocktake.reference, "status": stocktake.get_status_display()}
        )


def _line_for(stocktake: Stocktake, variant: Variant) -> StocktakeLine:
    line = stocktake.lines.filter(variant=variant).first()
    if line is not None:
        return line
    if not _variants_in_scope(stocktake.category).filter(pk=variant.pk).exists():
        raise StocktakeError(_("%(sku)s is not in the category of this count.") % {"sku": variant.sku})
    # Found on the shelf with no stock row when the session opened: the system expected none.
    return StocktakeLine.objects.create(stocktake=stocktake, variant=variant, snapshot_on_hand=0)


def _set_count(line: StocktakeLine, count: int, by) -> None:
    if count < 0 or count > MAX_COUNT:
        raise StocktakeError(_("A count is between 0 and %(max)s.") % {"max": MAX_COUNT})
    line.counted, line.counted_at, line.counted_by = count, timezone.now(), by
    line.counted_movement_id = _last_movement_id()
    line.save(update_fields=["counted", "counted_at", "counted_by", "counted_movement_id"])


@transaction.atomic
def record_count(*, stocktake_id: int, sku: str, by, count: int | None = None, add: int = 0) -> StocktakeLine:
    """Set a SKU's count (typed) or add to it (each scan adds one). Raises StocktakeError."""
    stocktake = _open_session(stocktake_id, by)
    _require_open(stocktake)
    variant = Variant.objects.filter(sku=(sku or "").strip()).first()
    if variant is None:
        raise StocktakeError(_("No SKU with the code “%(sku)s”.") % {"sku": sku})
    line = _line_for(stocktake, variant)
    new = count if count is not None else (line.counted or 0) + add
    _set_count(line, int(new), by)
    return line


def parse_counts_csv(data: bytes) -> tuple[list[tuple[str, int]], list[str]]:
    """Rows of "sku,count" (a header row is allowed) and an error per bad row; nothing is written here."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [_("The file is not UTF-8 text.")]
    rows, errors = [], []
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if number > MAX_CSV_ROWS:
            errors.append(_("The file has more than %(max)s rows.") % {"max": MAX_CSV_ROWS})
            break
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].lower() == "sku":
            continue
        if len(cells) < 2 or not cells[1].isdigit() or int(cells[1]) > MAX_COUNT:
            errors.append(_("Row %(number)s: write the SKU code and a whole count.") % {"number": number})
            continue
        rows.append((cells[0], int(cells[1])))
    return rows, errors


@transaction.atomic
def import_counts(*, stocktake_id: int, rows: list[tuple[str, int]], by) -> int:
    """Set the counts of many SKUs at once; all of them or, on any bad row, none. Raises StocktakeError."""
    stocktake = _open_session(stocktake_id, by)
    _require_open(stocktake)
    variants = {variant.sku: variant for variant in Variant.objects.filter(sku__in=[sku for sku, _count in rows])}
    unknown = sorted({sku for sku, _count in rows if sku not in variants})
    if unknown:
        raise StocktakeError(_("Unknown SKU codes: %(skus)s. Nothing was imported.") % {"skus": ", ".join(unknown[:20])})
    for sku, count in rows:
        _set_count(_line_for(stocktake, variants[sku]), count, by)
    return len(rows)


@dataclass(frozen=True)
class Variance:
    line: StocktakeLine
    expected: int | None  # snapshot + movements until the count; None until counted
    units: int | None
    value: Decimal | None  # units × the variant's price


def variances(stocktake: Stocktake) -> list[Variance]:
    """Each line's variance against the system, in units and value at the variant's price (counted lines only)."""
    lines = list(stocktake.lines.select_related("variant__product").order_by("variant__sku"))
    stock_ids = dict(
        Stock.objects.filter(store_id=stocktake.store_id, variant_id__in=[line.variant_id for line in lines])
        .values_list("variant_id", "pk")
    )
    result = []
    for line in lines:
        if line.counted is None:
            result.append(Variance(line, None, None, None))
            continue
        since = 0
        if line.variant_id in stock_ids:
            since = StockMovement.objects.filter(
                stock_id=stock_ids[line.variant_id], pk__gt=stocktake.snapshot_movement_id,
                pk__lte=line.counted_movement_id or 0,
            ).aggregate(total=Sum("on_hand_change"))["total"] or 0
        expected = line.snapshot_on_hand + since
        units = line.counted - expected
        result.append(Variance(line, expected, units, to_money(line.variant.price * units)))
    return result


def variance_totals(rows: list[Variance]) -> dict:
    counted = [row for row in rows if row.units is not None]
    return {
        "lines": len(rows),
        "counted": len(counted),
        "units": sum(row.units for row in counted),
        "value": sum((row.value for row in counted), Decimal("0.00")),
    }


@transaction.atomic
def apply_stocktake(*, stocktake_id: int, by) -> Stocktake:
    """Write each counted line's variance to the ledger as an adjustment, in one step, once.

    A session already applied is returned as it is. Manager or HQ only. An
    adjustment that would leave less on hand than is reserved refuses the
    whole apply. Raises StocktakeError.
    """
    stocktake = _open_session(stocktake_id, by, manage=True)
    if stocktake.status == S.APPLIED:
        return stocktake
    _require_open(stocktake)
    changes = {row.line.variant_id: (row.line, row.units) for row in variances(stocktake) if row.units}
    for variant_id in changes:
        Stock.objects.get_or_create(store_id=stocktake.store_id, variant_id=variant_id)
    rows = _locked_rows(stocktake.store_id, changes)
    short = []
    for variant_id, (line, units) in changes.items():
        row = rows[variant_id]
        if row.on_hand + units < row.reserved:
            short.append(_("%(sku)s: %(reserved)s reserved for orders, %(after)s would be left")
                         % {"sku": line.variant.sku, "reserved": row.reserved, "after": row.on_hand + units})
    if short:
        raise StocktakeError(_("Not applied: %(details)s.") % {"details": "; ".join(short)})
    movements = []
    for variant_id, (line, units) in changes.items():
        row = rows[variant_id]
        row.on_hand += units
        row.save(update_fields=["on_hand"])
        movements.append(_record(row, StockMovement.Reason.STOCKTAKE, on_hand=units, reference=stocktake.reference,
                                 note=_("Counted %(counted)s") % {"counted": line.counted}, by=by))
        line.applied_change = units
        line.save(update_fields=["applied_change"])
    StockMovement.objects.bulk_create(movements)
    stocktake.lines.filter(counted__isnull=False, applied_change__isnull=True).update(applied_change=0)
    stocktake.status, stocktake.applied_by, stocktake.applied_at = S.APPLIED, by, timezone.now()
    stocktake.save(update_fields=["status", "applied_by", "applied_at"])
    if changes:
        refresh_product_stock_flags(variant_ids=changes)
    return stocktake


@transaction.atomic
def cancel_stocktake(*, stocktake_id: int, by) -> Stocktake:
    """Drop an open count; nothing was applied. Manager or HQ only. Raises StocktakeError."""
    stocktake = _open_session(stocktake_id, by, manage=True)
    _require_open(stocktake)
    stocktake.status = S.CANCELLED
    stocktake.save(update_fields=["status"])
    return stocktake
