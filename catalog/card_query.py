"""Product cards of a listing page, read by one fixed PostgreSQL query.

Every cold category and search page reads its 24 products with their card data. Through the ORM
(``catalog.selectors.with_card_data``: ``select_related("brand")``, three subquery annotations, deferred
columns) building and compiling that queryset cost ~3-4 ms of Python a page against under a millisecond
in PostgreSQL. Here the SQL text is built once per process from the models' fields and gives the same
instances: the columns with_card_data keeps, the brand cached as ``select_related`` leaves it, and
``price_high``, ``card_image_name``, ``card_image_alt``.

Only for PostgreSQL; ``catalog.selectors.cards_by_ids`` keeps the ORM form for other databases.
"""

from functools import cache

from django.db import connection
from django.utils import timezone

from catalog.fixed_sql import PreparedStatement, cache_related, columns, fields, instance, table
from catalog.models import SEARCH_COLUMNS, Brand, Product, ProductImage, Variant, visible_product_sql

# Columns no card shows: long texts a listing would otherwise read for every product on the page
# (catalog.selectors.with_card_data defers them too).
CARD_DEFERRED_COLUMNS = ("description", "summary", "seo_title", "seo_description", "video_url")

# What a with_card_data product leaves unread: those, and what visible_products defers.
CARD_SKIPPED = (*SEARCH_COLUMNS, *CARD_DEFERRED_COLUMNS)


def top_price_sql(alias: str) -> str:
    """The dearest active variant's price of the product under ``alias``, as with_card_data's ``price_high``
    (beside the stored from-price it makes the card say "from")."""
    return f"(SELECT max(v.price) FROM {table(Variant)} v WHERE v.product_id = {alias}.id AND v.is_active)"


def first_picture_join(alias: str, picture: str) -> str:
    """A LEFT JOIN LATERAL giving ``picture.name`` (the card thumbnail, else the upload) and ``picture.alt_text``
    of the first picture of the product under ``alias``, as with_card_data's ``card_image_name``/``_alt``."""
    return (
        f" LEFT JOIN LATERAL (SELECT coalesce(nullif(ci.card_thumbnail, ''), ci.image) AS name, ci.alt_text"
        f" FROM {table(ProductImage)} ci WHERE ci.product_id = {alias}.id ORDER BY ci.position, ci.id LIMIT 1)"
        f" {picture} ON true"
    )


def _sql() -> str:
    """The statement's text: $1 the moment, $2 the ids."""
    return (
        f"SELECT {columns(Product, 'p', CARD_SKIPPED)}, {columns(Brand, 'b')}, {top_price_sql('p')},"
        f" i.name, i.alt_text"
        f" FROM {table(Product)} p LEFT JOIN {table(Brand)} b ON b.id = p.brand_id{first_picture_join('p', 'i')}"
        f" WHERE {visible_product_sql('p', '$1')} AND p.id = ANY($2)"
    )


# Prepared: planning the lateral join and the subquery cost PostgreSQL ~2 ms a page, more than running them.
STATEMENT = PreparedStatement("catalog_cards", _sql)


@cache
def _product_fields():
    return fields(Product, CARD_SKIPPED)


@cache
def _brand_fields():
    return fields(Brand)


def cards_in_one_query(ids: list[int]) -> list[Product]:
    """The visible products among ``ids``, in the order of ``ids``, each as ``with_card_data`` gives it."""
    if not ids:
        return []
    with connection.cursor() as cursor:
        STATEMENT.execute(cursor, [timezone.now(), list(ids)])
        rows = cursor.fetchall()
    product_fields, brand_fields = _product_fields(), _brand_fields()
    by_id = {}
    for row in rows:
        values = iter(row)
        product = instance(Product, product_fields, values)
        brand = instance(Brand, brand_fields, values)
        cache_related(product, "brand", brand if brand.pk is not None else None)
        product.price_high, product.card_image_name, product.card_image_alt = values
        by_id[product.pk] = product
    return [by_id[pk] for pk in ids if pk in by_id]
