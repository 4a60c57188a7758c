"""``incr_from``: a counter made on first use, in one Redis round trip, and the same on any other cache."""

import uuid

import pytest
from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from catalog.models import SearchTerm
from catalog.search_terms import flush_search_counts
from shop import redis_outage
from shop.redis_outage import OutageTolerantRedisCache, incr_from
from tests.factories import ProductFactory

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_cache():
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set; run the tests with `make test` to get a Redis")
    prefix = f"test-counter-{uuid.uuid4().hex}"
    cache = OutageTolerantRedisCache(settings.REDIS_URL, {"KEY_PREFIX": prefix})
    yield cache
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    redis_outage.forget_outages()


def test_a_missing_counter_starts_from_start_and_each_call_adds_one(redis_cache):
    assert incr_from(redis_cache, "searches", -1, 60) == 0
    assert incr_from(redis_cache, "searches", -1, 60) == 1
    assert incr_from(redis_cache, "searches", -1, 60) == 2


def test_the_counter_gets_its_timeout_when_made_and_keeps_it(redis_cache):
    incr_from(redis_cache, "searches", 0, 120)
    key = redis_cache.make_and_validate_key("searches")
    client = redis_cache._cache.get_client(key)
    assert 0 < client.ttl(key) <= 120
    client.expire(key, 30)
    incr_from(redis_cache, "searches", 0, 120)
    assert client.ttl(key) <= 30  # a later call does not push the expiry out


def test_the_counter_is_an_integer_the_cache_reads_and_decrements_as_its_own(redis_cache):
    incr_from(redis_cache, "searches", 0, 60)
    incr_from(redis_cache, "searches", 0, 60)
    assert redis_cache.get("searches") == 2
    assert redis_cache.get_many(["searches"]) == {"searches": 2}
    assert redis_cache.decr("searches", 2) == 0
    assert incr_from(redis_cache, "searches", 0, 60) == 1


def test_counting_on_redis_is_one_round_trip(redis_cache, monkeypatch):
    incr_from(redis_cache, "searches", 0, 60)
    pool = type(redis_cache._cache.get_client(write=True).connection_pool)
    borrowed = []
    get_connection = pool.get_connection

    def counted(self, *args, **kwargs):
        borrowed.append(1)  # a command, or a pipeline of them, borrows one connection for its round trip
        return get_connection(self, *args, **kwargs)

    monkeypatch.setattr(pool, "get_connection", counted)
    assert incr_from(redis_cache, "searches", 0, 60) == 2
    assert len(borrowed) == 1


def test_while_redis_is_known_down_the_counter_counts_in_the_stand_in(redis_cache):
    redis_outage.note_down(redis_cache._address, ConnectionError("test"), what="test")
    assert incr_from(redis_cache, "searches", -1, 60) == 0
    assert incr_from(redis_cache, "searches", -1, 60) == 1
    redis_outage.forget_outages()
    assert redis_cache.get("searches") is None  # Redis itself was never asked


def test_on_a_cache_without_its_own_counter_the_same_by_add_and_incr():
    cache = LocMemCache(f"test-counter-{uuid.uuid4().hex}", {})
    assert incr_from(cache, "searches", -1, 60) == 0
    assert incr_from(cache, "searches", -1, 60) == 1
    assert cache.get("searches") == 1


@pytest.mark.django_db
def test_searches_counted_on_redis_reach_the_row_once_each(client, redis_cache):
    ProductFactory(name="红富士苹果")
    location = {"BACKEND": "shop.redis_outage.OutageTolerantRedisCache", "LOCATION": settings.REDIS_URL,
                "KEY_PREFIX": redis_cache.key_prefix}
    with override_settings(CACHES={**settings.CACHES, "default": location}):
        for _ in range(3):
            client.get("/search/", {"q": "苹果"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
            client.cookies.clear()
        assert SearchTerm.objects.get(term="苹果").searches == 1  # the first wrote the row
        assert flush_search_counts() == 2
        assert flush_search_counts() == 0
    assert SearchTerm.objects.get(term="苹果").searches == 3
