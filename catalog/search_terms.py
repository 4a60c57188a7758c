"""Search words: hot words (热搜) counted per day, and a shopper's recent searches in a cookie.

Counting, only for the first page of a plain search (no filters, sort or page): the day's first search
of a word writes its row (one INSERT … ON CONFLICT, which also keeps how many products it found); every
later search of it that day is an increment in the shared cache only, which ``flush_search_counts`` (a
beat task every few minutes, in a worker process) adds to the row. So a search, even one served whole
from the page cache, writes nothing to the database; a lost cache loses at most the counts since the last
flush, and so does an outage of the shared cache (each web process then counts in its own stand-in, which
the worker cannot see).
"""

import hashlib
from urllib.parse import quote, unquote

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from catalog.cache import cached, page_key
from catalog.models import SearchTerm
from shop.redis_outage import incr_from

RECENT_COOKIE = "recent_searches"
RECENT_MAX = 10
RECENT_MAX_AGE = 60 * 60 * 24 * 90
HOT_DAYS = 7
HOT_LIMIT = 10
HOT_SECONDS = 10 * 60
COUNT_SECONDS = 60 * 60 * 50  # past the end of the day, so yesterday's last counts are still flushed
TERM_LENGTH = SearchTerm._meta.get_field("term").max_length
_SEPARATOR = "\n"  # clean_query turns any newline typed into a space; the cookie holds the list URL-quoted


def is_first_plain_search(request) -> bool:
    return set(request.GET) == {"q"}


def _count_key(day, term: str) -> str:
    return "search-count:%s:%s" % (day.isoformat(), hashlib.sha1(term.encode()).hexdigest())


def record_search(*, term: str, results: int | None) -> None:
    """Count one search of ``term`` today; ``results`` (when the page was rendered) is kept for the day."""
    term = term[:TERM_LENGTH]
    if not term:
        return
    day = timezone.localdate()
    # Shared: the worker that flushes the counts is another process. The counter starts at -1, so only
    # the day's first search leaves it at 0, and that one writes the row (counted there) instead.
    if incr_from(cache, _count_key(day, term), -1, COUNT_SECONDS) > 0:
        return
    _upsert(day, term, results)


def _upsert(day, term: str, results: int | None) -> None:
    table = SearchTerm._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, term, searches, results) VALUES (%s, %s, 1, %s) "
            f"ON CONFLICT (day, term) DO UPDATE SET searches = {table}.searches + 1, "
            f"results = CASE WHEN %s THEN EXCLUDED.results ELSE {table}.results END",
            [day, term, results or 0, results is not None],
        )


def flush_search_counts() -> int:
    """Add the searches counted in the cache since the last flush to today's and yesterday's rows."""
    from django.db.models import F

    today = timezone.localdate()
    rows = list(SearchTerm.objects.filter(day__gte=today - timezone.timedelta(days=1)).values_list("pk", "day", "term"))
    counts = cache
    keys = {pk: _count_key(day, term) for pk, day, term in rows}
    pending = counts.get_many(list(keys.values()))
    flushed = 0
    for pk, key in keys.items():
        value = pending.get(key) or 0
        if value > 0:
            # Taken off the counter first: searches counted meanwhile stay for the next flush.
            counts.decr(key, value)
            SearchTerm.objects.filter(pk=pk).update(searches=F("searches") + value)
            flushed += value
    return flushed


def hot_terms() -> list[str]:
    """The most searched words of the last week that found something, cached with the catalogue version."""

    def load():
        from django.db.models import Sum

        since = timezone.localdate() - timezone.timedelta(days=HOT_DAYS)
        rows = (
            SearchTerm.objects.filter(day__gte=since, results__gt=0)
            .values("term")
            .annotate(total=Sum("searches"))
            .order_by("-total", "term")[:HOT_LIMIT]
        )
        return [row["term"] for row in rows]

    return cached(page_key("hot-search-terms", timezone.localdate().isoformat()), load, timeout=HOT_SECONDS)


def recent_searches(request) -> list[str]:
    raw = unquote(request.COOKIES.get(RECENT_COOKIE, "")[:4000])
    from catalog.search import clean_query

    terms = []
    for part in raw.split(_SEPARATOR)[:RECENT_MAX]:
        term = clean_query(part)
        if term and term not in terms:
            terms.append(term)
    return terms


def remember_search(request, response, term: str) -> None:
    terms = [term, *(t for t in recent_searches(request) if t != term)][:RECENT_MAX]
    response.set_cookie(RECENT_COOKIE, quote(_SEPARATOR.join(terms)), max_age=RECENT_MAX_AGE, samesite="Lax", httponly=True)


def forget_searches(response) -> None:
    response.delete_cookie(RECENT_COOKIE, samesite="Lax")
