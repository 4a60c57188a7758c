"""The two per-process caches of catalogue pages (settings.CACHES "pages" and "objects").

Both are Django's LocMemCache with two costs taken out that a cold page paid many times over:

- Key validation. Django checks each key character by character for memcached's sake (about 10 µs
  a key, 10 to 30 keys a page). These keys are all ``catalog.cache.page_key`` strings (names and
  hex digests, never a visitor's text) and never leave the process, so they are not checked.
- Pickling, in the "objects" cache only. It keeps the values themselves: what many pages share
  and only read, such as a category's filter attributes with their options. Unpickling those model
  instances on every hit cost a cold search page about 5% of its time, more than building them
  once. A value put there must never be changed by its readers: every request in the process gets
  the same object.
"""

from django.core.cache.backends.base import DEFAULT_TIMEOUT
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
