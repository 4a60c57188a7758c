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

from django.db import connection
from django.utils import timezone

from catalog.card_query import first_picture_join, top_price_sql
from catalog.fixed_sql import (
    PreparedStatement,
    cache_related,
    columns,
    fields,
    from_json,
    instance,
    json_object,
    loads,
    m2m_table,
    nullable_json_object,
    prefetched,
    table,
)
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

# At most this many staff-chosen related products are shown (catalog.selectors.related_products).
RELATED_LIMIT = 8

# Columns a related product's card never reads (as catalog.selectors.with_card_data leaves them out too).
_CARD_SKIPPED = {*SEARCH_COLUMNS, "description", "summary", "seo_title", "seo_description", "video_url",
                 "created_at", "updated_at", "available_from", "available_until"}


def _visible(alias: str) -> str:
    """The rule of catalog.models.visible_product for the product table under ``alias`` ($2: now)."""
    return visible_product_sql(alias, "$2")


def _sql() -> str:
    """The statement's text: $1 the slug, $2 now."""
    variant_options = (
        f"SELECT coalesce(json_agg({json_object(OptionValue, 'ov', option=json_object(Option, 'o'))}"
        f" ORDER BY o.position, ov.position, ov.value, ov.id), '[]')"
        f" FROM {m2m_table(Variant, 'option_values')} vo"
        f" JOIN {table(OptionValue)} ov ON ov.id = vo.optionvalue_id JOIN {table(Option)} o ON o.id = ov.option_id"
        f" WHERE vo.variant_id = v.id"
    )
    variants = (
        f"SELECT coalesce(json_agg({json_object(Variant, 'v', option_values=f'({variant_options})')}"
        f" ORDER BY v.position, v.id), '[]')::text"
        f" FROM {table(Variant)} v WHERE v.product_id = p.id AND v.is_active"
    )
    images = (
        f"SELECT coalesce(json_agg({json_object(ProductImage, 'i')} ORDER BY i.position, i.id), '[]')::text"
        f" FROM {table(ProductImage)} i WHERE i.product_id = p.id"
    )
    attribute_values = (
        f"SELECT coalesce(json_agg({json_object(ProductAttributeValue, 'av', attribute=json_object(Attribute, 'a'), option=nullable_json_object(AttributeOption, 'ao'))}"
        f" ORDER BY a.position, a.name, av.id), '[]')::text"
        f" FROM {table(ProductAttributeValue)} av JOIN {table(Attribute)} a ON a.id = av.attribute_id"
        f" LEFT JOIN {table(AttributeOption)} ao ON ao.id = av.option_id WHERE av.product_id = p.id"
    )
    tags = (
        f"SELECT coalesce(json_agg({json_object(Tag, 't')} ORDER BY t.name, t.id), '[]')::text"
        f" FROM {m2m_table(Product, 'tags')} pt JOIN {table(Tag)} t ON t.id = pt.tag_id WHERE pt.product_id = p.id"
    )
    # What a card shows, as catalog.selectors.with_card_data annotates it on a listing (the same SQL as the
    # listing cards' query, catalog.card_query).
    card = json_object(
        Product, "r", _CARD_SKIPPED,
        brand=nullable_json_object(Brand, "rb"),
        price_high=top_price_sql("r"),
        card_image_name="ri.name",
        card_image_alt="ri.alt_text",
    )
    related = (
        f"SELECT coalesce(json_agg({card} ORDER BY r.created_at DESC, r.id DESC), '[]')::text"
        f" FROM (SELECT {columns(Product, 'rr', SEARCH_COLUMNS)} FROM {table(Product)} rr"
        f" JOIN {m2m_table(Product, 'related_products')} rp ON rp.to_product_id = rr.id"
        f" WHERE rp.from_product_id = p.id AND {_visible('rr')}"
        f" ORDER BY rr.created_at DESC, rr.id DESC LIMIT {RELATED_LIMIT}) r"
        f" LEFT JOIN {table(Brand)} rb ON rb.id = r.brand_id{first_picture_join('r', 'ri')}"
    )
    return (
        f"SELECT {columns(Product, 'p', SEARCH_COLUMNS)}, {columns(Category, 'c')}, {columns(Brand, 'b')},"
        f" ({variants}), ({images}), ({attribute_values}), ({tags}), ({related})"
        f" FROM {table(Product)} p JOIN {table(Category)} c ON c.id = p.category_id"
        f" LEFT JOIN {table(Brand)} b ON b.id = p.brand_id"
        f" WHERE p.slug = $1 AND c.is_active AND {_visible('p')}"
    )


STATEMENT = PreparedStatement("catalog_product_page", _sql)


def product_page_in_one_query(slug: str) -> Product | None:
    """The visible product ``slug`` with everything its page shows, or None.

    Gives what ``catalog.selectors.product_page`` prefetches (category, brand, active variants with their
    option values and options, images, attribute values with attribute and option, tags), plus
    ``related_cards``: its visible staff-chosen related products (newest first, at most RELATED_LIMIT)
    ready for ``{% product_cards %}``.
    """
    with connection.cursor() as cursor:
        STATEMENT.execute(cursor, [slug, timezone.now()])
        row = cursor.fetchone()
    if row is None:
        return None
    values = iter(row)
    product = instance(Product, fields(Product, SEARCH_COLUMNS), values)
    category = instance(Category, fields(Category), values)
    brand = instance(Brand, fields(Brand), values)
    variants_json, images_json, attribute_values_json, tags_json, related_json = values
    cache_related(product, "category", category)
    cache_related(product, "brand", brand if brand.pk is not None else None)

    variants = []
    for data in loads(variants_json):
        option_values = []
        for value_data in data.pop("option_values"):
            option = from_json(Option, value_data.pop("option"))
            value = from_json(OptionValue, value_data)
            cache_related(value, "option", option)
            option_values.append(value)
        variant = from_json(Variant, data)
        cache_related(variant, "product", product)
        prefetched(variant, "option_values", option_values)
        variants.append(variant)
    prefetched(product, "variants", variants)

    images = [from_json(ProductImage, data) for data in loads(images_json)]
    for image in images:
        cache_related(image, "product", product)
    prefetched(product, "images", images)

    attribute_values = []
    for data in loads(attribute_values_json):
        attribute = from_json(Attribute, data.pop("attribute"))
        option_data = data.pop("option")
        value = from_json(ProductAttributeValue, data)
        cache_related(value, "attribute", attribute)
        cache_related(value, "option", from_json(AttributeOption, option_data) if option_data else None)
        cache_related(value, "product", product)
        attribute_values.append(value)
    prefetched(product, "attribute_values", attribute_values)

    prefetched(product, "tags", [from_json(Tag, data) for data in loads(tags_json)])

    related = []
    for data in loads(related_json):
        brand_data = data.pop("brand")
        extra = {key: data.pop(key) for key in ("price_high", "card_image_name", "card_image_alt")}
        other = from_json(Product, data)
        cache_related(other, "brand", from_json(Brand, brand_data) if brand_data else None)
        other.__dict__.update(extra)
        related.append(other)
    product.related_cards = related
    return product
