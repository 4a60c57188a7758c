"""1,000 shoppers racing for 100 flash-sale units over HTTP, on gunicorn and PostgreSQL.

    scripts/with_services.py .venv/bin/python bench/flash_sale.py [--shoppers 1000 --units 100 --workers 3]

Sets up (not timed): migrates, collects static files, makes one variant with
plenty of stock and a flash sale of ``--units`` units at ¥1 (limit 1 per
member), and ``--shoppers`` members, each with an address, that variant in
their cart and a logged-in session. Starts gunicorn (production settings,
sync workers) on 127.0.0.1, lets every shopper GET /checkout/ (the form's
token and the expected total at the flash price), then releases all the
checkout POSTs at once from one thread per shopper.

Passes when exactly ``--units`` flash units were sold (the quota's ``taken``,
the takes and the order lines agree), no member holds more than the limit,
and no response was a 5xx. Losers see the checkout page again with "sold
out" or "prices changed" (200); winners are redirected to pay (302).
Prints orders/s and the latency percentiles; exits non-zero on a failure.
Bounded: every request has a timeout and the whole race a deadline.
"""

import argparse
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

REQUEST_TIMEOUT = 300  # seconds per request: a queue of 1,000 on 3 workers takes minutes; a hang still fails
RACE_DEADLINE = 600  # seconds for the whole race
CSRF_SECRET = secrets.token_hex(16)  # 32 characters: accepted unmasked as cookie and form token alike


def say(message: str) -> None:
    print(f"flash_sale: {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(workdir: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-flash-" + secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DB_CONN_MAX_AGE": "600",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "STATIC_ROOT": str(workdir / "static"),
        "MEDIA_ROOT": str(workdir / "media"),
        "PYTHONUNBUFFERED": "1",
    }


def manage(env: dict, *args: str) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, check=True)


# --- set-up, in this process (not timed) --------------------------------------------------


def prepare(shoppers: int, units: int) -> dict:
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        get_user_model,
    )
    from django.utils import timezone

    from marketing.models import FlashSale
    from members.models import Address
    from orders.models import ShippingMethod
    from orders.services import add_to_cart
    from orders.services.cart import MemberCart
    from stores.models import Store
    from tests.factories import stocked_variant

    run = secrets.token_hex(3)
    store = Store.objects.create(code=f"flash-{run}", name="秒杀仓", kind=Store.Kind.WAREHOUSE, priority=0,
                                 is_pickup_enabled=False)
    variant = stocked_variant(store=store, on_hand=shoppers * 2, price=Decimal("999.00"))
    ShippingMethod.objects.get_or_create(code="bench-express", defaults={"name": "全国快递（压测）", "base_fee": 0})
    now = timezone.now()
    sale = FlashSale.objects.create(name="整点秒杀", variant=variant, flash_price=Decimal("1.00"), quota=units,
                                    per_member_limit=1, starts_at=now - timedelta(minutes=1),
                                    ends_at=now + timedelta(hours=2))
    User = get_user_model()
    users = User.objects.bulk_create(
        User(username=f"flash-{run}-{i}", email=f"flash-{run}-{i}@example.com", password="!") for i in range(shoppers)
    )
    Address.objects.bulk_create(
        Address(user=user, recipient="张三", phone="13800138000", province="上海市", city="上海市",
                district="徐汇区", detail="漕溪北路 1 号", is_default=True)
        for user in users
    )
    engine = import_module(settings.SESSION_ENGINE)
    sessions = []
    for index, user in enumerate(users):
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=1)
        session = engine.SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        sessions.append(session.session_key)
        if index and index % 200 == 0:
            say(f"{index} shoppers ready")
    return {"sale_id": sale.pk, "user_ids": [u.pk for u in users], "sessions": sessions,
            "cookie_name": settings.SESSION_COOKIE_NAME}


def check(setup: dict, units: int) -> dict:
    from django.db.models import Count, Sum

    from marketing.models import FlashSale, FlashSaleTake
    from orders.models import OrderLine

    sale = FlashSale.objects.get(pk=setup["sale_id"])
    takes = FlashSaleTake.objects.filter(flash_sale=sale, released_at=None)
    taken_units = takes.aggregate(units=Sum("quantity"))["units"] or 0
    over_limit = takes.values("user_id").annotate(units=Sum("quantity")).filter(units__gt=sale.per_member_limit).count()
    flash_lines = OrderLine.objects.filter(variant_id=sale.variant_id, unit_price=sale.flash_price)
    flash_units = flash_lines.aggregate(units=Sum("quantity"))["units"] or 0
    per_order = flash_lines.values("order__user_id").annotate(n=Count("id")).filter(n__gt=1).count()
    return {
        "quota_taken": sale.taken, "takes_units": taken_units, "flash_line_units": flash_units,
        "members_over_limit": over_limit + per_order,
        "passed": sale.taken == taken_units == flash_units == units and not over_limit and not per_order,
    }


# --- HTTP --------------------------------------------------------------------------------


class Shopper:
    def __init__(self, port: int, cookie_name: str, session_key: str):
        self.port = port
        self.cookie = f"{cookie_name}={session_key}; csrftoken={CSRF_SECRET}"
        self.form: dict | None = None

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Cookie": self.cookie, "Accept-Language": "en"}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.getheader("Location") or "", response.read().decode("utf-8", "replace")
        finally:
            connection.close()

    def load_checkout(self) -> None:
        from tests.orders.browser_form import browser_form_data

        status, _location, html = self.request("GET", "/checkout/")
        if status != 200:
            raise RuntimeError(f"GET /checkout/ answered {status}")
        self.form = browser_form_data(html, "checkout-form", place="1", csrfmiddlewaretoken=CSRF_SECRET)

    def place(self) -> tuple[int, str, str]:
        return self.request("POST", "/checkout/", urllib.parse.urlencode(self.form))


class Gunicorn:
    def __init__(self, env: dict, workers: int, workdir: Path):
        self.port = free_port()
        self.log = workdir / "gunicorn.log"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "shop.wsgi:application", "--bind", f"127.0.0.1:{self.port}",
             "--workers", str(workers), "--worker-class", "sync", "--timeout", "120", "--backlog", "2048",
             "--no-control-socket", "--error-logfile", str(self.log)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit(f"flash_sale: gunicorn did not start; log:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own process group: the workers go too
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def run_all(jobs, concurrency: int, deadline: float):
    """Run the jobs from ``concurrency`` threads released together; (status, seconds, error) per job."""
    results = [None] * len(jobs)
    barrier = threading.Barrier(min(concurrency, len(jobs)))
    lock = threading.Lock()
    queue = list(range(len(jobs)))

    def worker():
        barrier.wait(timeout=60)
        while time.monotonic() < deadline:
            with lock:
                if not queue:
                    return
                index = queue.pop()
            started = time.monotonic()
            try:
                status = jobs[index]()
                results[index] = (status, time.monotonic() - started, "")
            except Exception as err:  # noqa: BLE001 - every failure is counted and reported
                results[index] = (0, time.monotonic() - started, repr(err)[:200])

    threads = [threading.Thread(target=worker, daemon=True) for _i in range(min(concurrency, len(jobs)))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()) + REQUEST_TIMEOUT)
    return results


def percentile(values: list[float], share: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(share * len(values)) - 1))] if values else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shoppers", type=int, default=1000)
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn sync workers")
    parser.add_argument("--concurrency", type=int, default=None, help="client threads (default: one per shopper)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        raise SystemExit("flash_sale: DATABASE_URL must point at PostgreSQL; run through scripts/with_services.py")
    threading.stack_size(512 * 1024)  # a thousand client threads, each mostly waiting on its socket

    workdir = Path(tempfile.mkdtemp(prefix="shop-flash-"))
    env = environment(workdir)
    os.environ.update({key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS",
                                                  "STATIC_ROOT", "MEDIA_ROOT", "SESSION_COOKIE_SECURE",
                                                  "CSRF_COOKIE_SECURE")})
    say("migrate and collect static files")
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    say(f"preparing {args.shoppers} shoppers and a flash sale of {args.units} units")
    setup = prepare(args.shoppers, args.units)
    server = Gunicorn(env, args.workers, workdir)
    try:
        shoppers = [Shopper(server.port, setup["cookie_name"], key) for key in setup["sessions"]]
        say("every shopper opens the checkout page (not timed)")
        loads = run_all([lambda s=s: (s.load_checkout(), 200)[1] for s in shoppers], 16, time.monotonic() + RACE_DEADLINE)
        not_loaded = [r for r in loads if r is None or r[0] != 200]
        if not_loaded:
            raise SystemExit(f"flash_sale: {len(not_loaded)} checkout pages did not load: {not_loaded[:3]}")
        concurrency = args.concurrency or len(shoppers)
        say(f"race: {len(shoppers)} checkouts from {concurrency} client threads at once, "
            f"{args.workers} gunicorn sync workers")

        def placer(shopper):
            def job():
                status, location, html = shopper.place()
                if status == 302 and "/pay/" in location:
                    return "won"
                if status == 200:
                    if "Sold out just now" in html:
                        return "refused: sold out under the lock"
                    start = html.find('class="message error"')
                    message = html[start:start + 300] if start >= 0 else ""
                    if "999.00" in message:  # the total went back to the normal price: the quota was gone
                        return "refused: price changed (sold out before pricing)"
                    return "refused: " + (message[22:140] or "no message")
                return status

            return job

        started = time.monotonic()
        results = run_all([placer(s) for s in shoppers], concurrency, started + RACE_DEADLINE)
        elapsed = time.monotonic() - started
    finally:
        server.stop()

    outcomes = Counter(r[0] if r else "no answer" for r in results)
    errors = Counter(r[2] for r in results if r and r[2])
    server_errors = sum(n for status, n in outcomes.items() if isinstance(status, int) and status >= 500)
    seconds = [r[1] for r in results if r]
    figures = check(setup, args.units)
    report = {
        "shoppers": len(shoppers), "flash_units": args.units, "gunicorn_workers": args.workers,
        "client_threads": concurrency, "outcomes": {str(k): v for k, v in outcomes.items()},
        "errors": dict(errors), "server_errors": server_errors, "seconds": round(elapsed, 2),
        "checkouts_per_s": round(len(seconds) / elapsed, 1), "orders_per_s": round(outcomes["won"] / elapsed, 1),
        "latency_p50_ms": round(percentile(seconds, 0.50) * 1000), "latency_p99_ms": round(percentile(seconds, 0.99) * 1000),
        "latency_mean_ms": round(statistics.mean(seconds) * 1000) if seconds else None,
        **figures,
    }
    report["passed"] = figures["passed"] and not server_errors and not errors and outcomes["won"] == args.units
    print(json.dumps(report, ensure_ascii=False, indent=2))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
