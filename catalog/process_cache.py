"""The per-process caches of catalogue pages (settings.CACHES "pages" and "objects"), and the two-level one
("shared_pages") that puts the "pages" cache in front of the shared cache.

The first two are Django's LocMemCache with two costs taken out that a cold page paid many times over:

- Key validation. Django checks each key character by character for memcached's sake (about 10 µs
  a key, 10 to 30 keys a page). These keys are all ``catalog.cache.page_key`` strings (names and
  hex digests, never a visitor's text) and never leave the process, so they are not checked.
- Pickling, in the "objects" cache only. It keeps the values themselves: what many pages share
  and only read, such as a category's filter attributes with their options. Unpickling those model
  instances on every hit cost a cold search page about 5% of its time, more than building them
  once. A value put there must never be changed by its readers: every request in the process gets
  the same object.
"""

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.locmem import LocMemCache


class PagesCache(LocMemCache):
    """LocMemCache for keys made by page_key: not validated (see the module docstring)."""

    def validate_key(self, key):
        pass


class ObjectsCache(PagesCache):
    """PagesCache keeping each value as the object itself instead of a pickle of it."""

    def get(self, key, default=None, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                return default
            value = self._cache[key]
            self._cache.move_to_end(key, last=False)
        return value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            self._set(key, value, timeout)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._set(key, value, timeout)
                return True
            return False

    def incr(self, key, delta=1, version=None):
        key = self.make_key(key, version=version)
        with self._lock:
            if self._has_expired(key):
                self._delete(key)
                raise ValueError(f"Key '{key}' not found")
            value = self._cache[key] + delta
            self._cache[key] = value
            self._cache.move_to_end(key, last=False)
        return value


class SharedPagesCache(BaseCache):
    """This process's "pages" cache in front of the shared cache, for listings (settings.CACHES "shared_pages").

    For what is dear to draw and asked for again by other visitors: search results and filtered category
    listings. Kept per process only, a repeat reached the process that drew it once in as many times as
    there are web processes; here one process's drawing serves them all. A hit in this process's own
    cache (OPTIONS "LOCAL") costs what it did; a miss there asks the shared cache (OPTIONS "SHARED", Redis
    in production) before the page is drawn, and what is drawn goes to both. The shared copy lasts
    SHARED_SECONDS at most (two minutes unless said), so Redis holds a bounded window of rendered listings
    however long the local copies last. While Redis is down its reads miss (the stand-in of
    shop.redis_outage) and the page is drawn here, as before.

    Keys are ``catalog.cache.page_key`` strings or the ``{% cache %}`` tag's own, which carry the
    catalogue version, and are handed on unchanged. ``clear`` empties this process's copies only: the
    shared ones expire, and a version bump orphans them at once.
    """

    def __init__(self, location, params):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        self.local_alias = options.get("LOCAL", "pages")
        self.shared_alias = options.get("SHARED", "default")
        self.shared_seconds = int(options.get("SHARED_SECONDS", 120))

    def get(self, key, default=None, version=None):
        local = caches[self.local_alias]
        value = local.get(key, self._missing_key)
        if value is self._missing_key:
            value = caches[self.shared_alias].get(key, self._missing_key)
            if value is self._missing_key:
                return default
            local.set(key, value, self.shared_seconds)
        return value

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        caches[self.local_alias].set(key, value, timeout)
        shared = self.shared_seconds if timeout in (DEFAULT_TIMEOUT, None) else min(timeout, self.shared_seconds)
        caches[self.shared_alias].set(key, value, shared)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if self.has_key(key):
            return False
        self.set(key, value, timeout)
        return True

    def delete(self, key, version=None):
        deleted = caches[self.local_alias].delete(key)
        return caches[self.shared_alias].delete(key) or deleted

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return caches[self.local_alias].touch(key, timeout)

    def clear(self):
        caches[self.local_alias].clear()
