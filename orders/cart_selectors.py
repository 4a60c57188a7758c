"""Reads for the cart page: every line with all the page and its pricing show, in one query.

The page used to read the quantities, the variants, their option values and
the product images in four queries; on PostgreSQL the labels and the first
image ride along as subqueries, so the cost stays one round trip however many
lines the cart holds.
"""

import psycopg
from django.contrib.postgres.aggregates import StringAgg
from django.core.exceptions import ObjectDoesNotExist
from django.db import ProgrammingError, connection
from django.db.models import (
    BooleanField,
    CharField,
    ExpressionWrapper,
    OuterRef,
    Subquery,
)

from catalog.fixed_sql import PreparedStatement, sends_statements_together
from catalog.models import SEARCH_COLUMNS, ProductImage, Variant, visible_product
from members.models import MemberProfile
from orders.checkout_queries import (
    cart_lines_for_checkout,
    lines_and_member_statement,
    member_with_tier,
    read_lines_and_member,
)
from orders.models import Cart, CartLine


def _label_subquery(variant_ref: OuterRef) -> Subquery:
    """The variant's option values as the cart shows them ("红色 / XL"), in OptionValue's own order."""
    through = Variant.option_values.through
    label = (
        through.objects.filter(variant_id=variant_ref)
        .values("variant_id")
        .annotate(
            label=StringAgg(
                "optionvalue__value",
                delimiter=" / ",
                order_by=("optionvalue__option__position", "optionvalue__position", "optionvalue__value"),
            )
        )
        .values("label")
    )
    return Subquery(label, output_field=CharField())


def _annotations(prefix: str, variant_ref: str) -> dict:
    """What each line carries besides the variant row; ``prefix`` reaches the variant from the queried model."""
    first_image = ProductImage.objects.filter(product_id=OuterRef(f"{prefix}product_id")).order_by("position", "id")
    extra = {
        "product_is_visible": ExpressionWrapper(visible_product(f"{prefix}product__"), output_field=BooleanField()),
        "image_name": Subquery(first_image.values("image")[:1]),
        "card_thumbnail_name": Subquery(first_image.values("card_thumbnail")[:1]),
    }
    if connection.vendor == "postgresql":
        extra["options_label"] = _label_subquery(OuterRef(variant_ref))
    return extra


def _card_url(name: str | None, thumbnail: str | None) -> str:
    """``ProductImage.card_url`` for a line's first picture, from its file names ("" without a picture), without
    building the image (a tenth of the cart lines' cost)."""
    if not name:
        return ""
    field = ProductImage._meta.get_field("card_thumbnail" if thumbnail else "image")
    return field.storage.url(thumbnail or name)


def _finish(variant: Variant, row) -> Variant:
    # As checkout's lines carry it: the variant is still sold and its product visible now.
    variant.on_sale = variant.is_active and row.product_is_visible
    variant.card_image_url = _card_url(row.image_name, row.card_thumbnail_name)
    if hasattr(row, "options_label"):
        # orders.services.checkout.option_label reads it: pricing needs no query for the labels either.
        variant.options_label = row.options_label or ""
    return variant


def member_cart_variants(user_id: int) -> tuple[list[tuple[Variant, int]], MemberProfile | None]:
    """The member's cart lines in the order they were added, as (variant, quantity), and their member profile.

    Each variant has its product, ``on_sale``, ``card_image_url`` ("" without an image) and,
    on PostgreSQL, ``options_label`` (elsewhere ``option_values`` are prefetched). The profile (with its
    tier, for pricing) rides along on the lines' rows; None for an empty cart or a user without one.
    """
    rows = list(
        CartLine.objects.filter(cart__user_id=user_id)
        .select_related("variant__product", "cart__user__member__tier")
        .defer(*(f"variant__product__{column}" for column in SEARCH_COLUMNS))
        .annotate(**_annotations("variant__", "variant_id"))
        .order_by("added_at", "id")
        .prefetch_related(*(() if connection.vendor == "postgresql" else ("variant__option_values",)))
    )
    member = None
    if rows:
        try:
            member = rows[0].cart.user.member
        except ObjectDoesNotExist:
            member = None
    return [(_finish(row.variant, row), row.quantity) for row in rows], member


def variants_for_cart(quantities: dict[int, int]) -> list[tuple[Variant, int]]:
    """A guest's session cart as (variant, quantity) in the session's order, carrying what member lines carry.

    Ids no longer in the catalogue are left out.
    """
    if not quantities:
        return []
    variants = (
        Variant.objects.filter(pk__in=quantities)
        .select_related("product")
        .defer(*(f"product__{column}" for column in SEARCH_COLUMNS))
        .annotate(**_annotations("", "pk"))
    )
    if connection.vendor != "postgresql":
        variants = variants.prefetch_related("option_values")
    by_id = {variant.pk: _finish(variant, variant) for variant in variants}
    return [(by_id[pk], quantity) for pk, quantity in quantities.items() if pk in by_id]


def _first_images_sql(which_products: str) -> str:
    """The first image (by position, then id) of each product picked by ``which_products``, a condition on
    ``i.product_id`` such as ``= ANY(%s)``."""
    quote = connection.ops.quote_name
    meta = ProductImage._meta
    product, image, thumbnail = (quote(meta.get_field(name).column) for name in ("product", "image", "card_thumbnail"))
    return (
        f"SELECT DISTINCT ON (i.{product}) i.{product}, i.{image}, i.{thumbnail} FROM {quote(meta.db_table)} i"
        f" WHERE i.{product} {which_products}"
        f" ORDER BY i.{product}, i.{quote(meta.get_field('position').column)}, i.{quote(meta.pk.column)}"
    )


def _first_images_statement() -> str:
    return _first_images_sql("= ANY(%s)")


FIRST_IMAGES = PreparedStatement("cart_first_images", _first_images_statement)


def _member_first_images_statement() -> str:
    """The first image of each product in the member's cart (by user id), so it needs no answer from the lines' read."""
    quote = connection.ops.quote_name
    line_cart, line_variant = (quote(CartLine._meta.get_field(name).column) for name in ("cart", "variant"))
    return _first_images_sql(
        f"IN (SELECT v.{quote(Variant._meta.get_field('product').column)} FROM {quote(CartLine._meta.db_table)} l"
        f" JOIN {quote(Cart._meta.db_table)} c ON c.id = l.{line_cart}"
        f" JOIN {quote(Variant._meta.db_table)} v ON v.id = l.{line_variant}"
        f" WHERE c.{quote(Cart._meta.get_field('user').column)} = %s)"
    )


MEMBER_FIRST_IMAGES = PreparedStatement("cart_member_first_images", _member_first_images_statement)


def _with_images(lines: list[tuple[Variant, int]], rows) -> list[tuple[Variant, int]]:
    images = {product_id: (name, thumbnail) for product_id, name, thumbnail in rows}
    for variant, _quantity in lines:
        name, thumbnail = images.get(variant.product_id, ("", ""))
        variant.card_image_url = _card_url(name, thumbnail)
    return lines


def _lines_member_and_images_together(user_id: int) -> tuple[list[tuple[Variant, int]], MemberProfile | None]:
    checkout_sql, checkout_params = lines_and_member_statement(user_id)
    images_sql, images_params = MEMBER_FIRST_IMAGES.statement([user_id])
    with connection.cursor() as cursor:
        cursor.execute(f"{checkout_sql};\n{images_sql}", [*checkout_params, *images_params])
        lines, member = read_lines_and_member(cursor)
        cursor.nextset()
        return _with_images(lines, cursor.fetchall()), member


def member_cart_variants_fixed(user_id: int) -> tuple[list[tuple[Variant, int]], MemberProfile | None]:
    """As ``member_cart_variants``, on PostgreSQL, from fixed SQL texts: checkout's own reads of the lines
    (orders.selectors.member_cart_lines, on_sale and options_label included) and of the member
    (orders.checkout_queries.member_with_tier; None without a profile), and one for the first images.

    Where several statements can go as one query (``sends_statements_together``) the three go in one round
    trip, the pictures found by the member's id; otherwise the lines, then their pictures, and the member is
    left to the caller (None). Light fixed texts cost less than the one ORM query (measured on the 5-line
    bench cart: ~13 ms against ~18 ms a page), and one round trip costs less than the three (with the view's
    own read of the member) it replaces.
    """
    if sends_statements_together():
        try:
            return _lines_member_and_images_together(user_id)
        except ProgrammingError as error:
            # A statement prepared on this connection is gone (DISCARD ALL, a pooler that handed the session to
            # someone else): each read on its own prepares its statement again, and the next page is one round trip.
            if not isinstance(error.__cause__, psycopg.errors.InvalidSqlStatementName) or connection.in_atomic_block:
                raise
            lines, member = cart_lines_for_checkout(user_id), member_with_tier(user_id)
            with connection.cursor() as cursor:
                MEMBER_FIRST_IMAGES.execute(cursor, [user_id])
                return _with_images(lines, cursor.fetchall()), member

    from orders.selectors import member_cart_lines

    lines = member_cart_lines(user_id)
    if lines:
        with connection.cursor() as cursor:
            FIRST_IMAGES.execute(cursor, [list({variant.product_id for variant, _q in lines})])
            _with_images(lines, cursor.fetchall())
    return lines, None
