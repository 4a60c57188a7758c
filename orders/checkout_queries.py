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

Placing an order sends the cart lock and the reads after it as one round
trip (``lock_cart_and_read``: four statements in one simple query), and
prepares the cart lines' and member's statements once per connection, since
planning them cost the database more than running them. The cart page sends
the same two reads with its pictures' read as one round trip
(``lines_and_member_statement``, ``read_lines_and_member``).

Only for PostgreSQL; other databases keep the queryset.
"""

from dataclasses import dataclass
from functools import cache

from django.db import connection
from django.utils import timezone

from catalog.fixed_sql import PreparedStatement, columns, fields, from_db
from catalog.models import (
    SEARCH_COLUMNS,
    Option,
    OptionValue,
    Product,
    Variant,
    visible_product_sql,
)
from marketing.models import Coupon, FlashSale
from members.models import MemberProfile, Tier
from orders.models import Cart, CartLine, Order


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
        LINES.execute(cursor, _lines_params(user_id, now))
        return _lines_from(cursor.fetchall())


def _lines_params(user_id: int, now) -> list:
    return [now, now, now, now, user_id]


def _lines_from(rows) -> list[tuple[Variant, int]]:
    variant_names, product_names = _names()
    after_variant = 1 + len(variant_names)
    after_product = after_variant + len(product_names)
    lines = []
    for row in rows:
        variant = from_db(Variant, variant_names, row[1:after_variant])
        variant.product = from_db(Product, product_names, row[after_variant:after_product])
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
        MEMBER.execute(cursor, _member_params(user_id, now))
        return _member_from(cursor.fetchone())


def _member_params(user_id: int, now) -> list:
    return [Coupon.Status.AVAILABLE.value, now, now, user_id]


def _member_from(row) -> MemberProfile | None:
    if row is None:
        return None
    member_names = [f.attname for f in fields(MemberProfile)]
    member = from_db(MemberProfile, member_names, row[: len(member_names)])
    tier_values, member.may_hold_usable_coupon = row[len(member_names):-1], row[-1]
    member.tier = from_db(Tier, [f.attname for f in fields(Tier)], tier_values) if member.tier_id else None
    return member


@dataclass(frozen=True)
class LockedCheckout:
    """What placing an order reads once the member's cart row is locked."""

    cart_id: int | None
    twin_order_id: int | None
    lines: list[tuple[Variant, int]]
    member: MemberProfile | None


# Prepared once per connection: planning the cart lines' query cost the database more than running it
# (~0.7 ms against ~0.2 ms), and every cart page, checkout page and checkout runs it.
LINES = PreparedStatement("checkout_cart_lines", _statement)
MEMBER = PreparedStatement("checkout_member", _member_statement)


def lines_and_member_statement(user_id: int) -> tuple[str, list]:
    """The reads of ``cart_lines_for_checkout`` and ``member_with_tier`` as two statements for one round trip,
    as (SQL, parameters), for a caller that sends them with statements of its own after them.

    Read the answers with ``read_lines_and_member``; like ``lock_cart_and_read`` it needs ``sends_statements_together``.
    """
    now = timezone.now()
    lines_sql, lines_params = LINES.statement(_lines_params(user_id, now))
    member_sql, member_params = MEMBER.statement(_member_params(user_id, now))
    return f"{lines_sql};\n{member_sql}", [*lines_params, *member_params]


def read_lines_and_member(cursor) -> tuple[list[tuple[Variant, int]], MemberProfile | None]:
    """The answers of ``lines_and_member_statement``'s two statements, as those of ``cart_lines_for_checkout``
    and ``member_with_tier``; the cursor is left on the member's result set (``nextset()`` reaches the next)."""
    lines = _lines_from(cursor.fetchall())
    cursor.nextset()
    return lines, _member_from(cursor.fetchone())


def _locked_checkout_statement(lines: str, member: str) -> str:
    quote = connection.ops.quote_name
    cart, order = quote(Cart._meta.db_table), quote(Order._meta.db_table)
    user = quote(Cart._meta.get_field("user").column)
    token = quote(Order._meta.get_field("checkout_token").column)
    # Four statements, one round trip: sent as one simple query, each statement takes its own snapshot
    # after the one before it finished, so the reads below see what a checkout that held the lock before
    # us committed (its order, the cart it emptied), exactly as separate queries after lock_cart would.
    return ";\n".join([
        f"SELECT id FROM {cart} WHERE {user} = %s LIMIT 1 FOR UPDATE",
        f"SELECT id FROM {order} WHERE {token} = %s",
        lines,
        member,
    ])


def lock_cart_and_read(user_id: int, token) -> LockedCheckout:
    """Lock the member's cart row (orders.locks, step 1), then read the twin order, cart lines and member.

    The same lock as ``orders.locks.lock_cart`` and the same reads as ``Order.objects.filter(checkout_token=token)``,
    ``cart_lines_for_checkout`` and ``member_with_tier``, in that order, in one round trip. Needs a client-side
    binding cursor (Django's default for psycopg), which sends the statements as one simple query.
    """
    now = timezone.now()
    lines_sql, lines_params = LINES.statement(_lines_params(user_id, now))
    member_sql, member_params = MEMBER.statement(_member_params(user_id, now))
    with connection.cursor() as cursor:
        cursor.execute(_locked_checkout_statement(lines_sql, member_sql), [user_id, token, *lines_params, *member_params])
        cart = cursor.fetchone()
        cursor.nextset()
        twin = cursor.fetchone()
        cursor.nextset()
        lines = _lines_from(cursor.fetchall())
        cursor.nextset()
        member = _member_from(cursor.fetchone())
    return LockedCheckout(
        cart_id=cart[0] if cart else None, twin_order_id=twin[0] if twin else None, lines=lines, member=member
    )
