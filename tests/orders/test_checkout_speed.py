"""Placing an order costs a fixed number of queries, whatever the number of lines."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Option, OptionValue
from marketing.live_promotions import promotion_table
from members.services import ensure_member
from orders.services import add_to_cart, place_order
from orders.services.cart import MemberCart
from tests.factories import stocked_variant
from tests.orders.conftest import delivery_choice

pytestmark = pytest.mark.django_db

# A delivery order from one warehouse, online payment, no coupon, flash sale or points: the lock
# and twin check, the lines, the stock look, the member, flash sales, coupons, the order with its
# savepoint, lines, adjustments, event, the emptied cart, the outbox message, and the reservation
# (savepoint, locked rows, one UPDATE per SKU, movements): 20. In a test the checkout's own
# transaction is a savepoint inside the test's, which adds its SAVEPOINT and RELEASE.
MOST_QUERIES_ONE_LINE = 20 + 2


def _queries_to_place(shopper, address, express, variants) -> tuple[int, object]:
    ensure_member(user=shopper)  # a member has a profile from sign-up on
    promotion_table()  # read once per process and version, not per checkout
    cart = MemberCart(shopper)
    for variant in variants:
        add_to_cart(cart=cart, variant_id=variant.pk, quantity=1)
    with CaptureQueriesContext(connection) as queries:
        order = place_order(
            user_id=shopper.pk, token=uuid.uuid4(), choice=delivery_choice(address, express), expected_total=None
        )
    return len(queries), order


def test_placing_a_one_line_order_costs_at_most_the_fixed_queries(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, price=Decimal("30.00"))

    count, order = _queries_to_place(shopper, address, express, [variant])

    assert order.lines.count() == 1
    assert count <= MOST_QUERIES_ONE_LINE


def test_five_lines_cost_only_the_extra_stock_updates_of_one_line(shopper, warehouse, address, express):
    one = stocked_variant(store=warehouse, price=Decimal("30.00"))
    count_one, _order = _queries_to_place(shopper, address, express, [one])
    five = [stocked_variant(store=warehouse, price=Decimal("12.34")) for _ in range(5)]

    count_five, order = _queries_to_place(shopper, address, express, five)

    assert order.lines.count() == 5
    # Each stock row is its own UPDATE (a different figure per row); every read and insert is one per order.
    assert count_five <= count_one + 4


def test_the_order_line_keeps_the_option_values_in_their_display_order(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse)
    size = Option.objects.create(name="尺码", position=2)
    colour = Option.objects.create(name="颜色", position=1)
    variant.option_values.add(
        OptionValue.objects.create(option=size, value="XL"), OptionValue.objects.create(option=colour, value="红色")
    )

    _count, order = _queries_to_place(shopper, address, express, [variant])

    assert order.lines.get().options == "红色 / XL"
