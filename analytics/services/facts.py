"""Daily sales facts, built from the orders by set-based SQL upserts.

What counts as a sale, and on which day (shop time, ``settings.TIME_ZONE``):

- An order is a sale on the day it was paid (``paid_at``); cash on delivery
  has no ``paid_at`` until the courier collects, so it counts on the day it
  completed (``completed_at``). Hence "sale time" = ``COALESCE(paid_at,
  completed_at)``. An order cancelled before it was paid has neither and never
  counts. An order paid and later cancelled or refunded still counts as a sale
  on its paid day; the money going back counts as a refund on the refund's day.
- Refunds count on the day the refund was decided (``Refund.created_at``),
  unless the refund failed; they are booked to the order's store and channel.
- Channel: a counter sale is ``counter``; an online order is ``pickup`` or
  ``delivery`` by its fulfilment.
- ``gross`` = goods at unit price (sum of ``OrderLine.line_total``); discounts
  by kind from the order's adjustments (a ``floor`` give-back is netted into
  the coupon column: only a coupon can exceed the goods it covers in
  practice, and this keeps gross − discounts − points value = net exact);
  ``net`` = goods paid in money (sum of ``OrderLine.net_total``); shipping is
  the order's shipping fee, apart from net.
- A customer is *new* on the order that is their first sale ever (by sale
  time, then id), *returning* otherwise.

Every build runs in one transaction holding an advisory lock, so two builds
(of any days) run one after the other and leave one row per key with the
figures of the orders as they are; rows of the rebuilt days whose key no
longer has any sale or refund are deleted.

The same transaction then rolls every calendar month the build touched up
from the daily rows into ``MonthlyStoreFact`` and ``MonthlyHourFact``
(``roll_up_months``): a month row is always the sum of its days, so a late
order or refund that corrects a day corrects its month in the same build, and
long dashboard ranges read twelve rows a year instead of 365.
"""

from __future__ import annotations

import datetime as dt
import zlib
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from analytics.models import STORE_FIGURES, FactBuild

LOCK_KEY = zlib.crc32(b"analytics.facts")

# The SQL fragments every statement shares, so the rule above is written once.
SALE_AT = "COALESCE(o.paid_at, o.completed_at)"
CHANNEL = "CASE WHEN o.channel = 'counter' THEN 'counter' WHEN o.fulfilment = 'pickup' THEN 'pickup' ELSE 'delivery' END"

SALES_CTE = f"""
sale AS (
    SELECT o.id, o.store_id, o.user_id, {CHANNEL} AS channel,
           ({SALE_AT} AT TIME ZONE %(tz)s)::date AS day,
           EXTRACT(HOUR FROM {SALE_AT} AT TIME ZONE %(tz)s)::int AS hour,
           o.shipping_fee, o.wallet_amount
    FROM orders_order o
    WHERE {SALE_AT} >= %(start)s AND {SALE_AT} < %(end)s
),
refund AS (
    SELECT r.id, r.order_id, r.amount, o.store_id, {CHANNEL} AS channel,
           (r.created_at AT TIME ZONE %(tz)s)::date AS day
    FROM orders_refund r JOIN orders_order o ON o.id = r.order_id
    WHERE r.status <> 'failed' AND r.created_at >= %(start)s AND r.created_at < %(end)s
)"""

STORE_SQL = f"""
WITH {SALES_CTE},
line AS (
    SELECT l.order_id, SUM(l.quantity) AS units, SUM(l.line_total) AS gross,
           SUM(l.points_value) AS points_value, SUM(l.net_total) AS net
    FROM orders_orderline l JOIN sale s ON s.id = l.order_id
    GROUP BY l.order_id
),
adj AS (
    SELECT a.order_id,
           -SUM(a.amount) FILTER (WHERE a.kind = 'tier') AS tier,
           -SUM(a.amount) FILTER (WHERE a.kind = 'promotion') AS promotion,
           -SUM(a.amount) FILTER (WHERE a.kind IN ('coupon', 'floor')) AS coupon
    FROM orders_orderadjustment a JOIN sale s ON s.id = a.order_id
    GROUP BY a.order_id
),
first_sale AS (
    SELECT DISTINCT ON (o.user_id) o.id
    FROM orders_order o
    WHERE {SALE_AT} IS NOT NULL AND {SALE_AT} < %(end)s AND o.user_id IN (SELECT user_id FROM sale)
    ORDER BY o.user_id, {SALE_AT}, o.id
),
sales AS (
    SELECT s.day, s.store_id, s.channel, COUNT(*) AS orders,
           COALESCE(SUM(line.units), 0) AS units, COALESCE(SUM(line.gross), 0) AS gross,
           COALESCE(SUM(adj.tier), 0) AS tier, COALESCE(SUM(adj.promotion), 0) AS promotion,
           COALESCE(SUM(adj.coupon), 0) AS coupon, COALESCE(SUM(line.points_value), 0) AS points_value,
           SUM(s.shipping_fee) AS shipping, COALESCE(SUM(line.net), 0) AS net, SUM(s.wallet_amount) AS wallet_used,
           COUNT(DISTINCT s.user_id) AS customers,
           COUNT(DISTINCT s.user_id) FILTER (WHERE f.id IS NOT NULL) AS new_customers
    FROM sale s
    LEFT JOIN line ON line.order_id = s.id
    LEFT JOIN adj ON adj.order_id = s.id
    LEFT JOIN first_sale f ON f.id = s.id
    GROUP BY s.day, s.store_id, s.channel
),
refunds AS (
    SELECT day, store_id, channel, SUM(amount) AS refunds, COUNT(DISTINCT order_id) AS refunded_orders
    FROM refund GROUP BY day, store_id, channel
),
upserted AS (
    INSERT INTO analytics_dailystorefact (
        day, store_id, channel, orders, units, gross, discount_tier, discount_promotion, discount_coupon,
        points_value, shipping, net, wallet_used, refunds, refunded_orders, customers, new_customers,
        returning_customers, built_at)
    SELECT COALESCE(s.day, r.day), COALESCE(s.store_id, r.store_id), COALESCE(s.channel, r.channel),
           COALESCE(s.orders, 0), COALESCE(s.units, 0), COALESCE(s.gross, 0), COALESCE(s.tier, 0),
           COALESCE(s.promotion, 0), COALESCE(s.coupon, 0), COALESCE(s.points_value, 0), COALESCE(s.shipping, 0),
           COALESCE(s.net, 0), COALESCE(s.wallet_used, 0), COALESCE(r.refunds, 0), COALESCE(r.refunded_orders, 0),
           COALESCE(s.customers, 0), COALESCE(s.new_customers, 0),
           COALESCE(s.customers, 0) - COALESCE(s.new_customers, 0), %(stamp)s
    FROM sales s FULL OUTER JOIN refunds r
      ON r.day = s.day AND r.store_id = s.store_id AND r.channel = s.channel
    ON CONFLICT (day, store_id, channel) DO UPDATE SET
        orders = EXCLUDED.orders, units = EXCLUDED.units, gross = EXCLUDED.gross,
        discount_tier = EXCLUDED.discount_tier, discount_promotion = EXCLUDED.discount_promotion,
        discount_coupon = EXCLUDED.discount_coupon, points_value = EXCLUDED.points_value,
        shipping = EXCLUDED.shipping, net = EXCLUDED.net, wallet_used = EXCLUDED.wallet_used,
        refunds = EXCLUDED.refunds, refunded_orders = EXCLUDED.refunded_orders, customers = EXCLUDED.customers,
        new_customers = EXCLUDED.new_customers, returning_customers = EXCLUDED.returning_customers,
        built_at = EXCLUDED.built_at
    RETURNING 1
)
SELECT COUNT(*) FROM upserted
"""

PRODUCT_SQL = f"""
WITH {SALES_CTE},
moves AS (
    SELECT s.day, s.store_id, v.product_id, l.order_id, l.quantity AS units, l.line_total AS gross,
           l.net_total AS net, 0 AS refunded_units, 0::numeric AS refunds
    FROM sale s JOIN orders_orderline l ON l.order_id = s.id JOIN catalog_variant v ON v.id = l.variant_id
    UNION ALL
    SELECT r.day, r.store_id, v.product_id, NULL, 0, 0, 0, rl.quantity, rl.amount
    FROM refund r JOIN orders_refundline rl ON rl.refund_id = r.id
    JOIN orders_orderline l ON l.id = rl.order_line_id JOIN catalog_variant v ON v.id = l.variant_id
),
upserted AS (
    INSERT INTO analytics_dailyproductfact (day, store_id, product_id, units, orders, gross, net, refunded_units,
                                            refunds, built_at)
    SELECT day, store_id, product_id, SUM(units), COUNT(DISTINCT order_id), SUM(gross), SUM(net),
           SUM(refunded_units), SUM(refunds), %(stamp)s
    FROM moves GROUP BY day, store_id, product_id
    ON CONFLICT (day, store_id, product_id) DO UPDATE SET
        units = EXCLUDED.units, orders = EXCLUDED.orders, gross = EXCLUDED.gross, net = EXCLUDED.net,
        refunded_units = EXCLUDED.refunded_units, refunds = EXCLUDED.refunds, built_at = EXCLUDED.built_at
    RETURNING 1
)
SELECT COUNT(*) FROM upserted
"""

# The hour table has no built_at column, so stale rows are found by key instead.
HOUR_SQL = f"""
WITH {SALES_CTE},
line AS (
    SELECT l.order_id, SUM(l.net_total) AS net FROM orders_orderline l JOIN sale s ON s.id = l.order_id
    GROUP BY l.order_id
),
hours AS (
    SELECT s.day, s.store_id, s.hour, COUNT(*) AS orders, COALESCE(SUM(line.net), 0) AS net
    FROM sale s LEFT JOIN line ON line.order_id = s.id GROUP BY s.day, s.store_id, s.hour
),
gone AS (
    DELETE FROM analytics_dailyhourfact h
    WHERE h.day BETWEEN %(first_day)s AND %(last_day)s
      AND NOT EXISTS (SELECT 1 FROM hours x WHERE x.day = h.day AND x.store_id = h.store_id AND x.hour = h.hour)
)
INSERT INTO analytics_dailyhourfact (day, store_id, hour, orders, net)
SELECT day, store_id, hour, orders, net FROM hours
ON CONFLICT (day, store_id, hour) DO UPDATE SET orders = EXCLUDED.orders, net = EXCLUDED.net
"""

# Rows of the rebuilt days this build did not write (its stamp) have no orders left. The stamp is the clock
# when the build took its lock, not now(), so two builds inside one transaction (tests) still tell apart.
STALE_SQL = """
DELETE FROM {table} WHERE day BETWEEN %(first_day)s AND %(last_day)s AND built_at < %(stamp)s
"""

BUILDS_SQL = f"""
INSERT INTO analytics_factbuild (day, built_at, orders_seen)
SELECT d::date, %(stamp)s, COALESCE(c.orders, 0)
FROM generate_series(%(first_day)s::date, %(last_day)s::date, interval '1 day') AS d
LEFT JOIN (SELECT ({SALE_AT} AT TIME ZONE %(tz)s)::date AS day, COUNT(*) AS orders FROM orders_order o
           WHERE {SALE_AT} >= %(start)s AND {SALE_AT} < %(end)s GROUP BY 1) c ON c.day = d::date
ON CONFLICT (day) DO UPDATE SET built_at = EXCLUDED.built_at, orders_seen = EXCLUDED.orders_seen
"""


# A month is re-added from all its days (a month of 50 stores is a few thousand rows); month keys with no day
# left are deleted in the same statement, like the hour table's stale rows above.
MONTH_STORE_SQL = f"""
WITH rolled AS (
    SELECT date_trunc('month', day)::date AS month, store_id, channel,
           {", ".join(f"SUM({name}) AS {name}" for name in STORE_FIGURES)}
    FROM analytics_dailystorefact
    WHERE day >= %(first_month)s AND day < %(after_last_month)s
    GROUP BY 1, 2, 3
),
gone AS (
    DELETE FROM analytics_monthlystorefact m
    WHERE m.month >= %(first_month)s AND m.month < %(after_last_month)s
      AND NOT EXISTS (SELECT 1 FROM rolled r WHERE r.month = m.month AND r.store_id = m.store_id
                      AND r.channel = m.channel)
)
INSERT INTO analytics_monthlystorefact (month, store_id, channel, {", ".join(STORE_FIGURES)}, built_at)
SELECT month, store_id, channel, {", ".join(STORE_FIGURES)}, %(stamp)s FROM rolled
ON CONFLICT (month, store_id, channel) DO UPDATE SET
    {", ".join(f"{name} = EXCLUDED.{name}" for name in STORE_FIGURES)}, built_at = EXCLUDED.built_at
"""

MONTH_HOUR_SQL = """
WITH rolled AS (
    SELECT date_trunc('month', day)::date AS month, store_id, hour, SUM(orders) AS orders, SUM(net) AS net
    FROM analytics_dailyhourfact
    WHERE day >= %(first_month)s AND day < %(after_last_month)s
    GROUP BY 1, 2, 3
),
gone AS (
    DELETE FROM analytics_monthlyhourfact m
    WHERE m.month >= %(first_month)s AND m.month < %(after_last_month)s
      AND NOT EXISTS (SELECT 1 FROM rolled r WHERE r.month = m.month AND r.store_id = m.store_id
                      AND r.hour = m.hour)
)
INSERT INTO analytics_monthlyhourfact (month, store_id, hour, orders, net)
SELECT month, store_id, hour, orders, net FROM rolled
ON CONFLICT (month, store_id, hour) DO UPDATE SET orders = EXCLUDED.orders, net = EXCLUDED.net
"""


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    """The first day of the month after ``day``'s."""
    return (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def roll_up_months(*, first_day: dt.date, last_day: dt.date, cursor=None, stamp=None) -> None:
    """Re-add the monthly figures of every calendar month from ``first_day``'s to ``last_day``'s from their days.

    ``build_facts`` calls it inside its transaction and lock; the dashboard benchmark, which writes daily rows
    directly, calls it on its own.
    """
    params = {"first_month": month_start(first_day), "after_last_month": next_month(last_day)}
    if cursor is None:
        with transaction.atomic(), connection.cursor() as own:
            own.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            own.execute("SELECT clock_timestamp()")
            roll_up_months(first_day=first_day, last_day=last_day, cursor=own, stamp=own.fetchone()[0])
        return
    params["stamp"] = stamp
    cursor.execute(MONTH_STORE_SQL, params)
    cursor.execute(MONTH_HOUR_SQL, params)


def shop_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(first_day: dt.date, last_day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The instants where ``first_day`` starts and the day after ``last_day`` starts, in shop time."""
    zone = shop_zone()
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def shop_today() -> dt.date:
    return timezone.now().astimezone(shop_zone()).date()


def build_facts(*, first_day: dt.date, last_day: dt.date | None = None) -> dict:
    """(Re)build every fact table for the days ``first_day``..``last_day`` (inclusive); returns row counts."""
    last_day = last_day or first_day
    if last_day < first_day:
        raise ValueError("last_day is before first_day")
    start, end = day_bounds(first_day, last_day)
    params = {"tz": settings.TIME_ZONE, "start": start, "end": end, "first_day": first_day, "last_day": last_day}
    with transaction.atomic(), connection.cursor() as cursor:
        # One build at a time: a second one waits here and then writes the same figures again.
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute("SELECT clock_timestamp()")
        params["stamp"] = cursor.fetchone()[0]
        cursor.execute(STORE_SQL, params)
        store_rows = cursor.fetchone()[0]
        cursor.execute(STALE_SQL.format(table="analytics_dailystorefact"), params)
        cursor.execute(PRODUCT_SQL, params)
        product_rows = cursor.fetchone()[0]
        cursor.execute(STALE_SQL.format(table="analytics_dailyproductfact"), params)
        cursor.execute(HOUR_SQL, params)
        hour_rows = cursor.rowcount
        cursor.execute(BUILDS_SQL, params)
        roll_up_months(first_day=first_day, last_day=last_day, cursor=cursor, stamp=params["stamp"])
    return {"store_rows": store_rows, "product_rows": product_rows, "hour_rows": hour_rows}


def days_to_rebuild(*, today: dt.date | None = None) -> list[dt.date]:
    """The days the nightly build must (re)build, oldest first.

    The last ``ANALYTICS_FACTS_REBUILD_DAYS`` days up to today (late payments,
    completions of cash on delivery, refunds decided since), every day of the
    last ``ANALYTICS_FACTS_CATCH_UP_DAYS`` the scheduler never built, and any
    day of a refund or a sale recorded since the last build started.
    """
    today = today or shop_today()
    recent = int(getattr(settings, "ANALYTICS_FACTS_REBUILD_DAYS", 3))
    horizon = int(getattr(settings, "ANALYTICS_FACTS_CATCH_UP_DAYS", 60))
    days = {today - dt.timedelta(days=n) for n in range(recent)}
    window = [today - dt.timedelta(days=n) for n in range(horizon)]
    built = set(FactBuild.objects.filter(day__gte=window[-1]).values_list("day", flat=True))
    days.update(day for day in window if day not in built)
    last = FactBuild.objects.order_by("-built_at").values_list("built_at", flat=True).first()
    if last is not None:
        with connection.cursor() as cursor:
            # A refund decided since the last build, or an order recorded since with an earlier sale time
            # (a counter sale imported late, a payment confirmed late) names a day to build again.
            cursor.execute(
                f"""
                SELECT DISTINCT (r.created_at AT TIME ZONE %(tz)s)::date FROM orders_refund r
                WHERE r.created_at >= %(last)s
                UNION
                SELECT DISTINCT ({SALE_AT} AT TIME ZONE %(tz)s)::date FROM orders_order o
                WHERE (o.paid_at >= %(last)s OR o.completed_at >= %(last)s OR o.placed_at >= %(last)s)
                  AND {SALE_AT} IS NOT NULL
                """,
                {"tz": settings.TIME_ZONE, "last": last},
            )
            days.update(row[0] for row in cursor.fetchall())
    return sorted(day for day in days if day <= today)


def build_recent_facts(*, today: dt.date | None = None) -> list[dt.date]:
    """The nightly build: every day ``days_to_rebuild`` names, in as few contiguous ranges as they make."""
    days = days_to_rebuild(today=today)
    for first, last in _ranges(days):
        build_facts(first_day=first, last_day=last)
    return days


def _ranges(days: list[dt.date]) -> list[tuple[dt.date, dt.date]]:
    ranges: list[tuple[dt.date, dt.date]] = []
    for day in days:
        if ranges and day - ranges[-1][1] == dt.timedelta(days=1):
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges
