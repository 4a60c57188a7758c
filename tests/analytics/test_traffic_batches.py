"""Traffic counts go to Redis in batches: one pipeline per second or so per process, nothing lost on a normal exit."""

import datetime as dt

import pytest
import redis as redis_lib

from analytics.models import DailyTraffic
from analytics.services import traffic
from analytics.services.facts import shop_today
from analytics.services.traffic import Hit, flush_traffic, record_hit, send_pending_hits
from shop.redis_outage import forget_outages

pytestmark = pytest.mark.django_db


@pytest.fixture
def client_redis(settings):
    url = getattr(settings, "REDIS_URL", None)
    if not url:
        pytest.skip("needs the test Redis")
    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    traffic._local.clear()
    yield client
    traffic._local.clear()
    forget_outages()  # a refused send below marks Redis down for this process
    client.flushdb()


def _views_in_redis(client, day) -> int:
    return sum(int(n) for n in client.hgetall(traffic._pv_key(day)).values())


def test_hits_wait_in_the_process_until_the_batch_is_a_second_old_then_go_in_one_pipeline(client_redis, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(traffic.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(traffic, "_redis", lambda: client_redis)
    day = shop_today()
    for n in range(3):
        record_hit(Hit(day=day, page_type="home", source="", visitor=f"v{n}"))
    assert _views_in_redis(client_redis, day) == 0

    clock[0] += traffic.BATCH_SECONDS
    record_hit(Hit(day=day, page_type="home", source="", visitor="v0"))

    assert _views_in_redis(client_redis, day) == 4
    assert client_redis.pfcount(traffic._uv_key(day, "home\t")) == 3
    assert traffic._local.is_empty


def test_a_full_batch_goes_at_once_however_young(client_redis, monkeypatch):
    monkeypatch.setattr(traffic.time, "monotonic", lambda: 1000.0)
    monkeypatch.setattr(traffic, "_redis", lambda: client_redis)
    day = shop_today()
    for n in range(traffic.BATCH_HITS):
        record_hit(Hit(day=day, page_type="product", source="weibo", visitor=f"v{n % 7}"))
    assert _views_in_redis(client_redis, day) == traffic.BATCH_HITS
    assert client_redis.pfcount(traffic._uv_key(day, "product\tweibo")) == 7


def test_the_first_hit_of_a_new_day_sends_the_day_before_at_once(client_redis, monkeypatch):
    monkeypatch.setattr(traffic.time, "monotonic", lambda: 1000.0)
    monkeypatch.setattr(traffic, "_redis", lambda: client_redis)
    today = shop_today()
    yesterday = today - dt.timedelta(days=1)
    record_hit(Hit(day=yesterday, page_type="home", source="", visitor="late"))
    record_hit(Hit(day=today, page_type="home", source="", visitor="early"))
    assert _views_in_redis(client_redis, yesterday) == 1
    assert _views_in_redis(client_redis, today) == 1


def test_a_normal_exit_sends_the_unsent_batch(client_redis, monkeypatch):
    monkeypatch.setattr(traffic, "_redis", lambda: client_redis)
    day = shop_today()
    record_hit(Hit(day=day, page_type="cart", source="", visitor="v", step="add_to_cart", counts_view=False))
    record_hit(Hit(day=day, page_type="search", source="", visitor="v"))
    assert not traffic._local.is_empty

    send_pending_hits()  # what atexit runs

    assert traffic._local.is_empty
    assert _views_in_redis(client_redis, day) == 1
    assert client_redis.hgetall(traffic._fn_key(day)) == {b"add_to_cart\t": b"1"}


def test_a_batch_redis_refuses_is_kept_and_goes_with_the_next_hit(client_redis, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(traffic.time, "monotonic", lambda: clock[0])
    day = shop_today()

    class Refusing:
        def pipeline(self, **kwargs):
            raise redis_lib.ConnectionError("gone")

    monkeypatch.setattr(traffic, "_redis", lambda: Refusing())
    record_hit(Hit(day=day, page_type="home", source="", visitor="a"))
    clock[0] += traffic.BATCH_SECONDS
    record_hit(Hit(day=day, page_type="home", source="", visitor="b"))
    assert not traffic._local.is_empty

    monkeypatch.setattr(traffic, "_redis", lambda: client_redis)
    record_hit(Hit(day=day, page_type="home", source="", visitor="c"))  # due at once: counts from the outage wait

    assert _views_in_redis(client_redis, day) == 3
    flush_traffic()
    row = DailyTraffic.objects.get(day=day, page_type="home")
    assert (row.page_views, row.visitors) == (3, 3)


def test_a_forked_child_drops_its_copy_of_the_parents_unsent_counts():
    day = shop_today()
    traffic._local.clear()
    traffic._local.add(Hit(day=day, page_type="home", source="", visitor="x"), outage=False)
    traffic._local.forget_after_fork()
    assert traffic._local.is_empty and traffic._local.hits == 0
