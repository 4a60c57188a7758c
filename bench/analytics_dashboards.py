"""Time the analytics dashboards and a report over a chain's worth of fact rows.

    scripts/with_services.py .venv/bin/python bench/analytics_dashboards.py [--stores 50] [--days 730]

On a throwaway PostgreSQL: migrates, writes facts directly with generate_series (50 stores ×
730 days × 3 channels of store facts, 40 products × 365 days per store, 14 trading hours a day),
VACUUM ANALYZE, then requests each page through Django's test client with the production
settings and reports the median of ten requests and the number of queries. The target is
under 50 ms per dashboard. Nothing here builds facts from orders: that is analytics_benchmark.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
os.environ.setdefault("STATIC_ROOT", "/tmp/shop-bench-static")

import django

django.setup()

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client

PROVINCES = ["上海市 徐汇区", "北京市 朝阳区", "广东省 广州市", "浙江省 杭州市", "江苏省 南京市", "四川省 成都市"]
REPEAT = 20


def seed(stores: int, days: int) -> tuple:
    from analytics import selectors
    from catalog.models import Product
    from stores.models import Store, StoreStaff
    from tests.factories import ProductFactory

    call_command("migrate", verbosity=0)
    Store.objects.bulk_create([Store(name=f"bench-门店{n}", code=f"bench-{n}", region=PROVINCES[n % len(PROVINCES)])
                               for n in range(stores)], ignore_conflicts=True)
    while Product.objects.count() < 40:
        ProductFactory()
    end = selectors.today() - timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE analytics_dailystorefact, analytics_dailyproductfact, analytics_dailyhourfact, "
                       "analytics_monthlystorefact, analytics_monthlyhourfact")
        cursor.execute("""
            INSERT INTO analytics_dailystorefact (day, store_id, channel, orders, units, gross, discount_tier,
                discount_promotion, discount_coupon, points_value, shipping, net, wallet_used, refunds,
                refunded_orders, customers, new_customers, returning_customers, built_at)
            SELECT %(end)s::date - d, s.id, c, 20 + (s.id + d) %% 30, 50, 3000, 50, 80, 20, 5, 40, 2845, 100, 30,
                1, 18, 4, 14, now()
            FROM generate_series(0, %(days)s - 1) d, stores_store s,
                 unnest(array['delivery', 'pickup', 'counter']) c
            WHERE s.code LIKE 'bench-%%'""", {"end": end, "days": days})
        cursor.execute("""
            INSERT INTO analytics_dailyproductfact (day, store_id, product_id, units, orders, gross, net,
                refunded_units, refunds, built_at)
            SELECT %(end)s::date - d, s.id, p.id, 1 + (p.id + d) %% 7, 1 + (p.id + d) %% 5, 120, 110, 0, 0, now()
            FROM generate_series(0, 364) d, stores_store s, (SELECT id FROM catalog_product ORDER BY id LIMIT 40) p
            WHERE s.code LIKE 'bench-%%'""", {"end": end})
        cursor.execute("""
            INSERT INTO analytics_dailyhourfact (day, store_id, hour, orders, net)
            SELECT %(end)s::date - d, s.id, h, 1 + (h + d) %% 9, 210
            FROM generate_series(0, %(days)s - 1) d, stores_store s, generate_series(9, 22) h
            WHERE s.code LIKE 'bench-%%'""", {"end": end, "days": days})
    # The facts build keeps the monthly roll-ups; rows written directly here are rolled up the same way.
    from analytics.services.facts import roll_up_months

    started = time.perf_counter()
    roll_up_months(first_day=end - timedelta(days=days - 1), last_day=end)
    print(f"monthly roll-ups of {days} days written in {time.perf_counter() - started:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("SELECT (SELECT count(*) FROM analytics_dailystorefact), "
                       "(SELECT count(*) FROM analytics_dailyproductfact), (SELECT count(*) FROM analytics_dailyhourfact)")
        counts = cursor.fetchone()
    connection.cursor().execute("VACUUM ANALYZE")
    User = get_user_model()
    hq = User.objects.filter(username="bench-hq").first() or User.objects.create_superuser(
        "bench-hq", "bench-hq@example.com", "x")
    manager = User.objects.filter(username="bench-manager").first() or User.objects.create_user(
        "bench-manager", password="x", is_staff=True)
    first = Store.objects.get(code="bench-0")
    StoreStaff.objects.get_or_create(store=first, user=manager, defaults={"role": StoreStaff.Role.MANAGER})
    return hq, manager, end, counts


def measure(client, url) -> tuple[float, float, int, int]:
    timings, sql_times = [], []
    for _ in range(REPEAT + 2):
        log = []

        def timed(execute, sql, params, many, context, log=log):
            started = time.perf_counter()
            try:
                return execute(sql, params, many, context)
            finally:
                log.append((time.perf_counter() - started, sql))

        with connection.execute_wrapper(timed):
            started = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - started)
        sql_times.append(sum(seconds for seconds, _sql in log))
        assert response.status_code == 200, (url, response.status_code)
    slowest = sorted(log, key=lambda row: row[0], reverse=True)[:4]
    return (statistics.median(timings[2:]) * 1000, min(timings[2:]) * 1000, statistics.median(sql_times[2:]) * 1000,
            len(log), len(response.content), slowest)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stores", type=int, default=50)
    parser.add_argument("--days", type=int, default=730)
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not (Path(settings.STATIC_ROOT) / "staticfiles.json").exists():
        call_command("collectstatic", interactive=False, verbosity=0)
    hq, manager, end, counts = seed(args.stores, args.days)
    print(f"facts: {counts[0]:,} store rows, {counts[1]:,} product rows, {counts[2]:,} hour rows")
    year_ago = end.replace(year=end.year - 1)
    pages = [
        (manager, "/admin/analytics/", "store dashboard (manager)"),
        (hq, "/admin/analytics/hq/", "HQ dashboard, 30 days, all stores"),
        (hq, f"/admin/analytics/hq/?start={end - timedelta(days=91)}&end={end}", "HQ dashboard, 92 days (daily trend)"),
        (hq, f"/admin/analytics/hq/?start={year_ago}&end={end}", "HQ dashboard, one year, all stores"),
        (hq, f"/admin/analytics/hq/?start={year_ago + timedelta(days=14)}&end={end - timedelta(days=15)}",
         "HQ dashboard, a year between mid-months"),
        (hq, f"/admin/analytics/reports/sales/?start={year_ago}&end={end}&period=month", "sales report by month"),
    ]
    # The fastest run is shown too: on a shared machine the median mostly measures the neighbours.
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'page':45} {'median ms':>10} {'fastest':>8} {'SQL (median)':>13} {'queries':>8} {'bytes':>9}")
    for user, url, label in pages:
        client = Client()
        client.force_login(user)
        median, fastest, sql, queries, size, slowest = measure(client, url)
        print(f"{label:45} {median:10.1f} {fastest:8.1f} {sql:13.1f} {queries:8d} {size:9,d}")
        for seconds, statement in slowest:
            print(f"    {seconds * 1000:6.1f} ms  {statement[:150]}")


if __name__ == "__main__":
    main()
