"""Keep serving while Redis is down: fail fast, remember the failure, use a stand-in.

Redis holds the shared cache (the catalogue version, allauth's rate limits,
the sitemap) and the Celery queue. None of that is worth a shopper's
request: a page, a log-in or a checkout must answer, slower at worst, when
Redis is stopped, frozen or unreachable.

So every Redis call here has short socket timeouts, and the first failure
is remembered for FAILURE_MEMORY_SECONDS per Redis address and process:
until then later calls skip Redis at once instead of each waiting for their
own timeout. After that one call probes again. No request therefore waits
more than about one socket timeout on Redis.

While Redis is down the cache answers from this process's memory (a
LocMemCache per Redis location, emptied when an outage begins): allauth's
rate limits keep counting, per process instead of across the site, and
pages are cached per process. Code for which a per-process answer would be
wrong (the shared catalogue version) asks ``cache_is_up`` and does without.

Celery publishing shares the same memory (see shop/celery.py): a ``.delay()``
in a request fails at once while Redis is known to be down, and the caller's
catch-up (the outbox flush, the nightly count) does the work later.
"""

import logging
import threading
import time
from urllib.parse import urlsplit

import redis
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

FAILURE_MEMORY_SECONDS = 5.0
# Loopback or LAN Redis answers in well under a millisecond; a tenth of a
# second to connect and half a second to answer already means "not today".
SOCKET_CONNECT_TIMEOUT = 0.3
SOCKET_TIMEOUT = 0.5
STAND_IN_MAX_ENTRIES = 10_000
OUTAGE_MARK_KEY = "redis-outage:since"

# What a Redis that is gone, frozen, starting up, read-only or full raises.
# Other errors (a wrong type, a bad command) are bugs and stay loud.
OUTAGE_ERRORS = (
    redis.ConnectionError,  # includes BusyLoadingError and MaxConnectionsError
    redis.TimeoutError,
    redis.exceptions.ReadOnlyError,
    redis.exceptions.OutOfMemoryError,
    redis.exceptions.InvalidResponse,  # something that is not Redis answers on its port
    OSError,
)

_lock = threading.Lock()
# address -> {"since": when it was first found down, "until": when to probe again}
_outages: dict[str, dict[str, float]] = {}


def redis_address(url: str) -> str:
    """host:port of a redis:// URL: the cache and the broker on one server share one memory."""
    parts = urlsplit(url)
    return f"{parts.hostname or 'localhost'}:{parts.port or 6379}"


def is_known_down(address: str) -> bool:
    outage = _outages.get(address)
    return outage is not None and time.monotonic() < outage["until"]


def note_down(address: str, err: BaseException, *, what: str) -> None:
    now = time.monotonic()
    with _lock:
        outage = _outages.get(address)
        first = outage is None
        _outages[address] = {"since": now if first else outage["since"], "until": now + FAILURE_MEMORY_SECONDS}
    if first:
        logger.warning(
            "Redis at %s is down (%s: %s); %s without it, and retrying every %.0f s",
            address, type(err).__name__, err, what, FAILURE_MEMORY_SECONDS,
        )


def note_up(address: str) -> bool:
    """Forget an outage of ``address``; True if there was one."""
    with _lock:
        outage = _outages.pop(address, None)
    if outage is None:
        return False
    logger.warning("Redis at %s answers again after %.1f s", address, time.monotonic() - outage["since"])
    return True


def forget_outages() -> None:
    """Tests: start from a Redis nobody has seen fail."""
    with _lock:
        _outages.clear()


def cache_is_up(cache) -> bool:
    """False while ``cache`` is answering from its stand-in; always True for other backends."""
    return getattr(cache, "is_up", True)


class _ClientPerPool(RedisCacheClient):
    """Django's Redis cache client, keeping one ``redis.Redis`` per connection pool.

    Django makes a new ``redis.Redis`` for every cache call, and building one (its table
    of response callbacks) costs about as much as the call's round trip on loopback. A
    client only borrows connections from its pool per command, so one may serve every
    thread and outlive a Redis restart.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(pool)
        if client is None:
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))
        return client


class OutageTolerantRedisCache(RedisCache):
    """Django's Redis cache with short timeouts and a per-process stand-in during an outage.

    The default OPTIONS give each connection SOCKET_CONNECT_TIMEOUT and
    SOCKET_TIMEOUT; redis-py's pooled connections do not retry, so one call
    costs at most one timeout. The rate limiter's decision (count per
    process rather than fail open or closed) follows from the stand-in: see
    the README, "When Redis is down".
    """

    def __init__(self, server, params):
        options = {
            "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT,
            "socket_timeout": SOCKET_TIMEOUT,
            **params.get("OPTIONS", {}),
        }
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = _ClientPerPool
        self._address = redis_address(self._servers[0])
        # Caches are made per thread; LocMemCaches of one name share their memory, so
        # every thread of the process sees one stand-in.
        self._stand_in = LocMemCache(
            f"redis-stand-in:{server}:{params.get('KEY_PREFIX', '')}",
            {"TIMEOUT": params.get("TIMEOUT", 300), "OPTIONS": {"MAX_ENTRIES": STAND_IN_MAX_ENTRIES}},
        )

    @property
    def is_up(self) -> bool:
        return not is_known_down(self._address)

    def _either(self, name, *args, **kwargs):
        """Run cache method ``name`` on Redis, or on the stand-in while Redis is down."""
        return self._on_redis_or_stand_in(
            lambda: getattr(super(OutageTolerantRedisCache, self), name)(*args, **kwargs),
            lambda stand_in: getattr(stand_in, name)(*args, **kwargs),
        )

    def _on_redis_or_stand_in(self, on_redis, on_stand_in):
        """``on_redis()``, or ``on_stand_in(the stand-in)`` while Redis is down or when the call finds it so."""
        if is_known_down(self._address):
            return on_stand_in(self._stand_in_for_this_outage())
        try:
            result = on_redis()
        except OUTAGE_ERRORS as err:
            note_down(self._address, err, what="the cache answers from each process's memory")
            return on_stand_in(self._stand_in_for_this_outage())
        if self._address in _outages:
            note_up(self._address)
        return result

    def incr_from(self, key, start: int, timeout=DEFAULT_TIMEOUT, version=None) -> int:
        """``incr_from`` (below) in one round trip: SET NX of ``start`` and INCR, pipelined.

        Django's ``add`` and ``incr`` would be three (``incr`` asks EXISTS first), and every plain
        search counts its word so.
        """
        def on_redis():
            made = self.make_and_validate_key(key, version=version)
            client = self._cache.get_client(made, write=True)
            pipe = client.pipeline(transaction=False)
            pipe.set(made, self._cache._serializer.dumps(start), ex=self.get_backend_timeout(timeout), nx=True)
            pipe.incr(made)
            return pipe.execute()[1]

        return self._on_redis_or_stand_in(on_redis, lambda stand_in: incr_from(stand_in, key, start, timeout, version))

    def _stand_in_for_this_outage(self) -> LocMemCache:
        # Each outage starts with an empty stand-in: what it held during the last one
        # (rate-limit counts, cached pages) is long out of date.
        outage = _outages.get(self._address)
        since = outage["since"] if outage else None
        if self._stand_in.get(OUTAGE_MARK_KEY) != since:
            self._stand_in.clear()
            self._stand_in.set(OUTAGE_MARK_KEY, since, timeout=None)
        return self._stand_in

    def add(self, *args, **kwargs):
        return self._either("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._either("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._either("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._either("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._either("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._either("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._either("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._either("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._either("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._either("delete_many", *args, **kwargs)

    def clear(self):
        return self._either("clear")


def incr_from(cache, key, start: int, timeout=DEFAULT_TIMEOUT, version=None) -> int:
    """Add one to the integer at ``key`` and give the result; a missing key is first set to ``start``
    (kept for ``timeout``), so the first call gives ``start + 1``. On any cache: in one round trip
    on Redis (``OutageTolerantRedisCache.incr_from``), as ``add`` then ``incr`` on the others."""
    own = getattr(cache, "incr_from", None)
    if own is not None:
        return own(key, start, timeout, version=version)
    cache.add(key, start, timeout, version=version)
    try:
        return cache.incr(key, version=version)
    except ValueError:  # expired between the two: counted from start again
        cache.add(key, start + 1, timeout, version=version)
        return start + 1
