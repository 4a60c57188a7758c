"""Helpers for the catalogue's hot reads written as fixed SQL (catalog.product_page_query, catalog.card_query).

The SQL texts are built once per process from the models' fields, so a new column is read without editing
them; the rows are turned into the same model instances the ORM would build (``Model.from_db``, related
objects cached as ``select_related`` / ``prefetch_related`` leave them), so templates read them unchanged.

JSON is read with ``parse_float=Decimal``: PostgreSQL writes a numeric exactly as stored (``59.00``), so
money never passes through a float.
"""

import json
import weakref
from datetime import datetime
from decimal import Decimal
from functools import cache

import psycopg
from django.db import ProgrammingError, connection, models


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
    return model.from_db(connection.alias, names, [next(values) for _ in model_fields])


def from_json(model, data: dict):
    """An instance from a JSON object keyed by attname in field order (as ``json_object`` writes them)."""
    for name, convert in _converters(model):
        if data.get(name) is not None:
            data[name] = convert(data[name])
    return model.from_db(connection.alias, list(data), list(data.values()))


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


class PreparedStatement:
    """One fixed query, PREPAREd once per database connection and then run by EXECUTE.

    Planning a query with subqueries and lateral joins costs PostgreSQL milliseconds (the product page's
    ~1.7 ms, a listing's cards ~2 ms), more than running it; prepared once per connection (Django keeps
    one for DB_CONN_MAX_AGE), it is planned generically after its first few runs. The PREPARE goes to
    psycopg's connection itself, so the query counts of pages do not depend on whether theirs was the
    connection's first. A prepared statement outlives a rolled-back transaction.

    ``sql`` returns the text with ``$1``, ``$2`` … placeholders of ``types`` ("text", "timestamptz", …);
    it is called once per process.
    """

    def __init__(self, name: str, types: tuple[str, ...], sql):
        self.name = name
        self.types = types
        self.sql = cache(sql)
        self._prepared_on = weakref.WeakSet()  # psycopg connections that have it

    def execute(self, cursor, params) -> None:
        """EXECUTE the statement on ``cursor``, preparing it first on a connection that has not got it.

        A statement can vanish from under a connection (DISCARD ALL, a pooler that hands the session to
        someone else): then it is prepared again and run once more, unless a transaction is open, which
        the failed EXECUTE has already aborted.
        """
        self._prepare()
        run = f"EXECUTE {self.name} ({', '.join(['%s'] * len(self.types))})"
        try:
            cursor.execute(run, params)
        except ProgrammingError as error:
            if not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName) or connection.in_atomic_block:
                raise
            self._prepared_on.discard(connection.connection)
            self._prepare()
            cursor.execute(run, params)

    def _prepare(self) -> None:
        connection.ensure_connection()
        raw = connection.connection
        if raw not in self._prepared_on:
            raw.execute(f"PREPARE {self.name} ({', '.join(self.types)}) AS {self.sql()}")
            self._prepared_on.add(raw)
