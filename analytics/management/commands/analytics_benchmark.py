"""Generate many orders with SQL (generate_series) and time the facts build over them.

    manage.py analytics_benchmark --orders 1000000 --stores 50

Meant for a throwaway PostgreSQL (``scripts/with_services.py``): it adds
stores, members, products and orders prefixed ``bench-`` and, unless
``--keep``, deletes them again at the end. The orders look like the shop's:
one to three lines, tier/promotion/coupon shares and points on some lines,
shipping on deliveries, some wallet, cash on delivery, counter sales, pick-ups,
refunds on about one order in twenty.
"""

import datetime as dt
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from analytics.services.facts import build_facts, day_bounds
from catalog.models import Category, Product, Variant
from orders.models import Order, OrderAdjustment, OrderLine, Refund, RefundLine
from stores.models import Store


def defaults_for(model, given: dict[str, str]) -> tuple[list[str], list[str], list]:
    """Columns, SQL expressions and parameters for an INSERT … SELECT: ``given`` plus every other NOT NULL column's default."""
    columns, expressions, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.primary_key and field.column not in given:
            continue
        if field.column in given:
            columns.append(field.column)
            expressions.append(given[field.column])
        elif not field.null:
            columns.append(field.column)
            expressions.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    return columns, expressions, params


class Command(BaseCommand):
    help = "Generate orders with SQL and time the analytics facts build over them."

    def add_arguments(self, parser):
        parser.add_argument("--orders", type=int, default=1_000_000)
        parser.add_argument("--stores", type=int, default=50)
        parser.add_argument("--days", type=int, default=365)
        parser.add_argument("--keep", action="store_true", help="Leave the generated data in place.")

    def handle(self, *args, orders, stores, days, keep, **options):
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark needs PostgreSQL.")
        started = time.monotonic()
        last_day = dt.date.today() - dt.timedelta(days=1)
        first_day = last_day - dt.timedelta(days=days - 1)
        self.generate(orders=orders, stores=stores, first_day=first_day, days=days)
        generated = time.monotonic() - started
        self.stdout.write(f"generated {orders} orders over {stores} stores and {days} days in {generated:.1f} s")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        started = time.monotonic()
        counts = build_facts(first_day=first_day, last_day=last_day + dt.timedelta(days=3))
        built = time.monotonic() - started
        self.stdout.write(f"facts for {orders} orders built in {built:.1f} s: {counts}")
        started = time.monotonic()
        build_facts(first_day=last_day - dt.timedelta(days=2), last_day=last_day)
        self.stdout.write(f"nightly rebuild of the last 3 days: {time.monotonic() - started:.2f} s")
        if not keep:
            self.clean_up()

    @transaction.atomic
    def generate(self, *, orders, stores, first_day, days):
        with connection.cursor() as cursor:
            store_rows = Store.objects.bulk_create(
                [Store(name=f"bench-{n}", code=f"bench-{n}", region="上海") for n in range(stores)]
            )
            category = Category.objects.create(name="bench", slug="bench-category")
            products = Product.objects.bulk_create(
                [Product(name=f"bench-{n}", slug=f"bench-{n}", category=category, price=Decimal("10.00") + n)
                 for n in range(200)]
            )
            Variant.objects.bulk_create(
                [Variant(product=p, sku=f"bench-{p.pk}", price=p.price) for p in products]
            )
            members = max(1000, orders // 10)
            cursor.execute(
                """INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff,
                                          is_active, date_joined)
                   SELECT '!', false, 'bench-' || n, '', '', '', false, true, now()
                   FROM generate_series(1, %s) AS n""",
                [members],
            )
            store_ids = [s.pk for s in store_rows]
            start, _ = day_bounds(first_day, first_day)
            # Orders: the status, channel, sale time and money follow from n, so lines can be derived from them.
            columns, expressions, params = defaults_for(Order, {
                "number": "'bench-' || n",
                "user_id": "(SELECT MIN(id) FROM auth_user WHERE username LIKE 'bench-%%') + (n::bigint * 7919) %% %s",
                "status": "CASE WHEN n %% 20 = 0 THEN 'cancelled' WHEN n %% 9 = 0 THEN 'completed' ELSE 'paid' END",
                "fulfilment": "CASE WHEN n %% 3 = 0 THEN 'pickup' ELSE 'delivery' END",
                "payment_method": "CASE WHEN n %% 9 = 0 THEN 'cod' ELSE 'online' END",
                "store_id": "(%s::int[])[1 + n %% %s]",
                "checkout_token": "md5('bench' || n)::uuid",
                "channel": "CASE WHEN n %% 5 = 0 THEN 'counter' ELSE 'online' END",
                "recipient": "'bench'", "phone": "'13800000000'",
                "subtotal": "0", "shipping_fee": "CASE WHEN n %% 3 = 0 THEN 0 ELSE 8 END",
                # Totals are not derived from the lines (the facts read the lines); wallet is within the total.
                "total": "13", "wallet_amount": "CASE WHEN n %% 7 = 0 THEN 5 ELSE 0 END",
                "placed_at": "%s::timestamptz + (n::float8 / %s * %s) * interval '1 day'",
                "paid_at": "CASE WHEN n %% 20 = 0 OR n %% 9 = 0 THEN NULL ELSE "
                           "%s::timestamptz + (n::float8 / %s * %s) * interval '1 day' + interval '5 minutes' END",
                "completed_at": "CASE WHEN n %% 9 = 0 AND n %% 20 <> 0 THEN "
                                "%s::timestamptz + (n::float8 / %s * %s) * interval '1 day' + interval '2 days' END",
            })
            sql_params = []
            for column, expression in zip(columns, expressions):
                if column == "user_id":
                    sql_params.append(members)
                elif column == "store_id":
                    sql_params += [store_ids, len(store_ids)]
                elif column in ("placed_at", "paid_at", "completed_at"):
                    sql_params += [start, orders, days]
                elif expression == "%s":
                    sql_params.append(params.pop(0))
            cursor.execute(
                f"INSERT INTO orders_order ({', '.join(columns)}) SELECT {', '.join(expressions)} "
                f"FROM generate_series(1, %s) AS n",
                [*sql_params, orders],
            )
            self.stdout.write("orders written")
            variant_ids = list(Variant.objects.filter(sku__startswith="bench-").values_list("id", flat=True))
            # One to three lines per order; a tenth of the lines carry a discount share, some points.
            columns, expressions, params = defaults_for(OrderLine, {
                "order_id": "o.id", "variant_id": "v.id", "product_name": "'bench'", "sku": "v.sku",
                "unit_price": "v.price", "quantity": "q.qty", "line_total": "v.price * q.qty",
                "discount": "CASE WHEN (o.id + k) %% 10 = 0 THEN round(v.price * q.qty * 0.1, 2) ELSE 0 END",
                "points_value": "CASE WHEN (o.id + k) %% 15 = 0 THEN 1.00 ELSE 0 END",
                "net_total": "v.price * q.qty - CASE WHEN (o.id + k) %% 10 = 0 THEN round(v.price * q.qty * 0.1, 2) "
                             "ELSE 0 END - CASE WHEN (o.id + k) %% 15 = 0 THEN 1.00 ELSE 0 END",
            })
            cursor.execute(
                f"""INSERT INTO orders_orderline ({', '.join(columns)})
                    SELECT {', '.join(expressions)}
                    FROM orders_order o
                    CROSS JOIN LATERAL generate_series(1, 1 + o.id %% 3) AS k
                    CROSS JOIN LATERAL (SELECT 1 + (o.id + k) %% 2 AS qty) q
                    JOIN catalog_variant v ON v.id = (%s::int[])[1 + (o.id * 31 + k) %% %s]
                    WHERE o.number LIKE 'bench-%%'""",
                [*params, variant_ids, len(variant_ids)],
            )
            self.stdout.write("lines written")
            cursor.execute("ANALYZE orders_order")
            cursor.execute("ANALYZE orders_orderline")
            columns, expressions, params = defaults_for(OrderAdjustment, {
                "order_id": "l.order_id", "kind": "CASE WHEN l.order_id %% 2 = 0 THEN 'tier' ELSE 'coupon' END",
                "amount": "-SUM(l.discount)",
            })
            cursor.execute(
                f"""INSERT INTO orders_orderadjustment ({', '.join(columns)}) SELECT {', '.join(expressions)}
                    FROM orders_orderline l JOIN orders_order o ON o.id = l.order_id
                    WHERE o.number LIKE 'bench-%%' AND l.discount > 0 GROUP BY l.order_id""",
                params,
            )
            columns, expressions, params = defaults_for(Refund, {
                "order_id": "o.id", "key": "'bench-' || o.id", "amount": "l.net_total", "reason": "'bench'",
                "status": "'succeeded'", "created_at": "COALESCE(o.paid_at, o.completed_at) + interval '1 day'",
            })
            cursor.execute(
                f"""INSERT INTO orders_refund ({', '.join(columns)}) SELECT {', '.join(expressions)}
                    FROM orders_order o
                    JOIN (SELECT order_id, MIN(id) AS id FROM orders_orderline GROUP BY order_id) f ON f.order_id = o.id
                    JOIN orders_orderline l ON l.id = f.id
                    WHERE o.number LIKE 'bench-%%' AND o.id %% 20 = 1 AND COALESCE(o.paid_at, o.completed_at) IS NOT NULL""",
                params,
            )
            columns, expressions, params = defaults_for(RefundLine, {
                "refund_id": "r.id", "order_line_id": "l.id", "quantity": "1", "amount": "l.net_total / l.quantity",
            })
            cursor.execute(
                f"""INSERT INTO orders_refundline ({', '.join(columns)}) SELECT {', '.join(expressions)}
                    FROM orders_refund r
                    JOIN (SELECT order_id, MIN(id) AS id FROM orders_orderline GROUP BY order_id) f
                      ON f.order_id = r.order_id
                    JOIN orders_orderline l ON l.id = f.id
                    WHERE r.key LIKE 'bench-%%'""",
                params,
            )

    @transaction.atomic
    def clean_up(self):
        with connection.cursor() as cursor:
            for sql in [
                "DELETE FROM analytics_dailystorefact WHERE store_id IN (SELECT id FROM stores_store WHERE code LIKE 'bench-%%')",
                "DELETE FROM analytics_dailyproductfact WHERE store_id IN (SELECT id FROM stores_store WHERE code LIKE 'bench-%%')",
                "DELETE FROM analytics_dailyhourfact WHERE store_id IN (SELECT id FROM stores_store WHERE code LIKE 'bench-%%')",
                "DELETE FROM orders_refundline WHERE refund_id IN (SELECT id FROM orders_refund WHERE key LIKE 'bench-%%')",
                "DELETE FROM orders_refund WHERE key LIKE 'bench-%%'",
                "DELETE FROM orders_orderadjustment WHERE order_id IN (SELECT id FROM orders_order WHERE number LIKE 'bench-%%')",
                "DELETE FROM orders_orderline WHERE order_id IN (SELECT id FROM orders_order WHERE number LIKE 'bench-%%')",
                "DELETE FROM orders_order WHERE number LIKE 'bench-%%'",
                "DELETE FROM auth_user WHERE username LIKE 'bench-%%'",
                "DELETE FROM catalog_variant WHERE sku LIKE 'bench-%%'",
                "DELETE FROM catalog_product WHERE slug LIKE 'bench-%%'",
                "DELETE FROM stores_store WHERE code LIKE 'bench-%%'",
                "DELETE FROM catalog_category WHERE slug = 'bench-category'",
            ]:
                cursor.execute(sql, [])
        self.stdout.write("benchmark data removed")
