"""Helpers for the catalogue's hot reads written as fixed SQL (catalog.product_page_query, catalog.card_query).

The SQL texts are built once per process from the models' fields, so a new column is read without editing
them; the rows are turned into the same model instances the ORM would build (``Model.from_db``, related
objects cached as ``select_related`` / ``prefetch_related`` leave them), so templates read them unchanged.

JSON is read with ``parse_float=Decimal``: PostgreSQL writes a numeric exactly as stored (``59.00``), so
money never passes through a float.
"""

import json
from datetime import datetime
from decimal import Decimal
from functools import cache

from django.db import connection, models


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
