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

import threading
from functools import cache

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.base import (
    VALID_KEY_CHARS,
    CreateError,
    UpdateError,
)
from django.contrib.sessions.backends.db import SessionStore as DatabaseSessionStore
from django.core.signals import request_started
from django.db import connections, router
from django.utils import timezone
from django.utils.crypto import get_random_string

from catalog.fixed_sql import sends_statements_together


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


# The member's user row, read in the session's round trip.
#
# Every page a logged-in member opens reads the session row, decodes it, and only then reads the user row
# (Django's auth check): two round trips, one after the other. A process that has seen a session remembers
# whose it was, and next time sends the user row's statement (registered by the log-in backend with
# ``read_user_with_session``) right after the session's, in the same round trip. What the session row then
# says still decides: the backend takes the row read beside it only when the session names that same user,
# and reads the user as before otherwise (a guess that no longer holds costs the old second query, never a
# wrong user). Rows are kept for the current request only.
_MEMO_LIMIT = 10_000
_user_of_session: dict[str, str] = {}  # session key -> the user id its data held, last time this process read it
_companion: dict = {"sql": None}  # alias -> the user row's SELECT (one %s: the user id), or None
_read_with_session = threading.local()


def read_user_with_session(sql_for_alias) -> None:
    """Have ``sql_for_alias(alias)`` (a SELECT of one user row, its one %s the user id; None: not possible)
    sent after the session's own SELECT when this process knows whose the session is (PostgreSQL only)."""
    _companion["sql"] = sql_for_alias


def user_row_read_with_session(alias: str, user_id) -> tuple | None:
    """``(row,)`` when this request's session load also read the user row of ``user_id`` (``row`` None when
    there is no such user), once; None when it did not."""
    rows = getattr(_read_with_session, "rows", None)
    if not rows:
        return None
    return rows.pop((alias, str(user_id)), None)


def _forget_rows(**kwargs) -> None:
    _read_with_session.rows = {}


request_started.connect(_forget_rows, dispatch_uid="shop-sessions-forget-user-rows")


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
        guess = _user_of_session.get(self.session_key) if sends_statements_together(connection) else None
        companion = _companion["sql"](alias) if guess and _companion["sql"] else None
        _read_with_session.rows = {}
        with connection.cursor() as cursor:
            if companion:
                cursor.execute(f"{_load_sql(model, alias)};\n{companion}", [self.session_key, now, guess])
                row = cursor.fetchone()
                cursor.nextset()
                _read_with_session.rows = {(alias, guess): (cursor.fetchone(),)}
            else:
                cursor.execute(_load_sql(model, alias), [self.session_key, now])
                row = cursor.fetchone()
        if row is None:
            self._session_key = None  # as Django's store does: a new key is drawn when the session is saved
            return None
        return model(session_key=self.session_key, session_data=row[0])

    def load(self):
        data = super().load()
        key, user_id = self.session_key, data.get(SESSION_KEY)
        if key and user_id:
            if len(_user_of_session) >= _MEMO_LIMIT:
                _user_of_session.clear()
            _user_of_session[key] = str(user_id)
        elif key:
            _user_of_session.pop(key, None)
        return data

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
