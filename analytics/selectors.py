"""Reads for the dashboards and reports: facts first, always narrowed to the stores the viewer may see.

Every function takes ``store_ids`` — the ids already narrowed by ``stores.selectors.stores_for`` in
``visible_store_ids`` — so no query here can reach a store the viewer may not see. Dashboards read the
fact tables (built nightly); only "today so far", which no fact covers yet, reads orders with one aggregate.

A range is read as whole calendar months from the monthly roll-ups plus the days at its edges from the
daily facts (``rolled_up``): a year over 50 stores is ~1,800 store rows and ~8,000 hour rows instead of
55,000 and 255,000, which is what keeps the head-office dashboard under its 50 ms over a year. The
roll-ups are the days' sums (analytics.services.facts.roll_up_months), so both reads give the same figures.

Warehouses are not shops: they sell no counter sales and see no shoppers, but delivery orders shipped
from their stock are sales. So every total, channel, trend and hour includes them, while the store
comparisons list shops only and show warehouses apart, labelled (``split_warehouses``).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncMonth, TruncQuarter, TruncWeek, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from analytics.models import DailyHourFact, DailyProductFact, DailyStoreFact, MonthlyHourFact, MonthlyStoreFact
from analytics.services.facts import month_start, next_month
from stores.selectors import is_head_office, stores_for

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TOP_PRODUCTS = 10
LOW_STOCK_ROWS = 10
OPEN_TRANSFER_ROWS = 5


# --- who sees what --------------------------------------------------------------------------


def visible_store_ids(user) -> list[int]:
    """The ids of the stores this person may see on dashboards and reports (none for non-staff)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return []
    return list(stores_for(user).order_by("pk").values_list("pk", flat=True))


def is_hq(user) -> bool:
    return is_head_office(user)


def visible_stores(store_ids):
    """The stores of ``store_ids``, shops first and warehouses after them, each in the chain's own order."""
    from django.db.models import Case, Value, When

    from stores.models import Store

    warehouse_last = Case(When(kind=Store.Kind.WAREHOUSE, then=Value(1)), default=Value(0))
    return Store.objects.filter(pk__in=store_ids).order_by(warehouse_last, "priority", "code")


def is_warehouse(store) -> bool:
    from stores.models import Store

    return store.kind == Store.Kind.WAREHOUSE


# --- small helpers ------------------------------------------------------------------------


def today() -> date:
    return timezone.localdate()


def day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def ratio(part, whole, places=CENT) -> Decimal | None:
    """part / whole as an exact Decimal, or None when there is nothing to divide by."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(places)


def percent(part, whole) -> Decimal | None:
    value = ratio(Decimal(part) * 100, whole, Decimal("0.1"))
    return value


def change(current, previous) -> Decimal | None:
    """Period-over-period change in per cent; None when the earlier period had nothing."""
    if not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(Decimal("0.1"))


def province_of(region: str) -> str:
    """The province part of a region such as "上海市 徐汇区" (the text up to the first space)."""
    region = (region or "").strip()
    return region.split()[0] if region else _("No region")


def facts(store_ids, start: date, end: date):
    return DailyStoreFact.objects.filter(store_id__in=store_ids, day__gte=start, day__lte=end)


# Up to a quarter the trend is drawn per day; a longer range per month, from the monthly roll-ups alone.
DAILY_TREND_MAX_DAYS = 92


def month_spans(start: date, end: date) -> tuple[list[tuple[date, date]], tuple[date, date] | None]:
    """``start``..``end`` as the day ranges read from daily facts and the (first, last) whole month, if any."""
    first_whole = start if start.day == 1 else next_month(start)
    after_whole = next_month(end) if next_month(end) - timedelta(days=1) == end else month_start(end)
    if first_whole >= after_whole:
        return [(start, end)], None
    days = []
    if start < first_whole:
        days.append((start, first_whole - timedelta(days=1)))
    if after_whole <= end:
        days.append((after_whole, end))
    last_whole = month_start(after_whole - timedelta(days=1))
    return days, (first_whole, last_whole)


def rolled_up(store_ids, start: date, end: date, keys: tuple[str, ...], sums: dict, *, hours=False) -> list[dict]:
    """Sums of store (or, with ``hours``, hour) figures over ``start``..``end`` grouped by ``keys``.

    ``keys`` are columns of both tables (store_id, channel, hour) and "month" (a day's month on daily rows).
    Whole months come from the monthly roll-up, the days at the edges from the daily facts: at most three
    small grouped queries, added up here by key.
    """
    daily_model, monthly_model = (DailyHourFact, MonthlyHourFact) if hours else (DailyStoreFact, MonthlyStoreFact)
    day_spans, months = month_spans(start, end)
    parts = []
    if months:
        monthly = monthly_model.objects.filter(store_id__in=store_ids, month__gte=months[0], month__lte=months[1])
        parts.append(monthly.values(*keys) if keys else monthly)
    for low, high in day_spans:
        # One query per edge: an OR of two day ranges makes PostgreSQL scan the whole daily table (80 ms on
        # the hour facts of 50 stores × 2 years), while each range alone is an index range scan.
        daily = daily_model.objects.filter(store_id__in=store_ids, day__gte=low, day__lte=high)
        if "month" in keys:
            daily = daily.annotate(month=TruncMonth("day"))
        parts.append(daily.values(*keys) if keys else daily)
    merged: dict[tuple, dict] = {}
    for part in parts:
        # No keys: one total (``values()`` without fields would group by every column instead).
        grouped = [part.aggregate(**sums)] if not keys else part.annotate(**sums).order_by()
        for row in grouped:
            key = tuple(row[name] for name in keys)
            into = merged.get(key)
            if into is None:
                merged[key] = row
            else:
                for name in sums:
                    into[name] = (into[name] or 0) + (row[name] or 0)
    return list(merged.values())


FACT_SUMS = {
    "orders": Sum("orders"), "units": Sum("units"), "gross": Sum("gross"), "net": Sum("net"),
    "refunds": Sum("refunds"), "customers": Sum("customers"), "new_customers": Sum("new_customers"),
    "returning_customers": Sum("returning_customers"),
}


def _filled(row: dict) -> dict:
    """A sums row with zeros for the empty sums and the average order value."""
    out = {key: (row.get(key) or (ZERO if key in ("gross", "net", "refunds") else 0)) for key in FACT_SUMS}
    out.update({key: value for key, value in row.items() if key not in FACT_SUMS})
    out["aov"] = ratio(out["net"], out["orders"]) or ZERO
    return out


def fact_totals(store_ids, start, end) -> dict:
    rows = rolled_up(store_ids, start, end, (), FACT_SUMS)
    return _filled(rows[0] if rows else {})


# What the trend charts and tables show; the store dashboard's "yesterday" needs every sum.
TREND_SUMS = {"orders": Sum("orders"), "net": Sum("net")}


def daily_trend(store_ids, start, end, sums=FACT_SUMS) -> list[dict]:
    rows = {row["day"]: row for row in facts(store_ids, start, end).values("day").annotate(**sums)}
    days = (end - start).days + 1
    return [_filled(rows.get(start + timedelta(n), {"day": start + timedelta(n)})) for n in range(days)]


def monthly_trend(store_ids, start, end, sums=FACT_SUMS) -> list[dict]:
    """One row per calendar month of the range (the first and last may be partial), labelled by ``day``."""
    rows = {row["month"]: row for row in rolled_up(store_ids, start, end, ("month",), sums)}
    out, month = [], month_start(start)
    while month <= end:
        # A month the range cuts is flagged: its few days would otherwise read as a collapse in sales.
        is_partial = month < start or next_month(month) - timedelta(days=1) > end
        out.append(_filled({**rows.get(month, {}), "day": month, "month": month, "is_partial": is_partial}))
        month = next_month(month)
    return out


def trend(store_ids, start, end, sums=TREND_SUMS) -> tuple[str, list[dict]]:
    """("day", one row a day) up to a quarter, ("month", one row a month) beyond; orders and net only."""
    if (end - start).days + 1 <= DAILY_TREND_MAX_DAYS:
        return "day", daily_trend(store_ids, start, end, sums)
    return "month", monthly_trend(store_ids, start, end, sums)


def by_hour(store_ids, start, end) -> list[dict]:
    rows = {row["hour"]: row for row in rolled_up(store_ids, start, end, ("hour",),
                                                    {"orders": Sum("orders"), "net": Sum("net")}, hours=True)}
    return [{"hour": hour, "orders": rows.get(hour, {}).get("orders") or 0,
             "net": rows.get(hour, {}).get("net") or ZERO} for hour in range(24)]


def _store_channel_sums(store_ids, start, end) -> list[dict]:
    """The one read behind by_store, by_channel and the totals: sums per (store, channel)."""
    return rolled_up(store_ids, start, end, ("store_id", "channel"), FACT_SUMS)


def _add_up(rows, key) -> dict:
    out: dict = {}
    for row in rows:
        bucket = out.setdefault(row[key], {name: 0 for name in FACT_SUMS})
        for name in FACT_SUMS:
            bucket[name] += row[name] or 0
    return out


def by_store(store_ids, start, end, sums=None) -> list[dict]:
    """Every store of ``store_ids`` with its figures, best first; shops before warehouses (``is_warehouse``)."""
    per_store = _add_up(sums if sums is not None else _store_channel_sums(store_ids, start, end), "store_id")
    rows = []
    for store in visible_stores(store_ids):
        row = _filled(per_store.get(store.pk, {}))
        row.update(store=store, province=province_of(store.region), is_warehouse=is_warehouse(store))
        rows.append(row)
    return sorted(rows, key=lambda row: (row["is_warehouse"], -row["net"], row["store"].code))


def split_warehouses(store_rows) -> tuple[list[dict], list[dict]]:
    """by_store's rows as (shops, warehouses)."""
    return ([row for row in store_rows if not row["is_warehouse"]], [row for row in store_rows if row["is_warehouse"]])


def by_region(store_ids, start, end, store_rows=None) -> list[dict]:
    """Shops summed by province, then all warehouses as one labelled row (``is_warehouse``).

    A warehouse's province says where goods ship from, not where its buyers are, so it joins no province;
    its row keeps the regions adding up to the total. Pass ``store_rows`` (by_store's answer) to reuse it.
    """
    regions: dict[tuple, dict] = {}
    for row in store_rows if store_rows is not None else by_store(store_ids, start, end):
        key = (row["is_warehouse"], "" if row["is_warehouse"] else row["province"])
        label = _("Warehouses") if row["is_warehouse"] else row["province"]
        bucket = regions.setdefault(key, {"province": label, "is_warehouse": row["is_warehouse"], "stores": 0,
                                          **{name: 0 for name in FACT_SUMS}})
        bucket["stores"] += 1
        for name in FACT_SUMS:
            bucket[name] += row[name]
    return sorted((_filled(row) for row in regions.values()),
                  key=lambda row: (row["is_warehouse"], -row["net"], row["province"]))


def by_channel(store_ids, start, end, sums=None) -> list[dict]:
    per_channel = _add_up(sums if sums is not None else _store_channel_sums(store_ids, start, end), "channel")
    return [_filled({**per_channel.get(value, {}), "channel": value, "label": label})
            for value, label in DailyStoreFact.Channel.choices]


def top_products(store_ids, start, end, limit=TOP_PRODUCTS) -> list[dict]:
    return list(
        DailyProductFact.objects.filter(store_id__in=store_ids, day__gte=start, day__lte=end)
        .values("product_id", name=F("product__name"))
        .annotate(units=Sum("units"), net=Sum("net"), orders=Sum("orders"))
        .order_by("-units", "-net", "product_id")[:limit]
    )


# --- the store dashboard -------------------------------------------------------------------


COUNTED_STATUSES = ["paid", "placed", "ready_for_pickup", "shipped", "completed"]


def today_so_far(store_id: int) -> dict:
    """Today's figures, which no nightly fact holds yet: one aggregate over today's orders of this store."""
    from orders.models import Order

    start = day_start(today())
    row = Order.objects.filter(store_id=store_id, placed_at__gte=start, status__in=COUNTED_STATUSES).aggregate(
        orders=Count("pk"),
        net=Sum(F("total") - F("refunded_total")),
        new_customers=Count("user", distinct=True, filter=Q(user__member__created_at__gte=start)),
    )
    net = row["net"] or ZERO
    return {"orders": row["orders"], "net": net, "aov": ratio(net, row["orders"]) or ZERO,
            "new_customers": row["new_customers"]}


def order_queues(store_id: int) -> dict:
    from orders.models import Order

    return Order.objects.filter(store_id=store_id).aggregate(
        to_fulfil=Count("pk", filter=Q(status=Order.Status.PAID)),
        pickups_waiting=Count("pk", filter=Q(status=Order.Status.READY_FOR_PICKUP)),
    )


def low_stock(store_id: int, limit=LOW_STOCK_ROWS) -> list:
    from stores.models import Stock

    return list(
        Stock.objects.filter(store_id=store_id, variant__product__isnull=False)
        .annotate(free=F("on_hand") - F("reserved"))
        .filter(free__lte=F("low_stock_threshold"))
        .select_related("variant__product")
        .order_by("free", "variant_id")[:limit]
    )


def open_transfers(store_id: int, limit=OPEN_TRANSFER_ROWS) -> dict:
    """Transfers into and out of the store that are not yet received or cancelled."""
    from stores.models import Transfer

    open_states = [Transfer.Status.REQUESTED, Transfer.Status.APPROVED, Transfer.Status.DISPATCHED]
    rows = list(
        Transfer.objects.filter(Q(from_store_id=store_id) | Q(to_store_id=store_id), status__in=open_states)
        .select_related("from_store", "to_store").order_by("-requested_at")[: limit * 2]
    )
    return {"incoming": [row for row in rows if row.to_store_id == store_id][:limit],
            "outgoing": [row for row in rows if row.from_store_id == store_id][:limit]}


def store_dashboard(store_id: int) -> dict:
    yesterday = today() - timedelta(days=1)
    start = yesterday - timedelta(days=29)
    ids = [store_id]
    trend = daily_trend(ids, start, yesterday)
    return {
        "today": today_so_far(store_id),
        "yesterday": trend[-1],  # the trend ends yesterday: no second read of the same facts
        "queues": order_queues(store_id),
        "low_stock": low_stock(store_id),
        "transfers": open_transfers(store_id),
        "top_products": top_products(ids, start, yesterday),
        "trend": trend,
        "hours": by_hour(ids, start, yesterday),
        "start": start, "end": yesterday,
    }


def hq_dashboard(store_ids, start, end) -> dict:
    # One read per (store, channel) feeds the stores, the regions, the channels and the totals.
    sums = _store_channel_sums(store_ids, start, end)
    stores = by_store(store_ids, start, end, sums)
    totals = _filled({key: sum((row[key] for row in stores), 0) for key in FACT_SUMS})
    shops, warehouses = split_warehouses(stores)
    trend_by, trend_rows = trend(store_ids, start, end)
    return {
        "totals": totals,
        "stores": shops,
        "warehouses": warehouses,
        "regions": by_region(store_ids, start, end, stores),
        "channels": by_channel(store_ids, start, end, sums),
        "trend": trend_rows,
        "trend_by": trend_by,
        "hours": by_hour(store_ids, start, end),
    }


# --- reports --------------------------------------------------------------------------------


@dataclass
class Table:
    """One table of a report: what the page shows and what an export writes, cell for cell."""

    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    chart: str = ""  # the id of the chart drawn from this table, if any
    chart_column: int = 0  # the column it draws; 0: the first money column


PERIODS = {
    "day": None, "week": TruncWeek, "month": TruncMonth, "quarter": TruncQuarter, "year": TruncYear,
}
PERIOD_LABELS = {
    "day": gettext_lazy("day"), "week": gettext_lazy("week"), "month": gettext_lazy("month"),
    "quarter": gettext_lazy("quarter"), "year": gettext_lazy("year"),
}


def _period_label(value: date, period: str) -> str:
    if period == "week":
        year, week, _weekday = value.isocalendar()
        return f"{year}-W{week:02d}"
    if period == "month":
        return f"{value:%Y-%m}"
    if period == "quarter":
        return f"{value.year}-Q{(value.month - 1) // 3 + 1}"
    if period == "year":
        return str(value.year)
    return value.isoformat()


def _period_of_month(month: date, period: str) -> date:
    if period == "quarter":
        return month.replace(month=(month.month - 1) // 3 * 3 + 1)
    if period == "year":
        return month.replace(month=1)
    return month


def _period_rows(store_ids, start, end, period) -> list[dict]:
    if period in ("month", "quarter", "year"):
        # Months, quarters and years are whole months: read from the monthly roll-ups (edges from days).
        buckets: dict[date, dict] = {}
        for row in rolled_up(store_ids, start, end, ("month",), FACT_SUMS):
            key = _period_of_month(row["month"], period)
            bucket = buckets.setdefault(key, {"period": key, **{name: 0 for name in FACT_SUMS}})
            for name in FACT_SUMS:
                bucket[name] += row[name] or 0
        return [buckets[key] for key in sorted(buckets)]
    rows = facts(store_ids, start, end)
    if PERIODS.get(period):
        rows = rows.annotate(period=PERIODS[period]("day")).values("period")
    else:
        rows = rows.annotate(period=F("day")).values("period")
    return list(rows.annotate(**FACT_SUMS).order_by("period"))


def sales_report(store_ids, start, end, period="day") -> list[Table]:
    rows = _period_rows(store_ids, start, end, period)
    table = Table(_("Sales by %(period)s") % {"period": PERIOD_LABELS[period]},
                  [_("Period"), _("Orders"), _("Units"), _("Gross sales"), _("Net sales"), _("Refunds"),
                   _("Average order value"), _("Change in net sales %")], chart="sales", chart_column=4)
    previous = None
    for row in rows:
        row = _filled(row)
        table.rows.append([_period_label(row["period"], period), row["orders"], row["units"], row["gross"],
                           row["net"], row["refunds"], row["aov"],
                           change(row["net"], previous) if previous is not None else None])
        previous = row["net"]
    return [table]


def region_report(store_ids, start, end) -> list[Table]:
    regions = Table(_("Sales by region"), [_("Province"), _("Stores"), _("Orders"), _("Net sales"),
                                           _("Average order value"), _("Share %")], chart="regions")
    store_rows = by_store(store_ids, start, end)
    region_rows = by_region(store_ids, start, end, store_rows)
    total = sum((row["net"] for row in region_rows), ZERO)
    for row in region_rows:
        regions.rows.append([row["province"], row["stores"], row["orders"], row["net"], row["aov"],
                             percent(row["net"], total)])
    stores = Table(_("Sales by store"), [_("Store"), _("Province"), _("Orders"), _("Net sales"),
                                         _("Average order value"), _("Customers")])
    for row in store_rows:
        name = _("%(store)s (warehouse)") % {"store": row["store"]} if row["is_warehouse"] else str(row["store"])
        stores.rows.append([name, row["province"], row["orders"], row["net"], row["aov"], row["customers"]])
    return [regions, stores]


def hour_report(store_ids, start, end) -> list[Table]:
    table = Table(_("Sales by hour of day"), [_("Hour"), _("Orders"), _("Net sales"), _("Share %")], chart="hours")
    hours = by_hour(store_ids, start, end)
    total = sum((row["net"] for row in hours), ZERO)
    for row in hours:
        table.rows.append([f"{row['hour']:02d}:00", row["orders"], row["net"], percent(row["net"], total)])
    return [table]


def _on_hand_by_product(store_ids) -> dict[int, int]:
    from stores.models import Stock

    return dict(
        Stock.objects.filter(store_id__in=store_ids, variant__product__isnull=False)
        .values("variant__product_id").annotate(on_hand=Sum("on_hand")).values_list("variant__product_id", "on_hand")
    )


def product_report(store_ids, start, end, limit=200) -> list[Table]:
    """Top sellers, slow movers (stocked here, least sold), sell-through = sold / (sold + on hand now), refund rate."""
    from catalog.models import Product

    sold = {
        row["product_id"]: row
        for row in DailyProductFact.objects.filter(store_id__in=store_ids, day__gte=start, day__lte=end)
        .values("product_id").annotate(units=Sum("units"), net=Sum("net"), refunded_units=Sum("refunded_units"),
                                       refunds=Sum("refunds"))
    }
    on_hand = _on_hand_by_product(store_ids)
    names = dict(Product.objects.filter(pk__in=set(sold) | set(on_hand)).values_list("pk", "name"))
    columns = [_("Product"), _("Units sold"), _("Net sales"), _("On hand now"), _("Sell-through %"),
               _("Units refunded"), _("Refund rate %")]

    def line(product_id):
        row = sold.get(product_id, {})
        units, stock = row.get("units") or 0, on_hand.get(product_id) or 0
        refunded = row.get("refunded_units") or 0
        return [names.get(product_id, str(product_id)), units, row.get("net") or ZERO, stock,
                percent(units, units + stock), refunded, percent(refunded, units)]

    top = Table(_("Top sellers"), columns, chart="products")
    for product_id in sorted(sold, key=lambda pk: (-(sold[pk]["units"] or 0), pk))[:limit]:
        top.rows.append(line(product_id))
    slow = Table(_("Slow movers (in stock, least sold)"), columns)
    stocked = [pk for pk, units in on_hand.items() if units > 0]
    for product_id in sorted(stocked, key=lambda pk: ((sold.get(pk, {}).get("units") or 0), -on_hand[pk], pk))[:limit]:
        slow.rows.append(line(product_id))
    return [top, slow]


SPEND_BANDS = [Decimal(0), Decimal(500), Decimal(2000), Decimal(5000), Decimal(20000)]


def customer_report(store_ids, start, end, hq=False) -> list[Table]:
    """New vs returning from the facts; repeat rate, tiers and spend bands from members who bought here."""
    from members.models import MemberProfile
    from orders.models import Order

    totals = fact_totals(store_ids, start, end)
    mix = Table(_("New and returning customers"), [_("Customers"), _("New"), _("Returning"), _("New %")])
    mix.rows.append([totals["customers"], totals["new_customers"], totals["returning_customers"],
                     percent(totals["new_customers"], totals["customers"])])

    buyers = (Order.objects.filter(store_id__in=store_ids, status__in=COUNTED_STATUSES,
                                   placed_at__gte=day_start(start), placed_at__lt=day_start(end + timedelta(days=1)))
              .values("user_id").annotate(orders=Count("pk")))
    # One row per buyer; counted here since Django cannot aggregate over a grouped aggregate directly.
    per_user = list(buyers.values_list("user_id", "orders"))
    repeaters = sum(1 for _user, orders in per_user if orders >= 2)
    repeat = Table(_("Repeat purchase"), [_("Buyers"), _("Bought twice or more"), _("Repeat rate %")])
    repeat.rows.append([len(per_user), repeaters, percent(repeaters, len(per_user))])

    # HQ sees the whole member base; a store sees the members who have bought there.
    members = MemberProfile.objects.all()
    if not hq:
        members = members.filter(user__orders__store_id__in=store_ids).distinct()
    tier_rows = (MemberProfile.objects.filter(pk__in=members.values("pk"))
                 .values("tier__name").annotate(members=Count("pk")).order_by("-members", "tier__name"))
    tier_total = sum(row["members"] for row in tier_rows)
    tiers = Table(_("Members by tier"), [_("Tier"), _("Members"), _("Share %")], chart="tiers", chart_column=1)
    for row in tier_rows:
        tiers.rows.append([row["tier__name"] or _("No tier"), row["members"], percent(row["members"], tier_total)])

    bands = Table(_("Members by total spend"), [_("Spend band"), _("Members")])
    band_counts = MemberProfile.objects.filter(pk__in=members.values("pk")).aggregate(**{
        f"b{index}": Count("pk", filter=Q(total_spend__gte=low, **({"total_spend__lt": SPEND_BANDS[index + 1]}
                                                                  if index + 1 < len(SPEND_BANDS) else {})))
        for index, low in enumerate(SPEND_BANDS)
    })
    for index, low in enumerate(SPEND_BANDS):
        label = (f"{low}–{SPEND_BANDS[index + 1]}" if index + 1 < len(SPEND_BANDS) else f"{low}+")
        bands.rows.append([label, band_counts[f"b{index}"]])
    return [mix, repeat, tiers, bands]


def campaign_report(store_ids, start, end, hq=False) -> list[Table]:
    """Promotions and coupons used on orders of these stores: uses, discount given, revenue, ROI = revenue / discount."""
    from marketing.models import Coupon, PromotionUse
    from orders.models import Order

    window = {"created_at__gte": day_start(start), "created_at__lt": day_start(end + timedelta(days=1))}
    numbers = Order.objects.filter(store_id__in=store_ids).values("number")
    uses = (PromotionUse.objects.filter(order_number__in=numbers, is_cancelled=False, **window)
            .values("promotion_id", "promotion__name", "coupon_template_id", "coupon_template__name")
            .annotate(uses=Count("pk"), discount=Sum("discount"), revenue=Sum("order_total"))
            .order_by("-revenue", "promotion_id", "coupon_template_id"))
    issued = {}
    if hq:
        # Coupons are issued to members, not stores: only head office sees how many went out.
        issued = dict(Coupon.objects.filter(**window).values("template_id").annotate(n=Count("pk"))
                      .values_list("template_id", "n"))
    table = Table(_("Promotions and coupons"), [_("Campaign"), _("Kind"), _("Issued"), _("Used"),
                                                _("Discount given"), _("Revenue"), _("ROI")], chart="campaigns",
                  chart_column=5)
    for row in uses:
        is_coupon = row["coupon_template_id"] is not None
        name = row["coupon_template__name"] if is_coupon else row["promotion__name"]
        table.rows.append([name, _("coupon") if is_coupon else _("promotion"),
                           issued.get(row["coupon_template_id"]) if is_coupon and hq else None,
                           row["uses"], row["discount"] or ZERO, row["revenue"] or ZERO,
                           ratio(row["revenue"] or ZERO, row["discount"])])
    return [table]


def staff_report(store_ids, start, end) -> list[Table]:
    """Sales credited to a staff member (导购): counter sales and orders through their share link."""
    from orders.models import Order

    rows = (Order.objects.filter(store_id__in=store_ids, status__in=COUNTED_STATUSES, sales_staff__isnull=False,
                                 placed_at__gte=day_start(start), placed_at__lt=day_start(end + timedelta(days=1)))
            .values("sales_staff_id", "sales_staff__username", "sales_staff__first_name", "sales_staff__last_name")
            .annotate(orders=Count("pk"), counter=Count("pk", filter=Q(channel=Order.Channel.COUNTER)),
                      net=Sum(F("total") - F("refunded_total")))
            .order_by("-net", "sales_staff_id"))
    total = sum((row["net"] or ZERO for row in rows), ZERO)
    table = Table(_("Staff sales"), [_("Staff member"), _("Orders"), _("Counter sales"), _("Share-link orders"),
                                     _("Net sales"), _("Share %")], chart="staff")
    for row in rows:
        name = " ".join(filter(None, [row["sales_staff__last_name"], row["sales_staff__first_name"]]))
        table.rows.append([name or row["sales_staff__username"], row["orders"], row["counter"],
                           row["orders"] - row["counter"], row["net"] or ZERO, percent(row["net"] or ZERO, total)])
    return [table]


def traffic_report(store_ids, start, end, hq=False) -> list[Table]:
    """The online shop's funnel by traffic source and its page views by page type, per day summed over the range.

    Visits belong to no store, so this is head office's report only (the views refuse it to anyone else).
    Conversion is paid orders over product views; the paid step comes from Order.source.
    """
    from analytics.models import DailyFunnel, DailyTraffic
    from analytics.services.traffic import ALL_SOURCES

    if not hq:
        return []
    rows = (DailyFunnel.objects.filter(day__gte=start, day__lte=end).values("source")
            .annotate(views=Sum("product_views"), carts=Sum("add_to_cart"), checkouts=Sum("checkout_started"),
                      paid=Sum("paid")).order_by("-paid", "-views", "source"))
    funnel = Table(_("Funnel by source"), [_("Source"), _("Product views"), _("Added to cart"),
                                           _("Checkouts started"), _("Paid orders"), _("Conversion %")])
    everyone = None
    for row in rows:
        line = [row["source"] or _("Direct"), row["views"], row["carts"], row["checkouts"], row["paid"],
                percent(row["paid"], row["views"])]
        if row["source"] == ALL_SOURCES:
            everyone = line
            everyone[0] = _("All sources")
        else:
            funnel.rows.append(line)
    if everyone:
        funnel.rows.append(everyone)
    pages = Table(_("Page views by page type"), [_("Page type"), _("Page views"), _("Unique visitors (daily, summed)")])
    for row in (DailyTraffic.objects.filter(day__gte=start, day__lte=end).values("page_type")
                .annotate(views=Sum("page_views"), visitors=Sum("visitors")).order_by("-views", "page_type")):
        pages.rows.append([row["page_type"], row["views"], row["visitors"]])
    return [funnel, pages]


HQ_ONLY_REPORTS = {"traffic"}

REPORTS = {
    "sales": (gettext_lazy("Sales trend"), sales_report),
    "regions": (gettext_lazy("Regions and stores"), region_report),
    "hours": (gettext_lazy("Sales by hour"), hour_report),
    "products": (gettext_lazy("Products"), product_report),
    "customers": (gettext_lazy("Customers"), customer_report),
    "campaigns": (gettext_lazy("Promotions and coupons"), campaign_report),
    "staff": (gettext_lazy("Staff sales"), staff_report),
    "traffic": (gettext_lazy("Traffic and funnel"), traffic_report),
}


def reports_for(user) -> list[tuple[str, str]]:
    """(key, title) of the reports this person may open."""
    hq = is_hq(user)
    return [(key, title) for key, (title, _f) in REPORTS.items() if hq or key not in HQ_ONLY_REPORTS]


def build_report(name: str, store_ids, start, end, *, period="day", hq=False) -> list[Table]:
    """The tables of one report; the same call feeds the page, the inline export and the export task."""
    _title, function = REPORTS[name]
    if name == "sales":
        return function(store_ids, start, end, period)
    if name in ("customers", "campaigns", "traffic"):
        return function(store_ids, start, end, hq=hq)
    return function(store_ids, start, end)
