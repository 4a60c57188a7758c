"""The shop keeps selling while Redis is down, and catches up once it is back.

Each test runs its own redis-server on a free port (the suite's shared one is
left alone), points the cache and the Celery broker at it, and then stops it
(SIGTERM: gone, connections refused) or freezes it (SIGSTOP: connections
accepted, never answered, the case only socket timeouts save). Pages, log-in,
cart and checkout are walked through the test client with the forms as
rendered, as a shopper would post them, and every request is timed.
"""

import importlib.util
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import kombu.pools
import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from catalog import cache as catalog_cache
from members.services import staff_top_up_wallet
from orders.models import Order, OutboxMessage
from shop import redis_outage
from shop.celery import app as celery_app
from stores.models import Store
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import AddressFactory, CategoryFactory, ShippingMethodFactory, StoreFactory, stocked_variant
from tests.test_celery_worker import test_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent
REQUEST_BUDGET = 2.0  # seconds a request may take during an outage: generous, the timeouts are sub-second
WORKER_WAIT = 30

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def _load_smoke_script():
    # The production smoke script reads forms as a browser submits them; the tests post the same way.
    spec = importlib.util.spec_from_file_location("production_smoke", BASE_DIR / "scripts" / "production_smoke.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


smoke = _load_smoke_script()


class RedisServer:
    """A redis-server of this test's own, on one port for its whole life."""

    def __init__(self, workdir: Path):
        self.binary = shutil.which("redis-server")
        self.workdir = workdir
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a frozen server cannot act on SIGTERM
            self.process.terminate()
            self.process.wait(timeout=10)

    def freeze(self) -> None:
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)


def _reset_celery_connections():
    # Close every kombu pool and forget them all, as Celery does after a fork: the next
    # publish opens a connection to whatever broker_url now says.
    kombu.pools.reset()
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path)
    if server.binary is None:
        pytest.skip("redis-server is not installed")
    server.start()
    yield server
    server.stop()


@pytest.fixture
def shop_on_redis(redis_server, settings):
    """Cache and broker on the private Redis, as production configures them (shop/settings.py)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "shop.redis_outage.OutageTolerantRedisCache",
            "LOCATION": redis_server.url,
            "KEY_PREFIX": "outage-test",
        },
        "pages": {"BACKEND": "catalog.process_cache.PagesCache", "LOCATION": "outage-test-pages"},
        "objects": {"BACKEND": "catalog.process_cache.ObjectsCache", "LOCATION": "outage-test-objects"},
        "shared_pages": {"BACKEND": "catalog.process_cache.SharedPagesCache"},
    }
    settings.REDIS_URL = redis_server.url
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=redis_server.url, task_always_eager=False)
    _reset_celery_connections()
    redis_outage.forget_outages()
    catalog_cache._memo.update(version=None, until=0.0, owed=False, local_bumps=0)
    yield redis_server
    celery_app.conf.update(saved)
    _reset_celery_connections()
    redis_outage.forget_outages()
    catalog_cache._memo.update(version=None, until=0.0, owed=False, local_bumps=0)


@pytest.fixture
def shop_data(db):
    warehouse = StoreFactory(code="online", name="线上旗舰仓", kind=Store.Kind.WAREHOUSE, priority=1, is_pickup_enabled=False)
    category = CategoryFactory(name="水果", slug="fruit")
    variant = stocked_variant(store=warehouse, on_hand=50, price=Decimal("25.00"), name="有机草莓", slug="berries",
                              category=category)
    ShippingMethodFactory(code="express")
    user = get_user_model().objects.create_user(username="buyer", email="buyer@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    AddressFactory(user=user, is_default=True)
    staff_top_up_wallet(user_id=user.pk, amount=Decimal("500.00"), reason="测试充值", by=None)
    return {"variant": variant, "category": category, "user": user}


class Walk:
    """The test client, timing every request and following redirects one timed hop at a time."""

    def __init__(self, client):
        self.client = client
        self.timings: list[tuple[str, float]] = []

    def request(self, method: str, path: str, data=None, *, statuses=(200, 302)):
        if isinstance(data, list):  # (name, value) pairs as a browser sends them; a name may repeat
            grouped = {}
            for name, value in data:
                grouped.setdefault(name, []).append(value)
            data = grouped
        started = time.monotonic()
        response = self.client.post(path, data) if method == "POST" else self.client.get(path)
        elapsed = time.monotonic() - started
        self.timings.append((f"{method} {path}", elapsed))
        assert response.status_code in statuses, f"{method} {path} answered {response.status_code}"
        assert elapsed < REQUEST_BUDGET, f"{method} {path} took {elapsed:.2f} s"
        return response

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data, **kwargs)

    def follow(self, response):
        while response.status_code in (301, 302, 303):
            response = self.get(response["Location"])
        return response


def _page_text(response) -> str:
    import re

    main = response.content.decode().split("<main", 1)[-1]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))[:1500]


def log_in(walk: Walk, email: str, password: str):
    page = walk.get("/accounts/login/")
    form = smoke.find_form(page.content.decode(), has_field="password")
    return walk.post("/accounts/login/", smoke.form_data(form, choose={"login": email, "password": password}))


def add_to_cart(walk: Walk, slug: str):
    page = walk.get(f"/p/{slug}/")
    form = smoke.find_form(page.content.decode(), has_field="variant", action="/cart/add/")
    response = walk.post("/cart/add/", smoke.form_data(form))
    assert response.status_code == 302


def check_out(walk: Walk, *, payment: str | None, use_wallet: bool = False):
    """Post the checkout form as rendered, choosing ``payment`` (None: the form's default); the order."""
    page = walk.get("/checkout/")
    form = smoke.find_form(page.content.decode(), has_field="payment_method")
    choose = {"use_wallet": use_wallet}
    if payment is not None:
        choose["payment_method"] = payment
    if use_wallet:
        # As a shopper does: tick the box, update the total, then place the order at the new amount.
        page = walk.post("/checkout/", smoke.form_data(form, choose=choose, press="update"), statuses=(200,))
        form = smoke.find_form(page.content.decode(), has_field="payment_method")
    before = set(Order.objects.values_list("pk", flat=True))
    response = walk.post("/checkout/", smoke.form_data(form, choose=choose, press="place"))
    assert response.status_code == 302, (payment, use_wallet, _page_text(response))
    walk.follow(response)
    (order,) = Order.objects.exclude(pk__in=before)
    return order


def test_with_redis_stopped_pages_log_in_cart_and_checkout_by_every_payment_method_still_answer(
    client, shop_on_redis, shop_data, caplog
):
    walk = Walk(client)
    assert client.get("/").status_code == 200  # untimed warm-up: the catalogue version now lives in Redis
    shop_on_redis.stop()

    with caplog.at_level(logging.WARNING, logger="shop.redis_outage"):
        walk.get("/")
        walk.get(f"/c/{shop_data['category'].slug}/")
        walk.get("/p/berries/")
        walk.get("/search/?q=草莓")
        assert log_in(walk, shop_data["user"].email, SHOPPER_PASSWORD).status_code == 302
        orders = []
        for payment, use_wallet in [("cod", False), ("bank_transfer", False), ("online", False), (None, True)]:
            add_to_cart(walk, "berries")
            walk.get("/cart/")
            orders.append(check_out(walk, payment=payment, use_wallet=use_wallet))
        health = walk.get("/healthz", statuses=(503,))

    assert health.json()["redis"] == "error"
    assert [o.payment_method for o in orders[:3]] == ["cod", "bank_transfer", "online"]
    assert orders[3].wallet_amount == orders[3].total and orders[3].amount_due == Decimal("0.00")
    # The broker was down: every confirmation waits in the outbox for the flush.
    assert OutboxMessage.objects.filter(order__in=orders, sent_at__isnull=True).count() >= len(orders)
    assert any("is down" in record.getMessage() for record in caplog.records), "the outage was not logged"


def test_with_redis_frozen_no_request_waits_on_it_for_more_than_a_second(client, shop_on_redis, shop_data):
    walk = Walk(client)
    assert client.get("/").status_code == 200  # untimed warm-up, as above
    shop_on_redis.freeze()  # connections are accepted and never answered
    try:
        walk.get("/p/berries/")
        log_in(walk, shop_data["user"].email, SHOPPER_PASSWORD)
        add_to_cart(walk, "berries")
        check_out(walk, payment="bank_transfer")
    finally:
        shop_on_redis.thaw()
    slowest = max(elapsed for _request, elapsed in walk.timings)
    # A request pays one socket timeout (half a second) at most; the failure is remembered after that.
    assert slowest < 1.5, walk.timings


def test_a_failure_is_remembered_so_later_cache_calls_skip_a_frozen_redis(shop_on_redis):
    from django.core.cache import cache

    cache.set("greeting", "hello")
    shop_on_redis.freeze()
    try:
        started = time.monotonic()
        assert cache.get("greeting") is None  # one socket timeout, answered by the empty stand-in
        first = time.monotonic() - started
        started = time.monotonic()
        for _call in range(50):
            cache.get("greeting")
        later = time.monotonic() - started
    finally:
        shop_on_redis.thaw()

    assert redis_outage.SOCKET_TIMEOUT * 0.8 < first < 1.0
    assert later < 0.2


@pytest.mark.parametrize(("limit", "logs_in"), [("3/5m/key", False), ("4/5m/key", True)])
def test_while_redis_is_down_failed_log_ins_are_still_limited_in_each_process(
    client, shop_on_redis, shop_data, settings, caplog, limit, logs_in
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": limit}
    walk = Walk(client)
    shop_on_redis.stop()
    with caplog.at_level(logging.WARNING, logger="shop.redis_outage"):
        for _attempt in range(3):
            assert log_in(walk, shop_data["user"].email, "wrong password").status_code == 200

        # After three failures the right password is refused under a limit of three, and
        # accepted under a limit of four: the limit holds, counted in this process.
        response = log_in(walk, shop_data["user"].email, SHOPPER_PASSWORD)

    assert response.status_code == (302 if logs_in else 200)
    assert ("_auth_user_id" in client.session) is logs_in
    assert any("is down" in record.getMessage() for record in caplog.records)


def test_a_catalogue_change_made_while_redis_is_down_is_not_hidden_by_pages_cached_before(
    shop_on_redis, shop_data, monkeypatch
):
    monkeypatch.setattr(redis_outage, "FAILURE_MEMORY_SECONDS", 0.2)
    monkeypatch.setattr(catalog_cache, "VERSION_MEMO_SECONDS", 0.0)
    before = catalog_cache.catalog_version()
    shop_on_redis.stop()

    catalog_cache.bump_catalog_version()  # an admin saves a product meanwhile
    during = catalog_cache.catalog_version()
    shop_on_redis.start()  # empty: a Redis restarted without persistence
    time.sleep(0.3)
    after = catalog_cache.catalog_version()

    assert str(during).startswith("outage-")
    assert isinstance(after, int) and after != before


@contextmanager
def celery_worker(redis_url: str, log_path: Path):
    """A real worker on ``redis_url`` and the test database, printing the emails it sends."""
    env = {
        **os.environ,
        "DEBUG": "false",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": redis_url,
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "PYTHONPATH": str(BASE_DIR),
    }
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [str(Path(sys.executable).with_name("celery")), "-A", "shop", "worker", "--pool", "solo",
             "--loglevel", "INFO", "--hostname", f"outage-{os.getpid()}@%h",
             "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=BASE_DIR, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        yield worker
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_after_redis_returns_every_email_deferred_during_the_outage_is_sent_exactly_once(
    client, shop_on_redis, shop_data, settings, tmp_path, monkeypatch
):
    monkeypatch.setattr(redis_outage, "FAILURE_MEMORY_SECONDS", 0.5)  # a quicker way back to Redis
    # Beat runs the flush at least every minute, so a deferred email leaves within two.
    flush = settings.CELERY_BEAT_SCHEDULE["flush-outbox"]
    assert flush["task"] == "orders.tasks.flush_outbox_task" and flush["schedule"] <= 60

    walk = Walk(client)
    log_in(walk, shop_data["user"].email, SHOPPER_PASSWORD)
    shop_on_redis.stop()
    orders = []
    for payment in ("cod", "bank_transfer"):
        add_to_cart(walk, "berries")
        orders.append(check_out(walk, payment=payment))
    waiting = list(OutboxMessage.objects.filter(order__in=orders, sent_at__isnull=True).values_list("pk", flat=True))
    assert len(waiting) >= 2

    shop_on_redis.start()
    time.sleep(redis_outage.FAILURE_MEMORY_SECONDS + 0.1)  # until this process tries Redis again
    log_path = tmp_path / "worker.log"
    with celery_worker(shop_on_redis.url, log_path) as worker:
        # What beat does every minute, twice over, racing a late hand-off of every message.
        from orders.tasks import flush_outbox_task, send_outbox_message_task

        flush_outbox_task.delay()
        for message_id in waiting:
            send_outbox_message_task.delay(message_id)
        flush_outbox_task.delay()
        deadline = time.monotonic() + WORKER_WAIT
        while time.monotonic() < deadline and worker.poll() is None:
            if not OutboxMessage.objects.filter(pk__in=waiting, sent_at__isnull=True).exists():
                break
            time.sleep(0.2)
        time.sleep(1)  # let the racing duplicates run to the end
    log = log_path.read_text(errors="replace")

    unsent = OutboxMessage.objects.filter(pk__in=waiting, sent_at__isnull=True).count()
    assert unsent == 0, f"{unsent} of {len(waiting)} not sent within {WORKER_WAIT} s:\n{log}"
    attempts = sorted(OutboxMessage.objects.filter(pk__in=waiting).values_list("attempts", flat=True))
    assert attempts == [1] * len(waiting), f"claimed {attempts} times:\n{log}"
    emails = log.split("\nSubject: ")[1:]  # the console email backend, one part per email
    assert len(emails) == len(waiting), f"{len(emails)} emails for {len(waiting)} messages:\n{log}"
    for order in orders:
        assert sum(order.number in email for email in emails) == OutboxMessage.objects.filter(order=order).count()


def test_each_outage_starts_with_an_empty_stand_in_and_redis_is_used_again_once_it_answers(
    shop_on_redis, monkeypatch
):
    from django.core.cache import cache

    monkeypatch.setattr(redis_outage, "FAILURE_MEMORY_SECONDS", 0.2)
    shop_on_redis.stop()
    cache.set("attempts", 3)
    assert cache.get("attempts") == 3  # counted in this process meanwhile

    shop_on_redis.start()
    time.sleep(0.3)
    cache.set("on-redis", "yes")
    assert cache.get("attempts") is None and redis_outage.cache_is_up(cache)

    shop_on_redis.stop()
    time.sleep(0.3)
    assert cache.get("attempts") is None  # last outage's counts are gone
    assert not redis_outage.cache_is_up(cache)


def test_the_cache_keeps_one_redis_client_per_connection_pool_and_it_works_again_after_a_restart(
    shop_on_redis, monkeypatch
):
    from django.core.cache import cache

    monkeypatch.setattr(redis_outage, "FAILURE_MEMORY_SECONDS", 0.2)
    client = cache._cache.get_client(write=True)
    assert cache._cache.get_client() is client
    cache.set("before", 1)

    shop_on_redis.stop()
    assert cache.get("before") is None  # the stand-in answers
    shop_on_redis.start()
    time.sleep(0.3)

    cache.set("after", 2)
    assert cache.get("after") == 2 and redis_outage.cache_is_up(cache)
    assert cache._cache.get_client(write=True) is client
