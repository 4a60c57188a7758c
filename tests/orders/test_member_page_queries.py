"""What a logged-in member's everyday pages cost in queries, and that the cart badge stays exact.

The session row, then the user row with the cart badge (orders.auth_backends.MemberBackend) are the two
queries every member page pays; the counts below are asserted so a new per-request query shows up here.
"""

import re

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.auth_backends import MemberBackend
from orders.exceptions import CartError
from orders.models import MAX_LINE_QUANTITY, Cart, CartLine
from orders.services import add_to_cart
from orders.services.cart import MemberCart, cart_count
from tests.factories import stocked_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def member_client(client, shopper):
    client.force_login(shopper, backend="orders.auth_backends.MemberBackend")
    return client


def _badge(response) -> list[str]:
    return re.findall(r'class="badge-count">(\d+)<', response.content.decode())


def _queries(call) -> tuple:
    with CaptureQueriesContext(connection) as captured:
        response = call()
    return response, len(captured)


def test_a_member_home_page_costs_one_round_trip_for_the_session_and_the_user_row_with_the_badge(
    member_client, shopper, warehouse
):
    variant = stocked_variant(store=warehouse, on_hand=20)
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=3)
    member_client.get("/")  # the home sections' cached fragment is built once

    response, queries = _queries(lambda: member_client.get("/"))

    assert response.status_code == 200
    assert queries == 1  # the session row, and the user row read beside it (shop.sessions)
    assert _badge(response) == ["3", "3"]  # the header and the tab bar


def test_the_cart_page_costs_the_same_few_queries_for_one_line_and_for_five(member_client, shopper, warehouse):
    cart = MemberCart(shopper)
    variants = [stocked_variant(store=warehouse, on_hand=20) for _ in range(5)]
    add_to_cart(cart=cart, variant_id=variants[0].pk, quantity=1)
    member_client.get(reverse("orders:cart-detail"))
    _response, one_line = _queries(lambda: member_client.get(reverse("orders:cart-detail")))
    for variant in variants[1:]:
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)

    response, five_lines = _queries(lambda: member_client.get(reverse("orders:cart-detail")))

    assert response.status_code == 200
    # session with the user and badge (one round trip), then one round trip for the lines (which tell that no flash
    # sale is live), their first images and the member with tier (which tells that no coupon is held): the flash sale
    # and coupon reads are spared
    assert five_lines == one_line == 2
    assert _badge(response) == ["9", "9"]
    assert response.content.decode().count('<li class="cart-line') == 5
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()


def test_adding_more_of_an_item_as_a_member_is_the_session_with_the_user_and_one_upsert(member_client, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20)
    post = {"variant": variant.pk, "quantity": 1}
    member_client.post(reverse("orders:cart-add"), post)  # the first add makes the cart

    response, queries = _queries(lambda: member_client.post(reverse("orders:cart-add"), post))

    assert response.status_code == 302
    assert queries == 2
    assert CartLine.objects.get(variant=variant).quantity == 2


def test_adding_a_new_item_to_an_existing_cart_is_one_upsert_too(member_client, warehouse):
    first, second = stocked_variant(store=warehouse, on_hand=20), stocked_variant(store=warehouse, on_hand=20)
    member_client.post(reverse("orders:cart-add"), {"variant": first.pk, "quantity": 1})
    member_client.post(reverse("orders:cart-add"), {"variant": second.pk, "quantity": 1})  # reads the variant once
    CartLine.objects.filter(variant=second).delete()

    post = {"variant": second.pk, "quantity": 4}

    _response, queries = _queries(lambda: member_client.post(reverse("orders:cart-add"), post))

    assert queries == 2
    assert CartLine.objects.get(variant=second).quantity == 4


def test_adding_past_the_cap_is_refused_and_the_line_keeps_its_quantity(shopper, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=200)
    cart = MemberCart(shopper)
    add_to_cart(cart=cart, variant_id=variant.pk, quantity=MAX_LINE_QUANTITY - 1)

    with pytest.raises(CartError):
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=2)

    assert cart.quantities() == {variant.pk: MAX_LINE_QUANTITY - 1}


def test_the_badge_follows_every_cart_change_on_the_next_page(member_client, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20)
    member_client.post(reverse("orders:cart-add"), {"variant": variant.pk, "quantity": 2})
    assert _badge(member_client.get("/")) == ["2", "2"]

    member_client.post(reverse("orders:cart-update"), {"variant": variant.pk, "quantity": 5})
    assert _badge(member_client.get("/")) == ["5", "5"]

    member_client.post(reverse("orders:cart-update"), {"variant": variant.pk, "quantity": 0})
    assert _badge(member_client.get("/")) == []


def test_the_badge_counts_a_change_another_process_made(member_client, shopper, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20)
    member_client.get("/")
    CartLine.objects.create(cart=_cart_of(shopper), variant=variant, quantity=4)

    assert _badge(member_client.get("/")) == ["4", "4"]


def _cart_of(user):
    return Cart.objects.get_or_create(user=user)[0]


def test_the_badge_read_with_the_user_is_dropped_when_the_same_request_changes_the_cart(shopper, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20)
    request = RequestFactory().get("/")
    request.user = MemberBackend().get_user(shopper.pk)
    assert cart_count(request) == 0

    MemberCart(request.user).add(variant.pk, 3)

    assert cart_count(request) == 3


def test_the_badge_is_counted_afresh_after_a_post(shopper, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20)
    request = RequestFactory().post("/checkout/")
    request.user = MemberBackend().get_user(shopper.pk)
    CartLine.objects.create(cart=_cart_of(shopper), variant=variant, quantity=2)  # as checkout's own writes

    assert cart_count(request) == 2


def test_the_backend_gives_no_user_for_an_inactive_member_or_a_bad_id(shopper):
    shopper.is_active = False
    shopper.save(update_fields=["is_active"])

    assert MemberBackend().get_user(shopper.pk) is None
    assert MemberBackend().get_user("not-a-number") is None
    assert MemberBackend().get_user(10**9) is None


def test_the_backend_loads_the_same_user_the_orm_does(shopper):
    user = MemberBackend().get_user(str(shopper.pk))

    fresh = get_user_model().objects.get(pk=shopper.pk)
    assert [getattr(user, f.attname) for f in fresh._meta.concrete_fields] == [
        getattr(fresh, f.attname) for f in fresh._meta.concrete_fields
    ]
    assert user.cart_units == 0 and user.cart_pk is None
    assert user.get_session_auth_hash() == fresh.get_session_auth_hash()


def test_logging_in_through_the_form_keeps_the_member_on_the_backend_that_reads_the_badge(client, shopper):
    from django.contrib.auth import BACKEND_SESSION_KEY

    from tests.conftest import SHOPPER_PASSWORD

    client.post("/accounts/login/", {"login": shopper.email, "password": SHOPPER_PASSWORD})

    assert client.session[BACKEND_SESSION_KEY] == "orders.auth_backends.MemberBackend"


def test_a_wrong_password_is_refused_and_checked_by_one_backend_only(client, shopper, monkeypatch):
    from allauth.account.auth_backends import AuthenticationBackend

    calls = []
    original = AuthenticationBackend.authenticate

    def counting(self, request, **credentials):
        calls.append(type(self).__name__)
        return original(self, request, **credentials)

    monkeypatch.setattr(AuthenticationBackend, "authenticate", counting)

    response = client.post("/accounts/login/", {"login": shopper.email, "password": "not the password"})

    assert response.status_code == 200  # the form again, with its error
    assert "_auth_user_id" not in client.session
    assert calls == ["MemberBackend"]
