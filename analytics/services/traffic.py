"""Page views, unique visitors and the funnel, counted without a database write per request.

Each process adds up its hits in memory (``_local``) and sends them to Redis in
one pipeline once a batch is BATCH_SECONDS old or BATCH_HITS long (or a new
day starts): a hash of page-view counts per day (field "page type<TAB>source"),
a HyperLogLog of visitor hashes per (day, page type, source) and a hash of
funnel steps per day. A pipeline per request cost about as much as a whole
cached page. The last batch goes at a normal exit (atexit); a process that
is killed loses at most its last batch. While Redis is down, and in the
zero-setup demo with no Redis at all, the counts stay in memory; the next
hit that finds Redis up again sends them at once, and ``flush_traffic`` (a
beat task every few minutes; in the demo it runs in the web process) writes
both into ``DailyTraffic`` and ``DailyFunnel``.

Nothing personal is kept: a guest is a random id in a first-party cookie,
and what is counted is a keyed hash of that id and the day (HMAC with the
secret key), so the same visitor cannot be followed from one day to the next
and no IP address or account is stored.
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.db import connection, transaction

from analytics.services.facts import SALE_AT, day_bounds, shop_today
from shop.redis_outage import OUTAGE_ERRORS, cache_is_up, note_down

logger = logging.getLogger(__name__)

KEY_TTL = 3 * 24 * 3600
ALL_SOURCES = "*"  # the funnel row for every source together
FUNNEL_STEPS = ("add_to_cart", "checkout_started")
# A process sends its counts to Redis when the oldest unsent hit is this old, or this many are waiting.
BATCH_SECONDS = 1.0
BATCH_HITS = 200


class PageType:
    HOME, CATEGORY, PRODUCT, SEARCH, CART, CHECKOUT, OTHER = ("home", "category", "product", "search", "cart",
                                                              "checkout", "other")


@dataclass(frozen=True)
class Hit:
    day: dt.date
    page_type: str
    source: str
    visitor: str  # a keyed hash, never the cookie itself
    step: str = ""  # a funnel step besides the page view, if any
    counts_view: bool = True


def visitor_hash(visitor_id: str, day: dt.date) -> str:
    key = f"{settings.SECRET_KEY}:analytics-visitor:{day.isoformat()}".encode()
    return hmac.new(key, visitor_id.encode(), hashlib.sha256).hexdigest()[:20]


def _pv_key(day: dt.date) -> str:
    return f"analytics:pv:{day.isoformat()}"


def _fn_key(day: dt.date) -> str:
    return f"analytics:fn:{day.isoformat()}"


def _uv_key(day: dt.date, field: str) -> str:
    return f"analytics:uv:{day.isoformat()}:{field}"


class _Local:
    """This process's counts not yet in Redis: the current batch, or everything while Redis is unavailable."""

    def __init__(self):
        self.lock = threading.Lock()
        self.clear()

    def clear(self):
        self.views: Counter = Counter()
        self.steps: Counter = Counter()
        self.new_visitors: dict[tuple, set] = {}
        # Every visitor hash of the day seen while Redis was down, kept (not drained) to count uniques without it.
        self.visitors: dict[tuple, set] = {}
        self.hits = 0  # unsent hits
        self.since = 0.0  # time.monotonic() of the oldest unsent hit
        self.day: dt.date | None = None  # the day of the oldest unsent hit
        self.backlog = False  # counts kept during an outage wait: send them with the next hit

    def add(self, hit: Hit, *, outage: bool = True) -> None:
        field = (hit.day, hit.page_type, hit.source)
        with self.lock:
            if not self.hits:
                self.since, self.day = time.monotonic(), hit.day
            self.hits += 1
            if hit.counts_view:
                self.views[field] += 1
                self.new_visitors.setdefault(field, set()).add(hit.visitor)
                if outage:
                    self.visitors.setdefault(field, set()).add(hit.visitor)
            if hit.step:
                self.steps[(hit.day, hit.step, hit.source)] += 1
            if outage:
                self.backlog = True

    def is_due(self, day: dt.date) -> bool:
        """Whether the batch should go now: old or long enough, counts from an outage, or a new day began."""
        return (self.backlog or self.hits >= BATCH_HITS or day != self.day
                or time.monotonic() - self.since >= BATCH_SECONDS)

    def drain(self):
        with self.lock:
            views, steps, new = self.views, self.steps, self.new_visitors
            self.views, self.steps, self.new_visitors = Counter(), Counter(), {}
            self.hits, self.day, self.backlog = 0, None, False
            oldest = shop_today() - dt.timedelta(days=1)
            self.visitors = {key: seen for key, seen in self.visitors.items() if key[0] >= oldest}
        return views, steps, new

    def restore(self, views, steps, new):
        """Take back counts that could not be sent or written; they go with the next hit that finds Redis up."""
        with self.lock:
            if not self.hits:
                self.since, self.day = time.monotonic(), None
            self.hits += sum(views.values()) + sum(steps.values())
            self.backlog = True
            self.views.update(views)
            self.steps.update(steps)
            for field, seen in new.items():
                self.new_visitors.setdefault(field, set()).update(seen)
                self.visitors.setdefault(field, set()).update(seen)

    @property
    def is_empty(self) -> bool:
        return not (self.views or self.steps)

    def forget_after_fork(self) -> None:
        # A forked child starts with a copy of the parent's unsent counts: the parent sends them, not the child.
        self.lock = threading.Lock()
        self.clear()


_local = _Local()
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: _local.forget_after_fork())


def _redis():
    """The raw Redis client behind the default cache, or None (no Redis configured, or known to be down)."""
    cache = caches["default"]
    if not hasattr(cache, "_cache") or not hasattr(cache._cache, "get_client") or not cache_is_up(cache):
        return None
    return cache._cache.get_client(write=True)


def _queue_local(pipe, views, steps, new) -> None:
    for (day, page_type, source), count in views.items():
        field = f"{page_type}\t{source}"
        pipe.hincrby(_pv_key(day), field, count)
        pipe.expire(_pv_key(day), KEY_TTL)
    for (day, page_type, source), seen in new.items():
        if seen:
            pipe.pfadd(_uv_key(day, f"{page_type}\t{source}"), *seen)
            pipe.expire(_uv_key(day, f"{page_type}\t{source}"), KEY_TTL)
    for (day, step, source), count in steps.items():
        pipe.hincrby(_fn_key(day), f"{step}\t{source}", count)
        pipe.expire(_fn_key(day), KEY_TTL)


def record_hit(hit: Hit) -> None:
    """Count one hit in this process; a batch that is due goes to Redis in one pipeline (kept here while it is down)."""
    client = _redis()
    if client is None:
        _local.add(hit)
        return
    _local.add(hit, outage=False)
    if _local.is_due(hit.day):
        _send(client)


def _send(client) -> None:
    """Send everything this process holds to Redis in one pipeline; on an outage keep it for later."""
    pending = _local.drain()
    if not (pending[0] or pending[1]):
        return
    try:
        pipe = client.pipeline(transaction=False)
        _queue_local(pipe, *pending)
        pipe.execute()
    except OUTAGE_ERRORS as err:
        note_down(getattr(caches["default"], "_address", "redis"), err, what="page views are counted in each process")
        _local.restore(*pending)


def send_pending_hits() -> None:
    """Send this process's unsent batch now (at exit, so a normal shutdown loses no count)."""
    if _local.is_empty:
        return
    client = _redis()
    if client is not None:
        _send(client)


atexit.register(send_pending_hits)


def _split(field) -> tuple[str, str]:
    text = field.decode() if isinstance(field, bytes) else field
    first, _, source = text.partition("\t")
    return first, source


def flush_traffic() -> dict:
    """Move the counts into DailyTraffic and DailyFunnel (page views and steps add up; visitors are a day's uniques)."""
    views, steps, new = _local.drain()
    visitors: dict[tuple, int] = {}
    client = _redis()
    if client is not None:
        try:
            if views or steps:
                pipe = client.pipeline(transaction=False)
                _queue_local(pipe, views, steps, new)
                pipe.execute()
                views, steps = Counter(), Counter()
            today = shop_today()
            for day in (today - dt.timedelta(days=1), today):
                pipe = client.pipeline(transaction=True)
                pipe.hgetall(_pv_key(day))
                pipe.delete(_pv_key(day))
                pipe.hgetall(_fn_key(day))
                pipe.delete(_fn_key(day))
                pv, _, fn, _ = pipe.execute()
                for field, count in pv.items():
                    page_type, source = _split(field)
                    views[(day, page_type, source)] += int(count)
                for field, count in fn.items():
                    step, source = _split(field)
                    steps[(day, step, source)] += int(count)
                prefix = _uv_key(day, "")
                for key in client.scan_iter(match=prefix + "*", count=500):
                    name = key.decode() if isinstance(key, bytes) else key
                    page_type, source = _split(name[len(prefix):])
                    visitors[(day, page_type, source)] = int(client.pfcount(key))
        except OUTAGE_ERRORS as err:
            note_down(getattr(caches["default"], "_address", "redis"), err, what="page views wait in each process")
            _local.restore(views, steps, new)
            return {"page_views": 0}
    else:
        for key, seen in _local.visitors.items():
            visitors[key] = len(seen)
    try:
        _write(views, visitors, steps)
    except Exception:
        # Nothing is lost: the counts go back to where they were taken from.
        _local.restore(views, steps, {})
        raise
    return {"page_views": sum(views.values()), "steps": sum(steps.values())}


def _write(views: Counter, visitors: dict, steps: Counter) -> None:
    traffic = [(day, page_type, source[:100], views.get((day, page_type, source), 0), visitors.get((day, page_type, source), 0))
               for day, page_type, source in set(views) | set(visitors)]
    funnel: dict[tuple, list[int]] = {}
    for (day, page_type, source), count in views.items():
        if page_type == PageType.PRODUCT:
            for key in ((day, source), (day, ALL_SOURCES)):
                funnel.setdefault(key, [0, 0, 0])[0] += count
    for (day, step, source), count in steps.items():
        if step in FUNNEL_STEPS:
            for key in ((day, source), (day, ALL_SOURCES)):
                funnel.setdefault(key, [0, 0, 0])[1 + FUNNEL_STEPS.index(step)] += count
    with transaction.atomic(), connection.cursor() as cursor:
        if traffic:
            cursor.executemany(
                """INSERT INTO analytics_dailytraffic (day, page_type, source, page_views, visitors)
                   VALUES (%s, %s, %s, %s, %s)
                   ON CONFLICT (day, page_type, source) DO UPDATE SET
                       page_views = analytics_dailytraffic.page_views + EXCLUDED.page_views,
                       visitors = GREATEST(analytics_dailytraffic.visitors, EXCLUDED.visitors)""",
                traffic,
            )
        if funnel:
            cursor.executemany(
                """INSERT INTO analytics_dailyfunnel (day, source, product_views, add_to_cart, checkout_started, paid)
                   VALUES (%s, %s, %s, %s, %s, 0)
                   ON CONFLICT (day, source) DO UPDATE SET
                       product_views = analytics_dailyfunnel.product_views + EXCLUDED.product_views,
                       add_to_cart = analytics_dailyfunnel.add_to_cart + EXCLUDED.add_to_cart,
                       checkout_started = analytics_dailyfunnel.checkout_started + EXCLUDED.checkout_started""",
                [(day, source[:100], *counts) for (day, source), counts in funnel.items()],
            )
        today = shop_today()
        for day in {key[0] for key in funnel} | {today}:
            record_paid_orders(day=day, cursor=cursor)


def record_paid_orders(*, day: dt.date, cursor=None) -> None:
    """The funnel's last step, from the orders: online orders sold that day, per source and for all together.

    An online order carries the source of the visit that placed it (``Order.source``, "" for a direct
    visit); counter sales have none and are not online, so they never count here. Rewritten whole for the
    day, so a source whose orders moved to another day goes back to 0 and running it twice changes nothing.
    """
    start, end = day_bounds(day, day)
    sql = f"""
        WITH paid AS (
            SELECT o.source, COUNT(*) AS orders FROM orders_order o
            WHERE o.channel = 'online' AND {SALE_AT} >= %(start)s AND {SALE_AT} < %(end)s
            GROUP BY o.source
        ),
        counted AS (
            SELECT source, orders FROM paid
            UNION ALL
            SELECT %(all)s, COALESCE(SUM(orders), 0) FROM paid
        ),
        cleared AS (
            UPDATE analytics_dailyfunnel f SET paid = 0
            WHERE f.day = %(day)s AND f.paid <> 0 AND NOT EXISTS (SELECT 1 FROM counted c WHERE c.source = f.source)
        )
        INSERT INTO analytics_dailyfunnel (day, source, product_views, add_to_cart, checkout_started, paid)
        SELECT %(day)s, source, 0, 0, 0, orders FROM counted
        ON CONFLICT (day, source) DO UPDATE SET paid = EXCLUDED.paid"""
    params = {"day": day, "all": ALL_SOURCES, "start": start, "end": end}
    if cursor is not None:
        cursor.execute(sql, params)
    else:
        with connection.cursor() as own:
            own.execute(sql, params)
