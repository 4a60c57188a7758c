"""Database sessions without the extra round trip for each new visitor.

Django's database session store asks "does this key exist?" before it
inserts a new session. The insert itself is refused on a duplicate key and
Django then draws another, so the question only costs a query per new
visitor (every guest who adds to the cart).
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.utils.crypto import get_random_string


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        # 32 characters from 36: a clash is astronomically unlikely, and create() retries on one.
        return get_random_string(32, VALID_KEY_CHARS)
