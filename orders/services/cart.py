"""The cart: a guest's lives in the session, a member's in the database; merged on log-in.

Both kinds answer the same small interface (``CartStore``), so pages and
checkout never care which one they hold.
"""

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.cache import cached, page_key
from catalog.models import SEARCH_COLUMNS, Variant, visible_product
from orders.cart_selectors import (
    member_cart_variants,
    member_cart_variants_fixed,
    variants_for_cart,
)
from orders.exceptions import CartError
from orders.models import MAX_LINE_QUANTITY, Cart, CartLine

if TYPE_CHECKING:
    from orders.pricing import PricedLine

SESSION_KEY = "cart"


class CartStore:
    """Quantities by variant id; subclasses decide where they live."""

    def quantities(self) -> dict[int, int]:
        raise NotImplementedError

    def add(self, variant_id: int, quantity: int) -> None:
        raise NotImplementedError

    def set(self, variant_id: int, quantity: int) -> None:
        raise NotImplementedError

    def remove(self, variant_id: int) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        raise NotImplementedError


class SessionCart(CartStore):
    def __init__(self, session):
        self.session = session

    def _data(self) -> dict[str, int]:
        data = self.session.get(SESSION_KEY)
        return data if isinstance(data, dict) else {}

    def quantities(self) -> dict[int, int]:
        result = {}
        for key, quantity in self._data().items():
            if str(key).isdigit() and isinstance(quantity, int) and 1 <= quantity <= MAX_LINE_QUANTITY:
                result[int(key)] = quantity
        return result

    def _save(self, quantities: dict[int, int]) -> None:
        self.session[SESSION_KEY] = {str(k): v for k, v in quantities.items()}

    def add(self, variant_id: int, quantity: int) -> int:
        quantities = self.quantities()
        new = quantities.get(variant_id, 0) + quantity
        if new > MAX_LINE_QUANTITY:
            raise CartError(_("You can buy at most %(max)s of one item.") % {"max": MAX_LINE_QUANTITY})
        quantities[variant_id] = new
        self._save(quantities)
        return new

    def set(self, variant_id: int, quantity: int) -> None:
        quantities = self.quantities()
        if variant_id in quantities:
            quantities[variant_id] = quantity
            self._save(quantities)

    def remove(self, variant_id: int) -> None:
        quantities = self.quantities()
        quantities.pop(variant_id, None)
        self._save(quantities)

    def clear(self) -> None:
        self.session.pop(SESSION_KEY, None)


@cache
def _add_line_sql() -> str:
    """INSERT a cart line, or on its (cart, variant) add to its quantity while the sum stays within the cap.

    Parameters: cart id, variant id, quantity, added at, the cap. Returns the new quantity; no row when
    the line would exceed the cap. PostgreSQL and SQLite (3.35+) both read it.
    """
    quote = connection.ops.quote_name
    meta = CartLine._meta
    table = quote(meta.db_table)
    cart, variant, quantity, added_at = (
        quote(meta.get_field(name).column) for name in ("cart", "variant", "quantity", "added_at")
    )
    return (
        f"INSERT INTO {table} ({cart}, {variant}, {quantity}, {added_at}) VALUES (%s, %s, %s, %s)"
        f" ON CONFLICT ({cart}, {variant}) DO UPDATE SET {quantity} = {table}.{quantity} + EXCLUDED.{quantity}"
        f" WHERE {table}.{quantity} + EXCLUDED.{quantity} <= %s RETURNING {quantity}"
    )


class MemberCart(CartStore):
    def __init__(self, user):
        self.user = user
        # The member's profile with its tier, when cart_items read it along with the lines (else None).
        self.member = None

    def _changed(self) -> None:
        # The badge count read with the user row (orders.auth_backends) no longer holds.
        try:
            del self.user.cart_units
        except AttributeError:
            pass

    def _cart(self) -> Cart:
        cart, _ = Cart.objects.get_or_create(user=self.user)
        return cart

    def quantities(self) -> dict[int, int]:
        return dict(CartLine.objects.filter(cart__user=self.user).values_list("variant_id", "quantity"))

    def add(self, variant_id: int, quantity: int) -> None:
        self._changed()
        # The cart's id came with the user row (orders.auth_backends); otherwise it is looked up (or made).
        cart_id = getattr(self.user, "cart_pk", None) or self._cart().pk
        # One statement inserts the line or adds to it, under the cap: two tabs adding at once can never
        # pass the cap together, and a line another tab has just created is incremented, not duplicated.
        with connection.cursor() as cursor:
            cursor.execute(_add_line_sql(), [cart_id, variant_id, quantity, timezone.now(), MAX_LINE_QUANTITY])
            if cursor.fetchone() is None:
                raise CartError(_("You can buy at most %(max)s of one item.") % {"max": MAX_LINE_QUANTITY})

    def set(self, variant_id: int, quantity: int) -> None:
        self._changed()
        CartLine.objects.filter(cart__user=self.user, variant_id=variant_id).update(quantity=quantity)

    def remove(self, variant_id: int) -> None:
        self._changed()
        CartLine.objects.filter(cart__user=self.user, variant_id=variant_id).delete()

    def clear(self) -> None:
        self._changed()
        CartLine.objects.filter(cart__user=self.user).delete()


def cart_for(request) -> CartStore:
    if request.user.is_authenticated:
        return MemberCart(request.user)
    return SessionCart(request.session)


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise CartError(_("Choose a quantity from 1 to %(max)s.") % {"max": MAX_LINE_QUANTITY})


def _sellable_variant(variant_id: int) -> Variant:
    # Cached under the catalogue version (any edit to the product or variant drops it);
    # checkout checks again against the database before an order is placed.
    variant = cached(page_key("sellable-variant", variant_id), lambda: _load_sellable_variant(variant_id) or NOT_SELLABLE)
    if isinstance(variant, str):
        raise CartError(_("This item is not on sale at the moment."))
    return variant


NOT_SELLABLE = "not-sellable"  # cached too, so junk ids do not reach the database twice


def _load_sellable_variant(variant_id: int) -> Variant | None:
    return (
        Variant.objects.filter(visible_product("product__"), pk=variant_id, is_active=True)
        .select_related("product")
        .defer(*(f"product__{column}" for column in SEARCH_COLUMNS))
        .first()
    )


def add_to_cart(*, cart: CartStore, variant_id: int, quantity: int) -> Variant:
    """Add units of a variant that is on sale; the line never exceeds the per-line cap.

    Raises CartError (safe to show) for a variant not on sale or a bad quantity.
    """
    _check_quantity(quantity)
    variant = _sellable_variant(variant_id)
    cart.add(variant.pk, quantity)
    return variant


def change_quantity(*, cart: CartStore, variant_id: int, quantity: int) -> None:
    """Set a line's quantity; 0 removes it. Raises CartError for a bad quantity."""
    if quantity == 0:
        cart.remove(variant_id)
        return
    _check_quantity(quantity)
    cart.set(variant_id, quantity)


def remove_from_cart(*, cart: CartStore, variant_id: int) -> None:
    cart.remove(variant_id)


def merge_carts(*, session, user) -> None:
    """Move a guest's session cart into the member's cart at log-in, capping each line."""
    guest = SessionCart(session)
    quantities = guest.quantities()
    if not quantities:
        return
    member = MemberCart(user)
    existing = member.quantities()
    sellable = set(
        Variant.objects.filter(visible_product("product__"), pk__in=quantities, is_active=True).values_list(
            "pk", flat=True
        )
    )
    for variant_id, quantity in quantities.items():
        if variant_id not in sellable:
            continue
        total = min(existing.get(variant_id, 0) + quantity, MAX_LINE_QUANTITY)
        if variant_id in existing:
            member.set(variant_id, total)
        else:
            member.add(variant_id, total)
    guest.clear()


@dataclass
class CartItem:
    variant: Variant
    quantity: int
    problem: str = ""
    # The member's priced line (its discount shares and net), set by the cart page; None for guests.
    priced: "PricedLine | None" = None

    @property
    def line_total(self):
        return self.variant.price * self.quantity

    @property
    def options(self) -> str:
        label = getattr(self.variant, "options_label", None)
        if label is None:  # not PostgreSQL: the selector prefetched the values instead
            label = " / ".join(value.value for value in self.variant.option_values.all())
        return label


def cart_items(cart: CartStore) -> list[CartItem]:
    """Each line with its variant and product, flagging items no longer on sale or short of stock.

    A member's cart also gets ``member`` (their profile and tier, for pricing) from the same query.
    """
    if isinstance(cart, MemberCart):
        if connection.vendor == "postgresql":  # fixed SQL texts, cheaper than the queryset (see the selector)
            lines, cart.member = member_cart_variants_fixed(cart.user.pk)
        else:
            lines, cart.member = member_cart_variants(cart.user.pk)
    else:
        lines = variants_for_cart(cart.quantities())
    items = []
    for variant, quantity in lines:
        item = CartItem(variant=variant, quantity=quantity)
        if not variant.on_sale:
            item.problem = _("No longer on sale: remove it to check out.")
        elif not variant.is_in_stock:
            item.problem = _("Sold out at the moment.")
        items.append(item)
    return items


def cart_count(request) -> int:
    """Units in the cart, for the header badge."""
    if request.user.is_authenticated:
        units = getattr(request.user, "cart_units", None)
        # A GET or HEAD changes no cart, so the units read with the user row are exact; after a POST
        # (which may have changed it, also where MemberCart is not used, as checkout) count afresh.
        if units is not None and request.method in ("GET", "HEAD"):
            return units
        return CartLine.objects.filter(cart__user=request.user).aggregate(n=Sum("quantity"))["n"] or 0
    return sum(SessionCart(request.session).quantities().values())
