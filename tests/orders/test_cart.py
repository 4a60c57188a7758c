"""The cart at service level: a guest's session cart and a member's cart obey the same rules."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.utils import timezone

from catalog.models import Variant
from orders.exceptions import CartError
from orders.models import CartLine
from orders.services import add_to_cart, change_quantity, merge_carts, remove_from_cart
from orders.services.cart import MAX_LINE_QUANTITY, MemberCart, SessionCart, cart_count, cart_items
from stores.services import reserve_stock
from tests.factories import stocked_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture(params=["guest", "member"])
def cart(request):
    """Each rule runs once against a guest's session cart and once against a member's cart."""
    if request.param == "guest":
        return SessionCart(SessionStore())
    return MemberCart(request.getfixturevalue("shopper"))


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=200)


def test_adding_a_variant_puts_it_in_the_cart_and_adding_again_adds_up(cart, variant):
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=3)

    assert cart.quantities() == {variant.pk: 5}


def test_changing_the_quantity_sets_the_line(cart, variant):
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)

    change_quantity(cart=cart, variant_id=variant.pk, quantity=7)

    assert cart.quantities() == {variant.pk: 7}


def test_changing_a_line_that_is_not_in_the_cart_adds_nothing(cart, variant):
    change_quantity(cart=cart, variant_id=variant.pk, quantity=7)

    assert cart.quantities() == {}


def test_changing_the_quantity_to_zero_removes_the_line(cart, variant, warehouse):
    other = stocked_variant(store=warehouse)
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)
    add_to_cart(cart=cart, variant_id=other.pk, quantity=1)

    change_quantity(cart=cart, variant_id=variant.pk, quantity=0)

    assert cart.quantities() == {other.pk: 1}


def test_removing_a_line_leaves_the_others(cart, variant, warehouse):
    other = stocked_variant(store=warehouse)
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)
    add_to_cart(cart=cart, variant_id=other.pk, quantity=1)

    remove_from_cart(cart=cart, variant_id=variant.pk)

    assert cart.quantities() == {other.pk: 1}


@pytest.mark.parametrize("quantity", [0, -1, MAX_LINE_QUANTITY + 1, 10**9])
def test_adding_a_quantity_outside_one_to_ninety_nine_is_refused(cart, variant, quantity):
    with pytest.raises(CartError):
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=quantity)

    assert cart.quantities() == {}


@pytest.mark.parametrize("quantity", [-1, MAX_LINE_QUANTITY + 1])
def test_changing_to_a_quantity_outside_one_to_ninety_nine_is_refused_and_the_line_kept(cart, variant, quantity):
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=4)

    with pytest.raises(CartError):
        change_quantity(cart=cart, variant_id=variant.pk, quantity=quantity)

    assert cart.quantities() == {variant.pk: 4}


def test_adding_beyond_ninety_nine_in_total_is_refused_and_the_line_stays_as_it_was(cart, variant):
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=90)

    with pytest.raises(CartError, match="at most 99"):
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=10)

    assert cart.quantities() == {variant.pk: 90}
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=9)
    assert cart.quantities() == {variant.pk: MAX_LINE_QUANTITY}


def test_an_unpublished_product_cannot_be_added(cart, variant):
    variant.product.is_published = False
    variant.product.save()

    with pytest.raises(CartError, match="not on sale"):
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)

    assert cart.quantities() == {}


def test_a_product_whose_sale_has_not_started_cannot_be_added(cart, variant):
    variant.product.available_from = timezone.now() + timedelta(days=1)
    variant.product.save()

    with pytest.raises(CartError, match="not on sale"):
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)


def test_an_inactive_variant_cannot_be_added(cart, variant):
    Variant.objects.filter(pk=variant.pk).update(is_active=False)

    with pytest.raises(CartError, match="not on sale"):
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)

    assert cart.quantities() == {}


def test_an_unknown_variant_cannot_be_added(cart, variant):
    with pytest.raises(CartError, match="not on sale"):
        add_to_cart(cart=cart, variant_id=variant.pk + 10_000, quantity=1)

    assert cart.quantities() == {}


def test_logging_in_moves_the_guest_lines_into_the_member_cart_and_empties_the_guest_cart(shopper, variant, warehouse):
    other = stocked_variant(store=warehouse)
    session = SessionStore()
    add_to_cart(cart=SessionCart(session), variant_id=variant.pk, quantity=2)
    add_to_cart(cart=SessionCart(session), variant_id=other.pk, quantity=1)

    merge_carts(session=session, user=shopper)

    assert MemberCart(shopper).quantities() == {variant.pk: 2, other.pk: 1}
    assert SessionCart(session).quantities() == {}
    assert "cart" not in session


def test_logging_in_adds_guest_quantities_to_lines_already_in_the_member_cart(shopper, variant):
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=3)
    session = SessionStore()
    add_to_cart(cart=SessionCart(session), variant_id=variant.pk, quantity=4)

    merge_carts(session=session, user=shopper)

    assert MemberCart(shopper).quantities() == {variant.pk: 7}
    assert CartLine.objects.filter(cart__user=shopper).count() == 1


def test_logging_in_caps_a_merged_line_at_ninety_nine(shopper, variant):
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=60)
    session = SessionStore()
    add_to_cart(cart=SessionCart(session), variant_id=variant.pk, quantity=50)

    merge_carts(session=session, user=shopper)

    assert MemberCart(shopper).quantities() == {variant.pk: MAX_LINE_QUANTITY}
    assert SessionCart(session).quantities() == {}


def test_logging_in_skips_guest_items_that_are_no_longer_on_sale(shopper, variant, warehouse):
    unpublished = stocked_variant(store=warehouse)
    inactive = stocked_variant(store=warehouse)
    session = SessionStore()
    for item in (variant, unpublished, inactive):
        add_to_cart(cart=SessionCart(session), variant_id=item.pk, quantity=1)
    unpublished.product.is_published = False
    unpublished.product.save()
    Variant.objects.filter(pk=inactive.pk).update(is_active=False)

    merge_carts(session=session, user=shopper)

    assert MemberCart(shopper).quantities() == {variant.pk: 1}
    assert SessionCart(session).quantities() == {}


def test_logging_in_with_an_empty_guest_cart_leaves_the_member_cart_alone(shopper, variant):
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=3)

    merge_carts(session=SessionStore(), user=shopper)

    assert MemberCart(shopper).quantities() == {variant.pk: 3}


def test_cart_items_flag_an_item_that_was_unpublished_after_it_was_added(cart, variant, warehouse):
    fine = stocked_variant(store=warehouse)
    add_to_cart(cart=cart, variant_id=fine.pk, quantity=1)
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)
    variant.product.is_published = False
    variant.product.save()

    items = cart_items(cart)

    assert [(item.variant.pk, item.quantity) for item in items] == [(fine.pk, 1), (variant.pk, 2)]
    assert items[0].problem == ""
    assert items[1].problem == "No longer on sale: remove it to check out."


def test_cart_items_flag_an_inactive_variant_as_no_longer_on_sale(cart, variant):
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)
    Variant.objects.filter(pk=variant.pk).update(is_active=False)

    (item,) = cart_items(cart)

    assert item.problem == "No longer on sale: remove it to check out."


def test_cart_items_flag_an_item_that_sold_out_after_it_was_added(cart, warehouse):
    last_one = stocked_variant(store=warehouse, on_hand=1)
    add_to_cart(cart=cart, variant_id=last_one.pk, quantity=1)
    reserve_stock(store_id=warehouse.pk, lines=[(last_one.pk, 1)], reference="someone-else")

    (item,) = cart_items(cart)

    assert item.problem == "Sold out at the moment."


def test_cart_items_of_an_empty_cart_are_empty(cart):
    assert cart_items(cart) == []


def test_a_tampered_session_cart_yields_no_lines_and_no_error(variant):
    session = SessionStore()
    session["cart"] = {"abc": "x", "5": -3, "6": 10**9}
    guest = SessionCart(session)
    request = RequestFactory().get("/")
    request.user, request.session = AnonymousUser(), session

    assert guest.quantities() == {}
    assert cart_items(guest) == []
    assert cart_count(request) == 0


def test_a_session_cart_that_is_not_a_mapping_reads_as_empty():
    session = SessionStore()
    session["cart"] = ["1", 2, None]

    assert SessionCart(session).quantities() == {}


def test_adding_to_a_tampered_session_cart_keeps_only_the_real_line(variant):
    session = SessionStore()
    session["cart"] = {"abc": "x", "5": -3, "6": 10**9}
    guest = SessionCart(session)

    add_to_cart(cart=guest, variant_id=variant.pk, quantity=1)

    assert guest.quantities() == {variant.pk: 1}
    assert session["cart"] == {str(variant.pk): 1}


def test_logging_in_with_a_tampered_session_cart_moves_nothing(shopper, variant):
    session = SessionStore()
    session["cart"] = {"abc": "x", str(variant.pk): -3, "6": 10**9}

    merge_carts(session=session, user=shopper)

    assert MemberCart(shopper).quantities() == {}
