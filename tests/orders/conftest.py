import uuid

import pytest
from django.test import Client

from orders.models import Order
from orders.services import CheckoutChoice, add_to_cart, place_order
from orders.services.cart import MemberCart


@pytest.fixture
def member_client(shopper):
    """The shopper logged in through the shop's log-in backend, asking for English pages, CSRF checked as in a browser."""
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(shopper, backend="orders.auth_backends.MemberBackend")
    client.cookies["django_language"] = "en"
    return client


def delivery_choice(address, method, payment="online", **kwargs):
    return CheckoutChoice(fulfilment=Order.Fulfilment.DELIVERY, payment_method=payment, address=address,
                          shipping_method=method, **kwargs)


def pickup_choice(store, payment="online"):
    return CheckoutChoice(fulfilment=Order.Fulfilment.PICKUP, payment_method=payment, pickup_store=store,
                          contact_name="李四", contact_phone="13900139000")


def buy(user, lines, choice, token=None, expected_total=None, expected_amount_due=None):
    """Fill the member's cart with (variant, quantity) lines and place the order."""
    cart = MemberCart(user)
    for variant, quantity in lines:
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=quantity)
    return place_order(
        user_id=user.pk, token=token or uuid.uuid4(), choice=choice, expected_total=expected_total,
        expected_amount_due=expected_amount_due,
    )
