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


# What a card itself shows and marketing looks up for it (catalog.templatetags.product_cards.product_card, the
# promotions' coverage by category and brand): a card drawn from a listing's ids reads only these.
CARD_FACE_FIELDS = (
    "id", "name", "slug", "category_id", "brand_id", "price", "compare_at_price", "is_in_stock", "review_count",
    "rating_average",
)
CARD_FACE_BRAND_FIELDS = ("id", "name")


def _skipped_but(model, kept) -> tuple[str, ...]:
    return tuple(field.attname for field in fields(model) if field.attname not in kept)


@cache
def _skipped(faces: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The product's and the brand's columns left unread: with_card_data's, or all but a card's faces."""
    if faces:
        return _skipped_but(Product, CARD_FACE_FIELDS), _skipped_but(Brand, CARD_FACE_BRAND_FIELDS)
    return CARD_SKIPPED, ()


def _sql(faces: bool = False) -> str:
    """The statement's text: $1 the moment, $2 the ids."""
    product_skip, brand_skip = _skipped(faces)
    return (
        f"SELECT {columns(Product, 'p', product_skip)}, {columns(Brand, 'b', brand_skip)}, {top_price_sql('p')},"
        f" i.name, i.alt_text"
        f" FROM {table(Product)} p LEFT JOIN {table(Brand)} b ON b.id = p.brand_id{first_picture_join('p', 'i')}"
        f" WHERE {visible_product_sql('p', '$1')} AND p.id = ANY($2)"
    )


# Prepared: planning the lateral join and the subquery cost PostgreSQL ~2 ms a page, more than running them.
STATEMENT = PreparedStatement("catalog_cards", _sql)
FACES_STATEMENT = PreparedStatement("catalog_card_faces", lambda: _sql(faces=True))


@cache
def _product_fields(faces: bool = False):
    return fields(Product, _skipped(faces)[0])


@cache
def _brand_fields(faces: bool = False):
    return fields(Brand, _skipped(faces)[1])


def cards_in_one_query(ids: list[int], *, faces_only: bool = False) -> list[Product]:
    """The visible products among ``ids``, in the order of ``ids``, each as ``with_card_data`` gives it.

    ``faces_only``: each with only what its card shows (CARD_FACE_FIELDS), the rest deferred. Drawing a
    card then reads and builds about half the columns, and none of the four dates; anything else read
    from such a product costs a query.
    """
    if not ids:
        return []
    with connection.cursor() as cursor:
        (FACES_STATEMENT if faces_only else STATEMENT).execute(cursor, [timezone.now(), list(ids)])
        rows = cursor.fetchall()
    product_fields, brand_fields = _product_fields(faces_only), _brand_fields(faces_only)
    by_id = {}
    for row in rows:
        values = iter(row)
        product = instance(Product, product_fields, values)
        brand = instance(Brand, brand_fields, values)
        cache_related(product, "brand", brand if brand.pk is not None else None)
        product.price_high, product.card_image_name, product.card_image_alt = values
        by_id[product.pk] = product
    return [by_id[pk] for pk in ids if pk in by_id]
