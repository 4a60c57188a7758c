"""The admin's refund page, posted as a browser posts it: once-only by the form's key, net amounts, no 500s."""

from decimal import Decimal

import pytest

from orders.models import Order, Refund
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice
from tests.orders.test_refunds import line_of, pay, ship

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped(shopper, warehouse, address, express, admin_user):
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("30.00"))
    order = buy(shopper, [(variant, 3)], delivery_choice(address, express))
    pay(order)
    ship(order, admin_user)
    return order


def refund_url(order) -> str:
    return f"/admin/orders/order/{order.pk}/refund/"


def form_data(client, order, **fields) -> dict:
    """What the refund page posts: its hidden once-only key and the staff's choices."""
    form = client.get(refund_url(order)).context["form"]
    return {"key": str(form["key"].value()), "scope": "lines", "reason": "退一件", **fields}


def test_the_refund_page_posted_twice_refunds_once(admin_client, shipped):
    data = form_data(admin_client, shipped, **{f"line_{line_of(shipped).pk}": "1"})

    first = admin_client.post(refund_url(shipped), data)
    second = admin_client.post(refund_url(shipped), data)  # a double click, or the browser sending the POST again

    assert first.status_code == second.status_code == 302
    [refund] = Refund.objects.all()
    assert refund.amount == Decimal("30.00")
    shipped.refresh_from_db()
    assert shipped.refunded_total == Decimal("30.00")
    assert line_of(shipped).refunded_quantity == 1


def test_each_showing_of_the_refund_page_is_a_new_refund(admin_client, shipped):
    line = line_of(shipped)

    for _time in range(2):
        admin_client.post(refund_url(shipped), form_data(admin_client, shipped, **{f"line_{line.pk}": "1"}))

    assert Refund.objects.count() == 2
    assert line_of(shipped).refunded_quantity == 2


def test_refunding_an_unpaid_order_from_its_page_changes_nothing(admin_client, shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("30.00"))
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    response = admin_client.post(refund_url(order), {"key": "5b0f3c0e-8c1c-4a43-9a39-1d2b9d51b7c8", "scope": "full",
                                                     "reason": "x"})

    assert response.status_code in (200, 302)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT and order.refunded_total == 0
    assert not Refund.objects.exists()
