"""Database sessions, cheaper on the two paths every visitor takes.

Django's database session store asks "does this key exist?" before it
inserts a new session, and saves through the ORM inside a transaction
(BEGIN, INSERT, COMMIT: three round trips). Here a new session is one
``INSERT ... ON CONFLICT DO NOTHING`` and a changed one one ``UPDATE``, each
a single statement needing no transaction: a duplicate key inserts nothing
and a new key is drawn, as Django does (every guest who adds to the cart
makes one).

Every page a logged-in member opens loads their session first. Built through
the ORM, that one-row SELECT cost several times in Python what PostgreSQL
needs to answer it; here its SQL is written once per process and database.
The session stays in the database: a cache could bring a log-in back to life
after a Redis outage.
"""

from functools import cache

from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    UpdateError,
)
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string


@cache
def _load_sql(model, alias: str) -> str:
    """SELECT the session data of one unexpired key (params: the key, now)."""
    quote = connections[alias].ops.quote_name
    meta = model._meta
    column = lambda name: quote(meta.get_field(name).column)
    return (
        f"SELECT {column('session_data')} FROM {quote(meta.db_table)}"
        f" WHERE {column('session_key')} = %s AND {column('expire_date')} > %s"
    )


# Both read INSERT ... ON CONFLICT (column) DO NOTHING; other databases keep Django's ORM save.
_FIXED_SAVE_VENDORS = ("postgresql", "sqlite")


@cache
def _save_sql(model, alias: str) -> tuple[str, str]:
    """The INSERT of a new session (params: key, data, expiry) and the UPDATE of one (params: data, expiry, key)."""
    quote = connections[alias].ops.quote_name
    meta = model._meta
    table = quote(meta.db_table)
    key, data, expiry = (quote(meta.get_field(name).column) for name in ("session_key", "session_data", "expire_date"))
    return (
        f"INSERT INTO {table} ({key}, {data}, {expiry}) VALUES (%s, %s, %s) ON CONFLICT ({key}) DO NOTHING",
        f"UPDATE {table} SET {data} = %s, {expiry} = %s WHERE {key} = %s",
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

    def save(self, must_create=False):
        """As Django's store saves: CreateError when ``must_create`` finds the key taken, UpdateError when the row is gone."""
        if self.session_key is None:
            return self.create()
        model = self.model
        alias = router.db_for_write(model)
        connection = connections[alias]
        if connection.vendor not in _FIXED_SAVE_VENDORS:
            return super().save(must_create=must_create)
        data = self.encode(self._get_session(no_load=must_create))
        expiry = connection.ops.adapt_datetimefield_value(self.get_expiry_date())
        insert, update = _save_sql(model, alias)
        with connection.cursor() as cursor:
            if must_create:
                cursor.execute(insert, [self.session_key, data, expiry])
            else:
                cursor.execute(update, [data, expiry, self.session_key])
            saved = cursor.rowcount
        if not saved:
            raise CreateError if must_create else UpdateError
