"""Helpers for the catalogue's hot reads written as fixed SQL (catalog.product_page_query, catalog.card_query).

The SQL texts are built once per process from the models' fields, so a new column is read without editing
them; the rows are turned into the same model instances the ORM would build (``Model.from_db``, related
objects cached as ``select_related`` / ``prefetch_related`` leave them), so templates read them unchanged.

JSON is read with ``parse_float=Decimal``: PostgreSQL writes a numeric exactly as stored (``59.00``), so
money never passes through a float.
"""

import json
import re
import weakref
from datetime import datetime
from decimal import Decimal
from functools import cache

import psycopg
from django.db import DEFAULT_DB_ALIAS, ProgrammingError, connection, connections, models
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


def fields(model, skip=()) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.attname not in skip]


def columns(model, alias: str, skip=()) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in fields(model, skip))


def json_object(model, alias: str, skip=(), **extra: str) -> str:
    """``json_build_object`` of the model's columns, keyed by attname in field order, then ``extra``."""
    quote = connection.ops.quote_name
    pairs = [f"'{field.attname}', {alias}.{quote(field.column)}" for field in fields(model, skip)]
    pairs += [f"'{key}', {expression}" for key, expression in extra.items()]
    return f"json_build_object({', '.join(pairs)})"


def nullable_json_object(model, alias: str) -> str:
    return f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE {json_object(model, alias)} END"


def table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def m2m_table(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).remote_field.through._meta.db_table)


def loads(text: str) -> list[dict]:
    return json.loads(text, parse_float=Decimal)


def instance(model, model_fields, values):
    """An instance from the next ``len(model_fields)`` values of a row, as the ORM builds one."""
    names = [field.attname for field in model_fields]
    return from_db(model, names, [next(values) for _ in model_fields])


def from_db(model, names: list[str], values: list, alias: str | None = None):
    """What ``model.from_db`` gives for these attnames (in field order) and values, built for less.

    ``Model.from_db`` lines the values up with every concrete field (a deferred marker for each one not
    read) and calls ``Model.__init__``, which sets them one by one and sends ``pre_init`` and ``post_init``.
    The hot reads build some thirty instances a page that way, a twentieth of a cold product page. For a
    model that neither overrides ``from_db`` nor has anyone listening to those signals, the instance is
    the same as its attributes set directly: the fields not read stay deferred (read on first use, as
    the ORM's ``only()`` leaves them), and a foreign key's id is set with nothing cached to forget.
    """
    # The reads run on ``django.db.connection``, the default database's: its alias without asking the proxy,
    # whose every attribute is a lookup of the current connection (a few thousandths of a cold page).
    alias = alias or DEFAULT_DB_ALIAS
    if model.from_db.__func__ is not _MODEL_FROM_DB or pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(alias, names, values)
    new = model.__new__(model)
    state = new._state = ModelState()
    state.adding = False
    state.db = alias
    new.__dict__.update(zip(names, values))
    return new


_MODEL_FROM_DB = models.Model.from_db.__func__


def from_json(model, data: dict):
    """An instance from a JSON object keyed by attname in field order (as ``json_object`` writes them)."""
    for name, convert in _converters(model):
        if data.get(name) is not None:
            data[name] = convert(data[name])
    return from_db(model, list(data), list(data.values()))


@cache
def _converters(model) -> list:
    """What JSON cannot carry as the field's own type: datetimes come as ISO text; a numeric is a Decimal already."""
    converters = []
    for field in model._meta.concrete_fields:
        if isinstance(field, models.DateTimeField):
            converters.append((field.attname, datetime.fromisoformat))
        elif isinstance(field, models.DecimalField):
            converters.append((field.attname, lambda value: value if isinstance(value, Decimal) else Decimal(str(value))))
    return converters


def cache_related(instance, name: str, value) -> None:
    """What ``select_related(name)`` leaves on an instance: the related object, read without a query."""
    instance._meta.get_field(name).set_cached_value(instance, value)


def prefetched(instance, name: str, objects: list) -> None:
    """What ``prefetch_related(name)`` leaves on an instance: ``instance.<name>.all()`` answers from ``objects``.

    The relation's own queryset, as Django's prefetching keeps it, so a ``.filter()`` on it still queries.
    """
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset


def sends_statements_together(db=connection) -> bool:
    """Whether several statements can go to ``db`` as one query, in one round trip: PostgreSQL with psycopg's
    client-side binding (Django's default), which sends a query with its parameters inlined as a simple query."""
    return db.vendor == "postgresql" and not db.settings_dict["OPTIONS"].get("server_side_binding")


def may_prepare(db=None) -> bool:
    """Whether statements may be prepared on the database connection.

    A pooler that hands each transaction another server connection (pgbouncer in transaction mode) loses
    prepared statements; such set-ups turn psycopg's own preparing off (``prepare_threshold`` None in the
    database OPTIONS) and server-side cursors too, and so do we: the statements are then sent as plain text,
    as they are to a database other than PostgreSQL (SQLite, for the demo).
    """
    db = db if db is not None else _default_db()
    settings = db.settings_dict
    return (
        db.vendor == "postgresql"
        and settings["OPTIONS"].get("prepare_threshold", 5) is not None
        and not settings.get("DISABLE_SERVER_SIDE_CURSORS")
    )


def _default_db():
    """``django.db.connection``'s own wrapper: the proxy looks it up again on every attribute."""
    return connections[DEFAULT_DB_ALIAS]


class PreparedStatement:
    """One fixed query, PREPAREd once per database connection and then run by EXECUTE.

    Planning a query with subqueries and lateral joins costs PostgreSQL milliseconds (the product page's
    ~1.7 ms, a listing's cards ~2 ms, a cart's lines ~0.7 ms), more than running it; prepared once per
    connection (Django keeps one for DB_CONN_MAX_AGE), it is planned generically after its first few
    runs. The PREPARE goes to psycopg's connection itself, so the query counts of pages do not depend on
    whether theirs was the connection's first. A prepared statement outlives a rolled-back transaction.

    ``sql`` returns the text (it is called once per process), its parameters written either as psycopg's
    ``%s`` in order or as ``$1``, ``$2`` … (a parameter used several times); no other ``%`` may appear.
    Where preparing is off (``may_prepare``) the text itself is sent.
    """

    def __init__(self, name: str, sql):
        self.name = name
        self.sql = cache(sql)  # the text, built once
        self._prepared_on = weakref.WeakSet()  # psycopg connections that have it

    def execute(self, cursor, params) -> None:
        """Run the statement on ``cursor``.

        A statement can vanish from under a connection (DISCARD ALL, a pooler that hands the session to
        someone else): then it is prepared again and run once more, unless a transaction is open, which
        the failed EXECUTE has already aborted.
        """
        try:
            cursor.execute(*self.statement(params))
        except ProgrammingError as error:
            if not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName) or connection.in_atomic_block:
                raise
            self._prepared_on.discard(connection.connection)
            cursor.execute(*self.statement(params))

    def statement(self, params) -> tuple[str, list]:
        """What to send for ``params``, as (SQL, parameters): EXECUTE of the statement, prepared on this
        connection first if it has not got it, or the text itself where preparing is off. For callers that
        send several statements in one round trip."""
        text = self.sql()
        db = _default_db()
        if not may_prepare(db):
            return _with_psycopg_placeholders(text, list(params))
        db.ensure_connection()
        raw = db.connection
        if raw not in self._prepared_on:
            raw.execute(f"PREPARE {self.name} AS {_with_numbered_placeholders(text)}")
            self._prepared_on.add(raw)
        return f"EXECUTE {self.name} ({', '.join(['%s'] * len(params))})", list(params)


_NUMBERED = re.compile(r"\$(\d+)")


def _with_numbered_placeholders(text: str) -> str:
    """The text with psycopg's %s placeholders as PREPARE's $1, $2, … (a text in $-form is kept)."""
    if _NUMBERED.search(text):
        return text
    parts = text.split("%s")
    if any("%" in part for part in parts):
        raise ValueError("a prepared statement's text must hold no % but its placeholders")
    return parts[0] + "".join(f"${number}{part}" for number, part in enumerate(parts[1:], start=1))


def _with_psycopg_placeholders(text: str, params: list) -> tuple[str, list]:
    """The text and parameters for a plain execute: a $-form text's $n become %s, each with its parameter."""
    if not _NUMBERED.search(text):
        return text, params
    if "%" in _NUMBERED.sub("", text):
        raise ValueError("a prepared statement's text must hold no % but its placeholders")
    ordered = [params[int(number) - 1] for number in _NUMBERED.findall(text)]
    return _NUMBERED.sub("%s", text), ordered
