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
"""

import hashlib

from django.core.cache import cache
from django.db import transaction
from django.utils import translation

VERSION_KEY = "catalog:version"
TIMEOUT = 10 * 60


def catalog_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, timeout=None)
        version = cache.get(VERSION_KEY, 1)
    return version


def bump_catalog_version() -> None:
    """Drop every cached page now, and once more when the writing transaction commits.

    The second bump matters: a reader between the first bump and the commit
    could cache the old rows under the new version.
    """
    _increment()
    transaction.on_commit(_increment)


def _increment() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # the key was evicted or never set
        cache.set(VERSION_KEY, 2, timeout=None)


def page_key(name: str, *parts) -> str:
    """A cache key for ``name`` and ``parts`` under the current catalogue version and language."""
    raw = "|".join(str(part) for part in parts)
    digest = hashlib.sha1(raw.encode("utf-8", "surrogatepass")).hexdigest()
    return f"catalog:{catalog_version()}:{translation.get_language()}:{name}:{digest}"


def query_key(request) -> str:
    """The request's query string in a canonical order, so ?a=1&b=2 and ?b=2&a=1 share an entry."""
    return "&".join(f"{key}={value}" for key, values in sorted(request.GET.lists()) for value in values)


def cached(key: str, build, timeout: int = TIMEOUT):
    """Return the cached value for ``key``, building and storing it on a miss."""
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value, timeout)
    return value
