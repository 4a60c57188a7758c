"""Checkout's reads of the member's cart lines and account, each one fixed PostgreSQL query.

``orders.selectors.member_cart_lines`` runs on every checkout page and again
under the cart lock when the order is placed. As an ORM queryset (a join to
the cart, ``select_related`` of variant and product, the ``on_sale`` condition
and the option labels) it cost ~5 ms of Python to build and compile against
well under a millisecond in the database. Here the SQL text is built from the
models' fields once per process; each call only sends it with its three
parameters and builds the same Variant and Product instances the ORM would
(``Model.from_db``, the product's search columns deferred as before).
``member_with_tier`` does the same for the member's profile and tier
(``select_related("tier")``), read once per checkout.

Each also answers one yes/no question in the same round trip, so checkout
can skip a read that would find nothing: whether a line's variant has a
live flash sale (``has_live_flash_sale``) and whether the member holds a
coupon usable now (``may_hold_usable_coupon``). Both are the exact
conditions of the reads they spare, asked of the database, not a cache.

Only for PostgreSQL; other databases keep the queryset.
"""

from functools import cache

from django.db import connection
from django.utils import timezone

from catalog.fixed_sql import columns, fields
from catalog.models import SEARCH_COLUMNS, Option, OptionValue, Product, Variant, visible_product_sql
from marketing.models import Coupon, FlashSale
from members.models import MemberProfile, Tier
from orders.models import Cart, CartLine


@cache
def _statement() -> str:
    quote = connection.ops.quote_name
    selected = (
        f"l.{quote(CartLine._meta.get_field('quantity').column)}, {columns(Variant, 'v')},"
        f" {columns(Product, 'p', SEARCH_COLUMNS)}"
    )
    options = Variant._meta.get_field("option_values")
    return f"""
        SELECT {selected},
            -- catalog.models.visible_product, and the variant still sold
            (v.is_active AND {visible_product_sql("p", "%s")}) AS on_sale,
            -- the option values in OptionValue's own order (option, position, value)
            COALESCE((
                SELECT string_agg(ov.value, ' / ' ORDER BY o.position, ov.position, ov.value)
                FROM {quote(options.m2m_db_table())} vo
                JOIN {quote(OptionValue._meta.db_table)} ov ON ov.id = vo.{quote(options.m2m_reverse_name())}
                JOIN {quote(Option._meta.db_table)} o ON o.id = ov.option_id
                WHERE vo.{quote(options.m2m_column_name())} = v.id
            ), '') AS options_label,
            -- marketing.services.flash.live_flash_sales' condition: without one, checkout skips that read
            EXISTS (
                SELECT 1 FROM {quote(FlashSale._meta.db_table)} f
                WHERE f.variant_id = v.id AND f.is_active AND f.starts_at <= %s AND f.ends_at > %s
            ) AS has_live_flash_sale
        FROM {quote(CartLine._meta.db_table)} l
        JOIN {quote(Cart._meta.db_table)} c ON c.id = l.cart_id
        JOIN {quote(Variant._meta.db_table)} v ON v.id = l.variant_id
        JOIN {quote(Product._meta.db_table)} p ON p.id = v.product_id
        WHERE c.user_id = %s
        ORDER BY l.added_at, l.id
    """


@cache
def _names() -> tuple[list[str], list[str]]:
    return [f.attname for f in fields(Variant)], [f.attname for f in fields(Product, SEARCH_COLUMNS)]


def cart_lines_for_checkout(user_id: int) -> list[tuple[Variant, int]]:
    """(variant with ``product``, ``on_sale``, ``options_label`` and ``has_live_flash_sale``, quantity) per line, oldest first."""
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_statement(), [now, now, now, now, user_id])
        rows = cursor.fetchall()
    variant_names, product_names = _names()
    after_variant = 1 + len(variant_names)
    after_product = after_variant + len(product_names)
    lines = []
    for row in rows:
        variant = Variant.from_db(connection.alias, variant_names, row[1:after_variant])
        variant.product = Product.from_db(connection.alias, product_names, row[after_variant:after_product])
        variant.on_sale, variant.options_label, variant.has_live_flash_sale = row[after_product:after_product + 3]
        lines.append((variant, row[0]))
    return lines


@cache
def _member_statement() -> str:
    quote = connection.ops.quote_name
    selected = f"{columns(MemberProfile, 'm')}, {columns(Tier, 't')}"
    return f"""
        SELECT {selected},
            -- marketing.coupon_selectors.usable_coupons' condition but the template's: none, and checkout skips that read
            EXISTS (
                SELECT 1 FROM {quote(Coupon._meta.db_table)} k
                WHERE k.user_id = m.user_id AND k.status = %s AND k.valid_from <= %s AND k.valid_until > %s
            ) AS may_hold_usable_coupon
        FROM {quote(MemberProfile._meta.db_table)} m
        LEFT JOIN {quote(Tier._meta.db_table)} t ON t.id = m.{quote(MemberProfile._meta.get_field("tier").column)}
        WHERE m.{quote(MemberProfile._meta.get_field("user").column)} = %s
    """


def member_with_tier(user_id: int) -> MemberProfile | None:
    """The user's member profile with ``tier`` loaded (None when it has no tier), or None without a profile.

    ``may_hold_usable_coupon`` is False when the member holds no coupon usable now, so pricing need not read them.
    """
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(_member_statement(), [Coupon.Status.AVAILABLE.value, now, now, user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    member_names = [f.attname for f in fields(MemberProfile)]
    member = MemberProfile.from_db(connection.alias, member_names, row[: len(member_names)])
    tier_values, member.may_hold_usable_coupon = row[len(member_names):-1], row[-1]
    member.tier = Tier.from_db(connection.alias, [f.attname for f in fields(Tier)], tier_values) if member.tier_id else None
    return member
