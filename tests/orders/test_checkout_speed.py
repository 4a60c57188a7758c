"""Placing an order costs a fixed number of queries, whatever the number of lines."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.models import Option, OptionValue
from marketing.live_promotions import promotion_table
from members.services import ensure_member
from orders.services import add_to_cart, place_order
from orders.services.cart import MemberCart
from tests.factories import stocked_variant
from tests.orders.conftest import delivery_choice

pytestmark = pytest.mark.django_db

# A delivery order from one warehouse, online payment, no coupon, flash sale or points: the lock
# with the twin check, the lines (which also tell whether a flash sale is live) and the member
# (which also tells whether they hold a usable coupon) in one round trip; the stock look; the
# order with its lines, adjustments, event, the emptied cart and the outbox message in one
# statement (numbered by ON CONFLICT); and the reservation (its savepoint sent with the one
# statement that locks, checks, reserves and writes the ledger): 4. In a test the checkout's own
# transaction is a savepoint inside the test's, which adds its SAVEPOINT and RELEASE.
MOST_QUERIES_ONE_LINE = 4 + 2


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
    # Every read and insert is one per order, the reservation of all stock rows included.
    assert count_five <= count_one


def test_the_order_line_keeps_the_option_values_in_their_display_order(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse)
    size = Option.objects.create(name="尺码", position=2)
    colour = Option.objects.create(name="颜色", position=1)
    variant.option_values.add(
        OptionValue.objects.create(option=size, value="XL"), OptionValue.objects.create(option=colour, value="红色")
    )

    _count, order = _queries_to_place(shopper, address, express, [variant])

    assert order.lines.get().options == "红色 / XL"


def _reads_of(queries, table: str) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if query["sql"].startswith(f'SELECT "{table}"')]


def test_a_member_with_no_usable_coupon_and_no_live_flash_sale_is_spared_both_reads(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, price=Decimal("30.00"))
    ensure_member(user=shopper)
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)

    with CaptureQueriesContext(connection) as queries:
        place_order(user_id=shopper.pk, token=uuid.uuid4(), choice=delivery_choice(address, express), expected_total=None)

    assert _reads_of(queries, "marketing_coupon") == []
    assert _reads_of(queries, "marketing_flashsale") == []


def test_a_held_coupon_and_a_live_flash_sale_are_still_read_and_applied(shopper, warehouse, address, express):
    from marketing.models import Coupon, CouponTemplate, FlashSale
    from marketing.services.coupons import issue_coupon

    now = timezone.now()
    flashed = stocked_variant(store=warehouse, price=Decimal("50.00"))
    FlashSale.objects.create(name="秒杀", variant=flashed, flash_price=Decimal("9.90"), quota=10, per_member_limit=1,
                             starts_at=now - timedelta(minutes=5), ends_at=now + timedelta(hours=1))
    other = stocked_variant(store=warehouse, price=Decimal("150.00"))
    template = CouponTemplate.objects.create(
        name="满100减20", kind=CouponTemplate.Kind.THRESHOLD, amount=Decimal("20.00"), threshold=Decimal("100.00"),
        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=30), is_claimable=True,
    )
    ensure_member(user=shopper)
    coupon = issue_coupon(template_id=template.pk, user_id=shopper.pk, source=Coupon.Source.CLAIM)
    cart = MemberCart(shopper)
    add_to_cart(cart=cart, variant_id=flashed.pk, quantity=1)
    add_to_cart(cart=cart, variant_id=other.pk, quantity=1)

    order = place_order(user_id=shopper.pk, token=uuid.uuid4(), choice=delivery_choice(address, express), expected_total=None)

    assert order.lines.get(variant=flashed).unit_price == Decimal("9.90")
    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED
    assert coupon.order_number == order.number
