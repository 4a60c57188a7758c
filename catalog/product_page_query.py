"""The product page's data in one PostgreSQL query.

A cold product page used to cost six ORM queries (the product, its variants,
their option values, images, attribute values, tags) and two more for the
staff-chosen related products; each cost ~2 ms of Python (queryset cloning,
SQL compiling, model instances) against well under a millisecond of
database time. Here one fixed SQL text (built from the models' fields once
per process) returns the product row with its category and brand, and every
list the page shows as a JSON array; the same model instances the ORM's
``select_related``/``prefetch_related`` would give are built from them, so
the template and ``catalog.variants`` read them unchanged.

The JSON is read with ``parse_float=Decimal``: PostgreSQL writes a numeric
exactly as stored (``59.00``), so money never passes through a float.

Only for PostgreSQL (the shop's database); ``catalog.selectors.product_page``
keeps the prefetching form for the SQLite demo.
"""

import json
import weakref
from datetime import datetime
from decimal import Decimal
from functools import cache

import psycopg
from django.db import ProgrammingError, connection, models
from django.utils import timezone

from catalog.models import (
    SEARCH_COLUMNS,
    Attribute,
    AttributeOption,
    Brand,
    Category,
    Option,
    OptionValue,
    Product,
    ProductAttributeValue,
    ProductImage,
    Tag,
    Variant,
    visible_product_sql,
)

STATEMENT = "catalog_product_page"

# At most this many staff-chosen related products are shown (catalog.selectors.related_products).
RELATED_LIMIT = 8

# Columns a related product's card never reads (as catalog.selectors.with_card_data leaves them out too).
_CARD_SKIPPED = {*SEARCH_COLUMNS, "description", "summary", "seo_title", "seo_description", "video_url",
                 "created_at", "updated_at", "available_from", "available_until"}


def _fields(model, skip=()) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if field.attname not in skip]


def _columns(model, alias: str, skip=()) -> str:
    quote = connection.ops.quote_name
    return ", ".join(f"{alias}.{quote(field.column)}" for field in _fields(model, skip))


def _json_object(model, alias: str, skip=(), **extra: str) -> str:
    """``json_build_object`` of the model's columns, keyed by attname in field order, then ``extra``."""
    quote = connection.ops.quote_name
    pairs = [f"'{field.attname}', {alias}.{quote(field.column)}" for field in _fields(model, skip)]
    pairs += [f"'{key}', {expression}" for key, expression in extra.items()]
    return f"json_build_object({', '.join(pairs)})"


def _nullable_json_object(model, alias: str) -> str:
    return f"CASE WHEN {alias}.id IS NULL THEN NULL ELSE {_json_object(model, alias)} END"


def _visible(alias: str) -> str:
    """The rule of catalog.models.visible_product for the product table under ``alias`` ($2: now)."""
    return visible_product_sql(alias, "$2")


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _m2m_table(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).remote_field.through._meta.db_table)


@cache
def _sql() -> str:
    """The statement's text: $1 the slug, $2 now."""
    variant_options = (
        f"SELECT coalesce(json_agg({_json_object(OptionValue, 'ov', option=_json_object(Option, 'o'))}"
        f" ORDER BY o.position, ov.position, ov.value, ov.id), '[]')"
        f" FROM {_m2m_table(Variant, 'option_values')} vo"
        f" JOIN {_table(OptionValue)} ov ON ov.id = vo.optionvalue_id JOIN {_table(Option)} o ON o.id = ov.option_id"
        f" WHERE vo.variant_id = v.id"
    )
    variants = (
        f"SELECT coalesce(json_agg({_json_object(Variant, 'v', option_values=f'({variant_options})')}"
        f" ORDER BY v.position, v.id), '[]')::text"
        f" FROM {_table(Variant)} v WHERE v.product_id = p.id AND v.is_active"
    )
    images = (
        f"SELECT coalesce(json_agg({_json_object(ProductImage, 'i')} ORDER BY i.position, i.id), '[]')::text"
        f" FROM {_table(ProductImage)} i WHERE i.product_id = p.id"
    )
    attribute_values = (
        f"SELECT coalesce(json_agg({_json_object(ProductAttributeValue, 'av', attribute=_json_object(Attribute, 'a'), option=_nullable_json_object(AttributeOption, 'ao'))}"
        f" ORDER BY a.position, a.name, av.id), '[]')::text"
        f" FROM {_table(ProductAttributeValue)} av JOIN {_table(Attribute)} a ON a.id = av.attribute_id"
        f" LEFT JOIN {_table(AttributeOption)} ao ON ao.id = av.option_id WHERE av.product_id = p.id"
    )
    tags = (
        f"SELECT coalesce(json_agg({_json_object(Tag, 't')} ORDER BY t.name, t.id), '[]')::text"
        f" FROM {_m2m_table(Product, 'tags')} pt JOIN {_table(Tag)} t ON t.id = pt.tag_id WHERE pt.product_id = p.id"
    )
    # What a card shows, as catalog.selectors.with_card_data annotates it on a listing: the dearest active
    # price (for "from") and the first picture (its card thumbnail, else the upload).
    card = _json_object(
        Product, "r", _CARD_SKIPPED,
        brand=_nullable_json_object(Brand, "rb"),
        price_high=f"(SELECT max(rv.price) FROM {_table(Variant)} rv WHERE rv.product_id = r.id AND rv.is_active)",
        card_image_name="ri.name",
        card_image_alt="ri.alt_text",
    )
    related = (
        f"SELECT coalesce(json_agg({card} ORDER BY r.created_at DESC, r.id DESC), '[]')::text"
        f" FROM (SELECT {_columns(Product, 'rr', SEARCH_COLUMNS)} FROM {_table(Product)} rr"
        f" JOIN {_m2m_table(Product, 'related_products')} rp ON rp.to_product_id = rr.id"
        f" WHERE rp.from_product_id = p.id AND {_visible('rr')}"
        f" ORDER BY rr.created_at DESC, rr.id DESC LIMIT {RELATED_LIMIT}) r"
        f" LEFT JOIN {_table(Brand)} rb ON rb.id = r.brand_id"
        f" LEFT JOIN LATERAL (SELECT coalesce(nullif(ci.card_thumbnail, ''), ci.image) AS name, ci.alt_text"
        f" FROM {_table(ProductImage)} ci WHERE ci.product_id = r.id ORDER BY ci.position, ci.id LIMIT 1) ri ON true"
    )
    return (
        f"SELECT {_columns(Product, 'p', SEARCH_COLUMNS)}, {_columns(Category, 'c')}, {_columns(Brand, 'b')},"
        f" ({variants}), ({images}), ({attribute_values}), ({tags}), ({related})"
        f" FROM {_table(Product)} p JOIN {_table(Category)} c ON c.id = p.category_id"
        f" LEFT JOIN {_table(Brand)} b ON b.id = p.brand_id"
        f" WHERE p.slug = $1 AND c.is_active AND {_visible('p')}"
    )


def product_page_in_one_query(slug: str) -> Product | None:
    """The visible product ``slug`` with everything its page shows, or None.

    Gives what ``catalog.selectors.product_page`` prefetches (category, brand, active variants with their
    option values and options, images, attribute values with attribute and option, tags), plus
    ``related_cards``: its visible staff-chosen related products (newest first, at most RELATED_LIMIT)
    ready for ``{% product_cards %}``.
    """
    with connection.cursor() as cursor:
        _execute(cursor, [slug, timezone.now()])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    product = _instance(Product, _fields(Product, SEARCH_COLUMNS), values)
    category = _instance(Category, _fields(Category), values)
    brand = _instance(Brand, _fields(Brand), values)
    variants_json, images_json, attribute_values_json, tags_json, related_json = values
    _cache_related(product, "category", category)
    _cache_related(product, "brand", brand if brand.pk is not None else None)

    variants = []
    for data in _loads(variants_json):
        option_values = []
        for value_data in data.pop("option_values"):
            option = _from_json(Option, value_data.pop("option"))
            value = _from_json(OptionValue, value_data)
            _cache_related(value, "option", option)
            option_values.append(value)
        variant = _from_json(Variant, data)
        _cache_related(variant, "product", product)
        _prefetched(variant, "option_values", option_values)
        variants.append(variant)
    _prefetched(product, "variants", variants)

    images = [_from_json(ProductImage, data) for data in _loads(images_json)]
    for image in images:
        _cache_related(image, "product", product)
    _prefetched(product, "images", images)

    attribute_values = []
    for data in _loads(attribute_values_json):
        attribute = _from_json(Attribute, data.pop("attribute"))
        option_data = data.pop("option")
        value = _from_json(ProductAttributeValue, data)
        _cache_related(value, "attribute", attribute)
        _cache_related(value, "option", _from_json(AttributeOption, option_data) if option_data else None)
        _cache_related(value, "product", product)
        attribute_values.append(value)
    _prefetched(product, "attribute_values", attribute_values)

    _prefetched(product, "tags", [_from_json(Tag, data) for data in _loads(tags_json)])

    related = []
    for data in _loads(related_json):
        brand_data = data.pop("brand")
        extra = {key: data.pop(key) for key in ("price_high", "card_image_name", "card_image_alt")}
        other = _from_json(Product, data)
        _cache_related(other, "brand", _from_json(Brand, brand_data) if brand_data else None)
        other.__dict__.update(extra)
        related.append(other)
    product.related_cards = related
    return product


# Database connections (psycopg's own objects) on which STATEMENT is prepared.
_prepared_on = weakref.WeakSet()


def _prepare() -> None:
    """Prepare STATEMENT once per database connection.

    Planning the query (its eleven subqueries) cost PostgreSQL ~1.7 ms a page, twice its execution;
    prepared once per connection (Django keeps one for DB_CONN_MAX_AGE), it is planned generically after
    its first few runs.
    Sent on psycopg's connection itself, so the query counts of pages do not depend on whether theirs
    was the connection's first product page. A prepared statement outlives a rolled-back transaction.
    """
    raw = connection.connection
    if raw not in _prepared_on:
        raw.execute(f"PREPARE {STATEMENT} (text, timestamptz) AS {_sql()}")
        _prepared_on.add(raw)


def _execute(cursor, params) -> None:
    """EXECUTE the statement, preparing it first on a connection that has not got it.

    A statement can vanish from under a connection (DISCARD ALL, a pooler that hands the session to
    someone else): then it is prepared again and run once more, unless a transaction is open, which the
    failed EXECUTE has already aborted.
    """
    _prepare()
    try:
        cursor.execute(f"EXECUTE {STATEMENT} (%s, %s)", params)
    except ProgrammingError as error:
        if not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName) or connection.in_atomic_block:
            raise
        _prepared_on.discard(connection.connection)
        _prepare()
        cursor.execute(f"EXECUTE {STATEMENT} (%s, %s)", params)


def _loads(text: str) -> list[dict]:
    return json.loads(text, parse_float=Decimal)


def _instance(model, fields, values):
    """An instance from the next ``len(fields)`` values of a row, as the ORM builds one."""
    names = [field.attname for field in fields]
    return model.from_db(connection.alias, names, [next(values) for _ in fields])


def _from_json(model, data: dict):
    """An instance from a JSON object keyed by attname in field order (as ``_json_object`` writes them)."""
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


def _cache_related(instance, name: str, value) -> None:
    """What ``select_related(name)`` leaves on an instance: the related object, read without a query."""
    instance._meta.get_field(name).set_cached_value(instance, value)


def _prefetched(instance, name: str, objects: list) -> None:
    """What ``prefetch_related(name)`` leaves on an instance: ``instance.<name>.all()`` answers from ``objects``.

    The relation's own queryset, as Django's prefetching keeps it, so a ``.filter()`` on it still queries.
    """
    queryset = getattr(instance, name).get_queryset()
    queryset._result_cache = objects
    queryset._prefetch_done = True
    instance.__dict__.setdefault("_prefetched_objects_cache", {})[name] = queryset
