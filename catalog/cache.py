"""Caching of catalogue pages, invalidated by one version number.

Every write that changes what a shopper sees (a product saved in the
admin, a price refreshed, stock running out, a category moved) bumps the
catalogue version; every cache key carries it, so stale entries are simply
never read again and expire on their own. Reads are what a shop does
thousands of times more often than writes, so this trades a cheap counter
bump per write for skipping queries and template rendering per read.

Only data that is the same for every shopper is cached: per-shopper parts
(cart badge, messages, the add-to-cart form with its CSRF token, recently
viewed) are rendered fresh on each request.

While the shared cache (Redis) is down nobody can read or bump the shared
version, so each process keys its pages on a version of its own that moves
on every OUTAGE_VERSION_SECONDS and on its own writes: a change made in
another process shows within seconds, and nothing cached before the outage
is served after a change made during it (the owed bump is made on Redis as
soon as it answers again).
"""

import hashlib
import time
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.db import transaction
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils import translation

from shop.redis_outage import cache_is_up

VERSION_KEY = "catalog:version"
TIMEOUT = 10 * 60
# How long a process trusts the version it last read from the shared cache.
VERSION_MEMO_SECONDS = 1.0
# How long a process's own version lasts while the shared cache is down.
OUTAGE_VERSION_SECONDS = 5

# owed: a bump made while the shared cache was down, still to be made on it.
_memo = {"version": None, "until": 0.0, "owed": False, "local_bumps": 0}


def pages_cache():
    """This process's own cache of rendered fragments and page data.

    Its keys carry the catalogue version, so an entry can never be stale:
    after a bump nobody asks for it again. Only the version itself must be
    shared (the default cache, Redis in production), and each process
    rereads it at most once a second. Data that is dear to build and shared
    by many pages is kept in the shared cache as well (``shared_cached``).
    """
    return caches["pages"]


def catalog_version() -> int | str:
    now = time.monotonic()
    if _memo["version"] is not None and now < _memo["until"]:
        return _memo["version"]
    version = _shared_version()
    if version is None:
        version = _outage_version(now)
    elif _memo["owed"]:
        _memo["owed"] = False
        return _increment()
    _memo.update(version=version, until=now + VERSION_MEMO_SECONDS)
    return version


def _outage_version(now: float) -> str:
    """This process's own version while the shared one is out of reach."""
    return f"outage-{int(now // OUTAGE_VERSION_SECONDS)}-{_memo['local_bumps']}"


def _shared_version() -> int | None:
    """The version in the shared cache, or None while that cache is down."""
    version = cache.get(VERSION_KEY)
    if version is None:
        # A fresh start (or a Redis that lost its data) takes a number never used before,
        # so fragments cached under an old version can never be mistaken for current ones.
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = cache.get(VERSION_KEY)
    # Asked after the reads: a read that found Redis gone was answered by a stand-in.
    return version if cache_is_up(cache) else None


def bump_catalog_version() -> None:
    """Drop every cached page now, and once more when the writing transaction commits.

    The second bump matters: a reader between the first bump and the commit
    could cache the old rows under the new version. Other processes see a
    bump within VERSION_MEMO_SECONDS.
    """
    _increment()
    transaction.on_commit(_increment)


def _increment() -> int | str:
    try:
        version = cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted or never set
        version = time.time_ns() // 1000
        cache.set(VERSION_KEY, version, timeout=None)
    if not cache_is_up(cache):
        _memo["owed"] = True
        _memo["local_bumps"] += 1
        version = _outage_version(time.monotonic())
    _memo.update(version=version, until=time.monotonic() + VERSION_MEMO_SECONDS)
    return version


def page_key(name: str, *parts) -> str:
    """A cache key for ``name`` and ``parts`` under the current catalogue version and language."""
    raw = "|".join(str(part) for part in parts)
    digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return f"catalog:{catalog_version()}:{translation.get_language()}:{name}:{digest}"


def query_key(request) -> str:
    """The request's query string in a canonical order, so ?a=1&b=2 and ?b=2&a=1 share an entry."""
    return "&".join(f"{key}={value}" for key, values in sorted(request.GET.lists()) for value in values)


def objects_cache():
    """This process's cache of shared read-only values, kept unpickled (catalog.process_cache.ObjectsCache)."""
    return caches["objects"]


def cached(key: str, build, timeout: int = TIMEOUT, *, in_cache=None):
    """Return the cached value for ``key`` (a ``page_key``), building and storing it on a miss.

    ``in_cache`` is the process's cache to keep it in: ``pages_cache()`` unless said otherwise.
    """
    local = in_cache or pages_cache()
    value = local.get(key)
    if value is None:
        value = build()
        local.set(key, value, timeout)
    return value


def shared_cached(key: str, build, timeout: int = TIMEOUT, *, in_cache=None):
    """As ``cached``, for data that is dear to build: kept in the shared cache too, so one process's build serves all.

    A cold category page spends most of its time on what every filter combination of that category shares
    (its brand facets, its filter attributes); built per process, each of the web processes pays it again
    after every catalogue change. This process's own copy is looked at first, so a hit costs nothing more;
    while the shared cache is down its reads miss and the value is built here, as ``cached`` would.
    """
    def from_shared_cache():
        value = cache.get(key)
        if value is None:
            value = build()
            cache.set(key, value, timeout)
        return value

    return cached(key, from_shared_cache, timeout, in_cache=in_cache)


def shared_object(key: str, build, timeout: int = TIMEOUT):
    """As ``shared_cached``, with this process's copy kept as the object itself rather than a pickle of it.

    For what many pages share and only read (a category with its ancestors and children, its filter
    attributes and brand facets): a hit then costs a dictionary lookup instead of unpickling model
    instances. Every request of the process gets the same object, so no reader may change it; a list
    whose items a page annotates (products for cards) belongs in ``shared_cached``.
    """
    return shared_cached(key, build, timeout, in_cache=objects_cache())


CSRF_PLACEHOLDER = "__shop_csrf_token__"


def for_guests(*, seconds: int = TIMEOUT, vary_on_cookie: str | None = None, on_hit=None, shared: bool = False):
    """Serve a page whole from the cache to visitors it cannot differ for.

    That is a guest with no session (so no cart, no messages): the page then
    depends only on its URL, the language, the catalogue version and, when
    named, ``vary_on_cookie`` (recently viewed products), which joins the key.
    ``on_hit(request, response, *args, **kwargs)`` does on a cache hit what
    the view would have done to the response (set that cookie). A response
    setting any other cookie is not cached.

    ``shared`` keeps the page in the shared cache as well (settings.CACHES "shared_pages"), for pages dear to
    draw that other visitors ask for again, reaching other web processes: search results and filtered
    category listings. Other pages stay in this process's own cache.

    A page with a form renders ``{% csrf_token %}`` as CSRF_PLACEHOLDER (the
    context's ``csrf_token``); every response, cached or not, gets the
    visitor's own token swapped in.
    """

    alias = "shared_pages" if shared else "pages"

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            plain = request.method == "GET" and _is_plain_guest(request)
            cookie = request.COOKIES.get(vary_on_cookie, "") if vary_on_cookie else ""
            key = page_key("response", request.path, query_key(request), cookie)
            content = caches[alias].get(key) if plain else None
            if content is None:
                response = view(request, *args, **kwargs)
                cacheable = response.status_code == 200 and not response.streaming
                if plain and cacheable and set(response.cookies) <= {vary_on_cookie}:
                    caches[alias].set(key, response.content, seconds)
            else:
                response = HttpResponse(content)
                if on_hit is not None:
                    on_hit(request, response, *args, **kwargs)
            if not response.streaming and CSRF_PLACEHOLDER.encode() in response.content:
                response.content = response.content.replace(CSRF_PLACEHOLDER.encode(), get_token(request).encode())
            return response

        return wrapper

    return decorate


def _is_plain_guest(request) -> bool:
    cookies = request.COOKIES
    # A chosen store (当前门店) changes the product page's pick-up line, so such a visitor is not a plain guest.
    return (settings.SESSION_COOKIE_NAME not in cookies and "messages" not in cookies
            and getattr(settings, "SHOP_STORE_COOKIE", "store") not in cookies)
