"""Import and export of the catalogue (products, variants, prices) and of stock per store, as CSV or XLSX.

Every import runs twice: ``plan_*`` reads the file against the database and
says, row by row, what would change and what is wrong, writing nothing (the
preview); ``apply_*`` makes the plan again inside one transaction, under the
row locks, and writes it all or, if any row is wrong now, nothing at all.

Stock imports set the counted on-hand figure and write the difference as an
adjustment in the stock ledger; they lock the stock rows (by pk, the shop's
lock order) and only ever write ``on_hand``, so a reservation made meanwhile
is kept, and a count below what is reserved is refused.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from catalog.models import Brand, Category, Option, OptionValue, Product, Variant
from catalog.services import refresh_product_summary
from stores.models import Stock, StockMovement
from stores.tabular import write_csv, write_xlsx

PRODUCT_COLUMNS = ["sku", "product", "product_slug", "category", "brand", "options", "price", "compare_at_price",
                   "weight_grams", "is_active"]
STOCK_COLUMNS = ["store", "sku", "on_hand"]
STOCK_EXPORT_COLUMNS = [*STOCK_COLUMNS, "reserved", "available", "product"]
CHUNK = 1000
TRUE = {"1", "true", "yes", "y", "是", "on"}
FALSE = {"0", "false", "no", "n", "否", "off"}
Progress = Callable[[int, int], None]


class ImportRefused(Exception):
    """The file cannot be applied as it stands now; ``errors`` say which rows and why."""

    def __init__(self, errors: list["RowError"]):
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


@dataclass(frozen=True)
class RowError:
    row: int  # the row number as the spreadsheet shows it (the header is row 1)
    message: str


@dataclass(frozen=True)
class Change:
    row: int
    key: str  # the SKU, or store and SKU
    action: str  # "create", "update" or "unchanged"
    details: str = ""


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # What applying writes, worked out by the plan (kept out of the preview's summary).
    work: dict = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        counts = {"create": 0, "update": 0, "unchanged": 0}
        for change in self.changes:
            counts[change.action] += 1
        return counts


def _noop(done: int, total: int) -> None:
    return None


def _missing_columns(header: list[str], needed: list[str]) -> list[RowError]:
    missing = [name for name in needed if name not in header]
    if missing:
        return [RowError(1, _("Missing column(s): %(names)s.") % {"names": ", ".join(missing)})]
    return []


def _money(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw.replace(",", "").replace("¥", "").strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")) or abs(value) >= Decimal("1e10"):
        return None
    return value.quantize(Decimal("0.01"))


def _whole(raw: str) -> int | None:
    raw = raw.strip()
    if not re.fullmatch(r"\d{1,9}", raw):
        return None
    return int(raw)


def _options(raw: str) -> list[tuple[str, str]] | None:
    """``颜色: 红; 尺码: M`` as (option, value) pairs; None when malformed."""
    pairs = []
    for part in re.split(r"[;；]", raw):
        if not part.strip():
            continue
        name, sep, value = part.replace("：", ":").partition(":")
        if not sep or not name.strip() or not value.strip() or len(name.strip()) > 40 or len(value.strip()) > 40:
            return None
        pairs.append((name.strip(), value.strip()))
    return pairs


# --- products ----------------------------------------------------------------------------------


def _product_slug(row: dict) -> str:
    return row.get("product_slug", "") or slugify(row.get("product", ""), allow_unicode=True)[:220]


def plan_products(header: list[str], rows: list[dict], *, progress: Progress = _noop, lock: bool = False) -> Plan:
    """What a products file would create and change, row by row; writes nothing. ``lock``: inside apply."""
    plan = Plan(errors=_missing_columns(header, ["sku", "price"]))
    if plan.errors:
        return plan
    skus = [row.get("sku", "") for row in rows]
    existing_qs = Variant.objects.filter(sku__in=[s for s in skus if s])
    if lock:
        existing_qs = existing_qs.select_for_update().order_by("pk")
    existing = {v.sku: v for v in existing_qs.only("pk", "sku", "price", "compare_at_price", "weight_grams",
                                                   "is_active", "product_id")}
    slugs = {_product_slug(row) for row in rows} - {""}
    products = dict(Product.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    categories = {}
    for pk, slug, name in Category.objects.values_list("pk", "slug", "name"):
        categories.setdefault(name, pk)
        categories[slug] = pk
    brands = {name: pk for pk, name in Brand.objects.values_list("pk", "name")}
    seen: set[str] = set()
    updates, creates, new_products = [], [], {}
    for index, row in enumerate(rows):
        number = index + 2
        errors_before = len(plan.errors)
        if index % CHUNK == 0:
            progress(index, len(rows))

        def refuse(message: str) -> None:
            plan.errors.append(RowError(number, message))

        sku = row.get("sku", "")
        if not sku or len(sku) > 64:
            refuse(_("Give a SKU code of at most 64 characters."))
            continue
        if sku in seen:
            refuse(_("SKU %(sku)s appears twice in the file.") % {"sku": sku})
            continue
        seen.add(sku)
        price = _money(row.get("price", ""))
        if price is None or price <= 0:
            refuse(_("The price must be an amount above 0 with at most two decimals."))
        compare = None
        if row.get("compare_at_price"):
            compare = _money(row["compare_at_price"])
            if compare is None:
                refuse(_("The compare-at price must be an amount with at most two decimals."))
            elif price is not None and compare <= price:
                refuse(_("The compare-at price must be above the price."))
        weight = None
        if row.get("weight_grams"):
            weight = _whole(row["weight_grams"])
            if weight is None:
                refuse(_("The weight must be a whole number of grams."))
        active = None
        if row.get("is_active"):
            flag = row["is_active"].lower()
            active = True if flag in TRUE else False if flag in FALSE else None
            if active is None:
                refuse(_("On sale must be yes or no."))
        options = _options(row.get("options", ""))
        if options is None:
            refuse(_("Options look like “Colour: red; Size: M”."))
        if len(plan.errors) > errors_before:
            continue
        variant = existing.get(sku)
        if variant is not None:
            changed = {}
            if variant.price != price:
                changed["price"] = (variant.price, price)
            if "compare_at_price" in row and variant.compare_at_price != compare:
                changed["compare_at_price"] = (variant.compare_at_price, compare)
            if weight is not None and variant.weight_grams != weight:
                changed["weight_grams"] = (variant.weight_grams, weight)
            if active is not None and variant.is_active != active:
                changed["is_active"] = (variant.is_active, active)
            if not changed:
                plan.changes.append(Change(number, sku, "unchanged"))
                continue
            details = "; ".join(f"{name}: {old if old is not None else '—'} → {new if new is not None else '—'}"
                                for name, (old, new) in changed.items())
            plan.changes.append(Change(number, sku, "update", details))
            updates.append((variant.pk, {name: new for name, (_old, new) in changed.items()}))
            continue
        # A new SKU: for an existing product (by slug), or a new product named in the row.
        name = row.get("product", "")
        slug = _product_slug(row)
        product_id = products.get(slug)
        if product_id is None and slug not in new_products:
            category_id = categories.get(row.get("category", ""))
            if not name or len(name) > 200:
                refuse(_("A new SKU needs the product's name (at most 200 characters) or an existing product slug."))
                continue
            if not slug:
                refuse(_("Give a product slug for %(name)s.") % {"name": name})
                continue
            if category_id is None:
                refuse(_("Unknown category “%(category)s”.") % {"category": row.get("category", "")})
                continue
            brand = row.get("brand", "")
            if brand and brand not in brands:
                refuse(_("Unknown brand “%(brand)s”.") % {"brand": brand})
                continue
            new_products[slug] = {"name": name, "category_id": category_id, "brand_id": brands.get(brand)}
        creates.append({"sku": sku, "slug": slug, "price": price, "compare_at_price": compare,
                        "weight_grams": weight or 0, "is_active": True if active is None else active,
                        "options": options})
        what = _("new product %(slug)s") % {"slug": slug} if slug in new_products else slug
        plan.changes.append(Change(number, sku, "create", f"{what}: {price}"))
    progress(len(rows), len(rows))
    plan.work = {"updates": updates, "creates": creates, "new_products": new_products}
    return plan


def apply_products(header: list[str], rows: list[dict], *, progress: Progress = _noop) -> Plan:
    """Write a products file all or nothing, in one transaction. Raises ImportRefused (nothing written)."""
    with transaction.atomic():
        plan = plan_products(header, rows, lock=True)
        if plan.errors:
            raise ImportRefused(plan.errors)
        work = plan.work
        created = Product.objects.bulk_create(
            Product(name=p["name"], slug=slug, category_id=p["category_id"], brand_id=p["brand_id"], is_published=False)
            for slug, p in work["new_products"].items()
        )
        product_ids = {p.slug: p.pk for p in created}
        product_ids.update(Product.objects.filter(slug__in={c["slug"] for c in work["creates"]} - set(product_ids))
                           .values_list("slug", "pk"))
        total = len(work["updates"]) + len(work["creates"])
        variants = Variant.objects.in_bulk([pk for pk, _fields in work["updates"]])
        touched = set()
        for pk, fields in work["updates"]:
            variant = variants[pk]
            for name, value in fields.items():
                setattr(variant, name, value)
            touched.add(variant.product_id)
        for name in ("price", "compare_at_price", "weight_grams", "is_active"):
            batch = [variants[pk] for pk, fields in work["updates"] if name in fields]
            if batch:
                Variant.objects.bulk_update(batch, [name], batch_size=CHUNK)
        progress(len(work["updates"]), total)
        new_variants = Variant.objects.bulk_create(
            [Variant(product_id=product_ids[c["slug"]], sku=c["sku"], price=c["price"],
                     compare_at_price=c["compare_at_price"], weight_grams=c["weight_grams"], is_active=c["is_active"])
             for c in work["creates"]], batch_size=CHUNK,
        )
        _attach_options(new_variants, [c["options"] for c in work["creates"]])
        touched.update(product_ids[c["slug"]] for c in work["creates"])
        progress(total, total)
        if touched:
            refresh_product_summary(product_ids=touched)
    return plan


def _attach_options(variants: list[Variant], options: list[list[tuple[str, str]]]) -> None:
    wanted = {pair for pairs in options for pair in pairs}
    if not wanted:
        return
    names = {name for name, _value in wanted}
    Option.objects.bulk_create([Option(name=name) for name in names], ignore_conflicts=True)
    option_ids = dict(Option.objects.filter(name__in=names).values_list("name", "pk"))
    OptionValue.objects.bulk_create([OptionValue(option_id=option_ids[n], value=v) for n, v in wanted],
                                    ignore_conflicts=True)
    value_ids = {
        (name, value): pk for pk, name, value in OptionValue.objects.filter(option__name__in=names)
        .values_list("pk", "option__name", "value")
    }
    through = Variant.option_values.through
    through.objects.bulk_create(
        [through(variant_id=variant.pk, optionvalue_id=value_ids[pair]) for variant, pairs in zip(variants, options)
         for pair in pairs], batch_size=CHUNK, ignore_conflicts=True,
    )


def product_rows() -> list[list]:
    rows = []
    variants = (Variant.objects.select_related("product__category", "product__brand")
                .prefetch_related("option_values__option").order_by("product_id", "position", "pk"))
    for v in variants.iterator(chunk_size=2000):
        options = "; ".join(f"{ov.option.name}: {ov.value}" for ov in v.option_values.all())
        rows.append([v.sku, v.product.name, v.product.slug, v.product.category.slug,
                     v.product.brand.name if v.product.brand else "", options, v.price, v.compare_at_price,
                     v.weight_grams, "yes" if v.is_active else "no"])
    return rows


# --- stock -------------------------------------------------------------------------------------


def plan_stock(header: list[str], rows: list[dict], *, stores, progress: Progress = _noop, lock: bool = False) -> Plan:
    """What a stock count file would change in the stores the importer may touch; writes nothing.

    ``stores``: the stores the person may import for (stores.selectors.stores_for).
    """
    plan = Plan(errors=_missing_columns(header, STOCK_COLUMNS))
    if plan.errors:
        return plan
    by_code = {store.code: store.pk for store in stores}
    variant_ids = dict(Variant.objects.filter(sku__in={r.get("sku", "") for r in rows}).values_list("sku", "pk"))
    keys = {(by_code.get(r.get("store", "")), variant_ids.get(r.get("sku", ""))) for r in rows}
    keys = {key for key in keys if None not in key}
    stock_qs = Stock.objects.filter(store_id__in={s for s, _v in keys}, variant_id__in={v for _s, v in keys})
    if lock:
        stock_qs = stock_qs.select_for_update().order_by("pk")
    stock = {(s.store_id, s.variant_id): s for s in stock_qs.only("pk", "store_id", "variant_id", "on_hand", "reserved")}
    seen = set()
    changes = []
    for index, row in enumerate(rows):
        number = index + 2
        store_id, variant_id = by_code.get(row.get("store", "")), variant_ids.get(row.get("sku", ""))
        target = _whole(row.get("on_hand", ""))
        label = f"{row.get('store', '')} {row.get('sku', '')}"
        if store_id is None:
            plan.errors.append(RowError(number, _("Unknown store “%(store)s”, or not one of yours.") % {
                "store": row.get("store", "")}))
        elif variant_id is None:
            plan.errors.append(RowError(number, _("Unknown SKU “%(sku)s”.") % {"sku": row.get("sku", "")}))
        elif target is None:
            plan.errors.append(RowError(number, _("On hand must be a whole number, 0 or more.")))
        elif (store_id, variant_id) in seen:
            plan.errors.append(RowError(number, _("%(key)s appears twice in the file.") % {"key": label}))
        else:
            seen.add((store_id, variant_id))
            row_stock = stock.get((store_id, variant_id))
            on_hand, reserved = (row_stock.on_hand, row_stock.reserved) if row_stock else (0, 0)
            if target < reserved:
                plan.errors.append(RowError(number, _(
                    "%(key)s: %(reserved)s units are reserved for orders; the count cannot be below that."
                ) % {"key": label, "reserved": reserved}))
            elif target == on_hand and row_stock is not None:
                plan.changes.append(Change(number, label, "unchanged"))
            else:
                plan.changes.append(Change(number, label, "update" if row_stock else "create",
                                           f"{on_hand} → {target} ({target - on_hand:+d})"))
                changes.append((store_id, variant_id, target - on_hand, target))
        if index % CHUNK == 0:
            progress(index, len(rows))
    progress(len(rows), len(rows))
    plan.work = {"changes": changes, "stock": stock}
    return plan


def apply_stock(header: list[str], rows: list[dict], *, stores, reason: str, by, reference: str,
                progress: Progress = _noop) -> Plan:
    """Set the counted figures all or nothing, as ledger adjustments; reservations are never overwritten.

    Creates missing stock rows, locks every row the file touches (by pk),
    re-checks each count against what is reserved now, then writes only
    ``on_hand``. Raises ImportRefused (nothing written).
    """
    reason = (reason or "").strip()
    if not reason:
        raise ImportRefused([RowError(1, _("Give a reason for the stock adjustment."))])
    with transaction.atomic():
        first = plan_stock(header, rows, stores=stores)
        if first.errors:
            raise ImportRefused(first.errors)
        missing = [(s, v) for s, v, _change, _target in first.work["changes"] if (s, v) not in first.work["stock"]]
        Stock.objects.bulk_create([Stock(store_id=s, variant_id=v) for s, v in missing], ignore_conflicts=True,
                                  batch_size=CHUNK)
        plan = plan_stock(header, rows, stores=stores, lock=True)  # under the row locks now
        if plan.errors:
            raise ImportRefused(plan.errors)
        stock = plan.work["stock"]
        changed, movements = [], []
        for store_id, variant_id, change, target in plan.work["changes"]:
            row = stock[(store_id, variant_id)]
            if change == 0:
                continue
            row.on_hand = target
            changed.append(row)
            movements.append(StockMovement(stock=row, reason=StockMovement.Reason.ADJUSTMENT, on_hand_change=change,
                                           reference=reference[:100], note=reason[:255], created_by=by))
        Stock.objects.bulk_update(changed, ["on_hand"], batch_size=CHUNK)
        StockMovement.objects.bulk_create(movements, batch_size=CHUNK)
        progress(len(rows), len(rows))
        if changed:
            from stores.services import refresh_product_stock_flags

            refresh_product_stock_flags(variant_ids={row.variant_id for row in changed})
    return plan


def stock_rows(*, stores) -> list[list]:
    rows = (Stock.objects.filter(store__in=stores).select_related("store", "variant__product")
            .order_by("store__code", "variant__sku"))
    return [[s.store.code, s.variant.sku, s.on_hand, s.reserved, s.on_hand - s.reserved, s.variant.product.name]
            for s in rows.iterator(chunk_size=2000)]


def export_table(kind: str, fmt: str, *, stores=None) -> tuple[bytes, str, str]:
    """The file's bytes, its name and its content type, for ``kind`` products or stock in ``fmt`` csv or xlsx."""
    if kind == "products":
        header, rows, title = PRODUCT_COLUMNS, product_rows(), "products"
    else:
        header, rows, title = STOCK_EXPORT_COLUMNS, stock_rows(stores=stores), "stock"
    if fmt == "xlsx":
        return (write_xlsx(header, rows, title=title), f"{title}.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return write_csv(header, rows), f"{title}.csv", "text/csv; charset=utf-8"


__all__ = ["ImportRefused", "Plan", "apply_products", "apply_stock", "export_table", "plan_products",
           "plan_stock"]
