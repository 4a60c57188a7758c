"""Checkout under load for `make bench`, and the stock check that must hold afterwards.

Run by bench/run.py with the benchmark's environment (same PostgreSQL as the
server), each subcommand printing one JSON object on stdout and its progress on
stderr:

    python bench/orders.py guest-carts            sessions in the database, and how many hold a cart
    python bench/orders.py place --members 400 --threads 8
    python bench/orders.py check

``place`` makes N members, each with a member profile (as sign-up gives them), a default
address and one cart line, then
calls ``place_order`` for all of them from T threads at once (each thread its
own database connection, opened before the clock starts and closed at the end)
and reports orders/s and the time per order. Half of the members (every other
one) want the same "hot" SKU, of which only N/4 units are available in the
whole shop: they queue on its stock row, N/4 of them get it, the rest must be
refused with OutOfStock. The other half buy one of a few SKUs that were given
plenty of stock in the first delivery warehouse. Any exception other than
OutOfStock on the hot SKU counts as an error.

``check`` is a correctness test, not a measurement: every stock row has
0 <= reserved <= on_hand; each (store, variant)'s reserved equals the units on
order lines of orders still holding stock (awaiting payment, placed, paid,
ready for pick-up) at that store; each row's on_hand and reserved equal the sums
of its StockMovement ledger; and the hot SKU sold exactly the units it had,
never more. Its JSON says ``passed``; run.py exits non-zero when it is false.
"""

import argparse
import json
import logging
import multiprocessing
import os
import statistics
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.sessions.models import Session  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import F, Q, Sum  # noqa: E402

from catalog.models import Product, Variant  # noqa: E402
from members.models import Address  # noqa: E402
from orders.models import Order, OrderLine, ShippingMethod  # noqa: E402
from orders.services import CheckoutChoice, add_to_cart, place_order  # noqa: E402
from orders.services.cart import SESSION_KEY, MemberCart  # noqa: E402
from stores.exceptions import OutOfStock  # noqa: E402
from stores.models import Stock, StockMovement  # noqa: E402
from stores.services import adjust_stock, delivery_stores, receive_stock  # noqa: E402

from members.services import ensure_member  # noqa: E402

try:
    from members.services import save_address  # noqa: E402
except ImportError:  # the address book as a module of its own
    from members.services.addresses import save_address  # noqa: E402

# Orders that still hold their stock (reserved, not yet deducted or released).
RESERVING = (
    Order.Status.PENDING_PAYMENT,
    Order.Status.PLACED,
    Order.Status.PAID,
    Order.Status.READY_FOR_PICKUP,
)
PLENTY_SKUS = 16  # the non-hot half spreads over this many SKUs, as a real basket mix would
PROVINCE = "上海市"


def log(message: str) -> None:
    print(f"orders: {message}", file=sys.stderr, flush=True)


def emit(data: dict) -> None:
    json.dump(data, sys.stdout, ensure_ascii=False)
    sys.stdout.write("\n")


def percentile(sorted_values: list[float], share: float) -> float | None:
    if not sorted_values:
        return None
    index = min(len(sorted_values) - 1, max(0, round(share * len(sorted_values)) - 1))
    return sorted_values[index]


# --- guest-carts -------------------------------------------------------------------


def guest_carts() -> None:
    """How many sessions exist and how many of them hold a non-empty cart.

    Sessions left by earlier runs were signed with those runs' throwaway SECRET_KEY (run.py), so they
    decode as empty; Django would log a "Session data corrupted" warning for each of them, tens of
    thousands of lines in a reused database.
    """
    logging.getLogger("django.security.SuspiciousSession").setLevel(logging.ERROR)
    total = with_cart = 0
    for session in Session.objects.iterator(chunk_size=2000):
        total += 1
        if session.get_decoded().get(SESSION_KEY):
            with_cart += 1
    emit({"sessions": total, "with_cart": with_cart})


# --- place -------------------------------------------------------------------------


def sellable_variants() -> "list[Variant]":
    return list(
        Variant.objects.filter(is_active=True, is_in_stock=True, product__in=Product.objects.visible())
        .select_related("product")
        .order_by("pk")[: PLENTY_SKUS + 1]
    )


def shipping_method() -> ShippingMethod:
    """An active method that delivers everywhere (to PROVINCE at least); made if the shop has none."""
    for method in ShippingMethod.objects.filter(is_active=True):
        if method.serves(PROVINCE):
            return method
    method, _ = ShippingMethod.objects.get_or_create(
        code="bench-express", defaults={"name": "全国快递（压测）", "base_fee": 8, "position": 99}
    )
    return method


def set_available(*, stock: Stock, available: int) -> None:
    """Bring on_hand − reserved to ``available`` through the stock services (so the ledger records it)."""
    change = stock.reserved + available - stock.on_hand
    if change:
        adjust_stock(stock_id=stock.pk, change=change, note="make bench: hot SKU")


def prepare(members: int, run: str) -> dict:
    """Members with an address and one cart line each; stock for them; the hot SKU's scarce units."""
    stores = delivery_stores()
    if not stores:
        raise SystemExit("orders: no active store ships delivery orders; did seed_demo run?")
    warehouse = stores[0]
    variants = sellable_variants()
    if len(variants) < 2:
        raise SystemExit("orders: need at least two variants on sale and in stock; did seed_demo run?")
    hot, plenty = variants[0], variants[1:]
    hot_units = members // 4
    hot_buyers = (members + 1) // 2

    for variant in plenty:
        receive_stock(store_id=warehouse.pk, variant_id=variant.pk, quantity=members, reference=f"bench-{run}")
    # The hot SKU: exactly hot_units available in the whole shop, all of it in the warehouse.
    if not Stock.objects.filter(store=warehouse, variant=hot).exists():
        receive_stock(store_id=warehouse.pk, variant_id=hot.pk, quantity=1, reference=f"bench-{run}")
    for stock in Stock.objects.filter(variant=hot):
        set_available(stock=stock, available=hot_units if stock.store_id == warehouse.pk else 0)
    method = shipping_method()

    User = get_user_model()
    people = []
    for i in range(members):
        user = User.objects.create(username=f"bench-{run}-{i}", email=f"bench-{run}-{i}@example.com", password="!")
        # A real member has a profile from sign-up on (members.views / the allauth adapter make it), so the
        # timed checkout does not pay for creating one.
        ensure_member(user=user)
        address = save_address(
            address=Address(
                user=user,
                recipient="压测顾客",
                phone="13800138000",
                province=PROVINCE,
                city="上海市",
                district="徐汇区",
                detail=f"漕溪北路 {i + 1} 号",
            )
        )
        variant = hot if i % 2 == 0 else plenty[(i // 2) % len(plenty)]
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=1)
        # Most pay online (awaiting payment); every fifth pays on delivery (placed): both hold stock.
        payment = Order.PaymentMethod.CASH_ON_DELIVERY if i % 5 == 4 else Order.PaymentMethod.ONLINE
        people.append(
            {
                "user_id": user.pk,
                "hot": variant.pk == hot.pk,
                "choice": CheckoutChoice(
                    fulfilment=Order.Fulfilment.DELIVERY,
                    payment_method=payment,
                    address=address,
                    shipping_method=method,
                ),
            }
        )
    return {
        "people": people,
        "warehouse": warehouse,
        "hot": hot,
        "hot_units": hot_units,
        "hot_buyers": hot_buyers,
        "plenty": plenty,
        "method": method,
    }


def checkout_worker(share: list, lock: threading.Lock, ready, sink: list) -> None:
    """Place orders for members taken from ``share`` until it is empty; one result per member into ``sink``."""
    mine = []
    try:
        connection.ensure_connection()  # connected before the clock starts, as a web worker would be
        ready.wait()
        while True:
            with lock:
                if not share:
                    break
                person = share.pop()
            began = time.perf_counter()
            error = None
            try:
                place_order(user_id=person["user_id"], token=uuid.uuid4(), choice=person["choice"], expected_total=None)
                outcome = "placed"
            except OutOfStock as err:
                # Expected for the hot SKU only; the others were given stock for everybody.
                outcome = "sold_out" if person["hot"] else "error"
                if not person["hot"]:
                    error = f"OutOfStock on a SKU with plenty of stock: {err.message}"
            except Exception as err:  # noqa: BLE001 - every other failure is counted and shown
                outcome = "error"
                error = "".join(traceback.format_exception_only(type(err), err)).strip()
            mine.append((outcome, time.perf_counter() - began, person["hot"], error))
    except threading.BrokenBarrierError:
        pass
    finally:
        connection.close()
        with lock:
            sink.extend(mine)


def start_workers(share: list, threads: int, ready, sink: list) -> list[threading.Thread]:
    lock = threading.Lock()
    pool = [
        threading.Thread(target=checkout_worker, args=(share, lock, ready, sink), name=f"checkout-{n}")
        for n in range(threads)
    ]
    for thread in pool:
        thread.start()
    return pool


def place(members: int, threads: int, processes: int) -> None:
    run = uuid.uuid4().hex[:8]
    started = time.monotonic()
    setup = prepare(members, run)
    log(
        f"set up {members} members in {time.monotonic() - started:.1f} s: {setup['hot_buyers']} want the hot SKU "
        f"{setup['hot'].sku} ({setup['hot_units']} units available, in {setup['warehouse'].name}), the rest one of "
        f"{len(setup['plenty'])} SKUs with plenty of stock; shipping {setup['method'].name}"
    )
    connection.close()  # every worker opens its own
    people = setup["people"]
    results: list = []  # (outcome, seconds, wanted the hot SKU, error text or None)

    if processes == 1:
        ready = threading.Barrier(threads + 1)
        pool = start_workers(list(people), threads, ready, results)
        ready.wait()
        clock = time.perf_counter()
        for thread in pool:
            thread.join()
        wall = time.perf_counter() - clock
    else:
        # Threads in one process share one GIL; several processes, each with its own
        # threads, are what gunicorn's workers look like. Forked after the setup, so
        # each child inherits the members and opens its own connections.
        per_process = max(1, threads // processes)
        context = multiprocessing.get_context("fork")
        ready = context.Barrier(per_process * processes + 1)
        queue = context.Queue()
        children = []
        for n in range(processes):
            share = people[n::processes]

            def child(share=share):
                sink: list = []
                for thread in start_workers(list(share), per_process, ready, sink):
                    thread.join()
                queue.put(sink)

            process = context.Process(target=child, name=f"checkout-process-{n}")
            process.start()
            children.append(process)
        ready.wait()
        clock = time.perf_counter()
        for _ in children:
            results.extend(queue.get())
        wall = time.perf_counter() - clock
        for process in children:
            process.join()
        threads = per_process * processes

    outcomes = Counter(outcome for outcome, _, _, _ in results)
    errors = Counter(error for _, _, _, error in results if error)
    hot_placed = sum(1 for outcome, _, hot, _ in results if hot and outcome == "placed")
    timings = sorted(seconds * 1000 for _, seconds, _, _ in results)
    report = {
        "members": members,
        "threads": threads,
        "processes": processes,
        "seconds": round(wall, 3),
        "attempts": len(results),
        "placed": outcomes["placed"],
        "sold_out": outcomes["sold_out"],
        "errors": outcomes["error"] + max(0, members - len(results)),
        "error_samples": [f"{count}× {text}" for text, count in errors.most_common(5)],
        "orders_per_s": round(outcomes["placed"] / wall, 1) if wall else 0.0,
        "attempts_per_s": round(len(results) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(timings, 0.50), 1) if timings else None,
        "p99_ms": round(percentile(timings, 0.99), 1) if timings else None,
        "mean_ms": round(statistics.fmean(timings), 1) if timings else None,
        "hot": {
            "variant_id": setup["hot"].pk,
            "sku": setup["hot"].sku,
            "store_id": setup["warehouse"].pk,
            "units_available": setup["hot_units"],
            "buyers": setup["hot_buyers"],
            "placed": hot_placed,
            "run": run,
        },
    }
    if len(results) != members:
        report["error_samples"].append(f"{members - len(results)} members never got a result")
    emit(report)


# --- check -------------------------------------------------------------------------


def check(hot_variant_id: int | None, hot_store_id: int | None, hot_units: int | None, run: str = "") -> None:
    problems: list[str] = []

    def problem(text: str) -> None:
        if len(problems) < 20:
            problems.append(text)

    # 1. 0 <= reserved <= on_hand on every row (the table's constraints say so; verify anyway).
    bad_rows = Stock.objects.filter(Q(reserved__lt=0) | Q(on_hand__lt=0) | Q(reserved__gt=F("on_hand")))
    bad_bounds = bad_rows.count()
    for row in bad_rows.values("pk", "store_id", "variant_id", "on_hand", "reserved")[:5]:
        problem(f"stock row {row['pk']} (store {row['store_id']}, variant {row['variant_id']}): "
                f"on_hand {row['on_hand']}, reserved {row['reserved']}")

    # 2. reserved == units on lines of orders that hold stock, per (store, variant).
    on_order = {
        (row["order__store_id"], row["variant_id"]): row["units"]
        for row in OrderLine.objects.filter(order__status__in=RESERVING)
        .values("order__store_id", "variant_id")
        .annotate(units=Sum("quantity"))
        .order_by()
    }
    reserved = {
        (row["store_id"], row["variant_id"]): row["reserved"]
        for row in Stock.objects.filter(reserved__gt=0).values("store_id", "variant_id", "reserved")
    }
    mismatched = 0
    for key in sorted(set(on_order) | set(reserved), key=lambda k: (k[0] or 0, k[1] or 0)):
        if on_order.get(key, 0) != reserved.get(key, 0):
            mismatched += 1
            problem(f"store {key[0]}, variant {key[1]}: reserved {reserved.get(key, 0)}, "
                    f"but orders holding stock have {on_order.get(key, 0)} units")

    # 3. The ledger: each row's figures are the sums of its movements (one hash join, not a subquery per row).
    stock_table, movement_table = Stock._meta.db_table, StockMovement._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT s.id, s.on_hand, s.reserved, COALESCE(m.on_hand, 0), COALESCE(m.reserved, 0)
            FROM {stock_table} s
            LEFT JOIN (
                SELECT stock_id, SUM(on_hand_change) AS on_hand, SUM(reserved_change) AS reserved
                FROM {movement_table} GROUP BY stock_id
            ) m ON m.stock_id = s.id
            WHERE s.on_hand <> COALESCE(m.on_hand, 0) OR s.reserved <> COALESCE(m.reserved, 0)
            ORDER BY s.id
            """
        )
        off_ledger = cursor.fetchall()
    off_ledger_count = len(off_ledger)
    for pk, on_hand, reserved_now, ledger_on_hand, ledger_reserved in off_ledger[:5]:
        problem(f"stock row {pk}: on_hand {on_hand} / reserved {reserved_now}, "
                f"ledger says {ledger_on_hand} / {ledger_reserved}")

    # 4. The hot SKU: never more reserved than on hand, and exactly its available units sold.
    hot = {}
    if hot_variant_id is not None:
        rows = list(Stock.objects.filter(variant_id=hot_variant_id).values("store_id", "on_hand", "reserved"))
        # This run's orders only: a reused database (BENCH_REUSE_DB) keeps earlier runs' orders, whose
        # reservations the set-up already left out of the units it made available.
        lines = OrderLine.objects.filter(variant_id=hot_variant_id, order__status__in=RESERVING)
        if run:
            lines = lines.filter(order__user__username__startswith=f"bench-{run}-")
        sold = (
            lines
            .aggregate(units=Sum("quantity"))["units"]
            or 0
        )
        hot = {"rows": rows, "units_on_order": sold, "units_available": hot_units}
        for row in rows:
            if row["reserved"] > row["on_hand"]:
                problem(f"hot SKU oversold at store {row['store_id']}: reserved {row['reserved']} > on_hand {row['on_hand']}")
        if hot_units is not None and sold != hot_units:
            problem(f"hot SKU: {sold} units on order, but {hot_units} were available "
                    f"({'oversold' if sold > hot_units else 'refused while stock was left'})")
        warehouse_row = next((row for row in rows if row["store_id"] == hot_store_id), None)
        if warehouse_row and hot_units is not None and warehouse_row["on_hand"] - warehouse_row["reserved"] != 0:
            problem(f"hot SKU: {warehouse_row['on_hand'] - warehouse_row['reserved']} units left unsold in the warehouse")

    emit(
        {
            "passed": not problems,
            "stock_rows": Stock.objects.count(),
            "rows_out_of_bounds": bad_bounds,
            "reserved_mismatches": mismatched,
            "rows_off_ledger": off_ledger_count,
            "orders_holding_stock": Order.objects.filter(status__in=RESERVING).count(),
            "hot": hot,
            "problems": problems,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("guest-carts")
    placing = commands.add_parser("place")
    placing.add_argument("--members", type=int, default=400)
    placing.add_argument("--threads", type=int, default=8, help="in all, split evenly over the processes")
    placing.add_argument("--processes", type=int, default=1)
    checking = commands.add_parser("check")
    checking.add_argument("--hot-variant", type=int)
    checking.add_argument("--hot-store", type=int)
    checking.add_argument("--hot-units", type=int)
    checking.add_argument("--run", default="", help="the place run's id: count only its orders")
    args = parser.parse_args()
    if args.command == "guest-carts":
        guest_carts()
    elif args.command == "place":
        if args.members < 4 or args.threads < 1 or args.processes < 1:
            parser.error("--members must be at least 4, --threads and --processes at least 1")
        place(args.members, args.threads, args.processes)
    else:
        check(args.hot_variant, args.hot_store, args.hot_units, args.run)


if __name__ == "__main__":
    main()
