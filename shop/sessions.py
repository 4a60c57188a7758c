"""Database sessions, cheaper on the two paths every visitor takes.

Django's database session store asks "does this key exist?" before it
inserts a new session. The insert itself is refused on a duplicate key and
Django then draws another, so the question only costs a query per new
visitor (every guest who adds to the cart).

Every page a logged-in member opens loads their session first. Built through
the ORM, that one-row SELECT cost several times in Python what PostgreSQL
needs to answer it; here its SQL is written once per process and database.
The session stays in the database: a cache could bring a log-in back to life
after a Redis outage.
"""

from functools import cache

from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string


@cache
def _load_sql(model, alias: str) -> str:
    """SELECT the session data of one unexpired key (params: the key, now)."""
    quote = connections[alias].ops.quote_name
    meta = model._meta
    column = lambda name: quote(meta.get_field(name).column)  # noqa: E731
    return (
        f"SELECT {column('session_data')} FROM {quote(meta.db_table)}"
        f" WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )


class SessionStore(DatabaseSessionStore):
    def _get_new_session_key(self) -> str:
        # 32 characters from 36: a clash is astronomically unlikely, and create() retries on one.
        return get_random_string(32, VALID_KEY_CHARS)

    def _get_session_from_db(self):
        """The session row as Django's store reads it (``load`` uses its data), or None when gone or expired."""
        model = self.model
        alias = router.db_for_read(model)
        connection = connections[alias]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_load_sql(model, alias), [self.session_key, now])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does: a new key is drawn when the session is saved
            return None
        return model(session_key=self.session_key, session_data=row[0])
