"""The last unit at the counter: two clerks ring it up while a shopper buys it online, all at once."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from orders.models import Order
from orders.services import place_order
from orders.services.cart import MemberCart
from orders.services import add_to_cart
from orders.services.counter import Basket, Tendered, ring_up_sale
from stores.exceptions import OutOfStock
from stores.models import Stock, StoreStaff
from tests.factories import StoreFactory, stocked_variant
from tests.orders.conftest import pickup_choice
from tests.orders.test_checkout_races import run_together, unexpected, values_of

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_clerks_and_an_online_shopper_race_for_the_last_unit_and_exactly_one_gets_it(shopper):
    store = StoreFactory(code="xuhui", name="上海徐汇店", priority=10)
    variant = stocked_variant(store=store, on_hand=1, price=Decimal("25.00"))
    clerks = []
    for index in range(2):
        clerk = get_user_model().objects.create_user(username=f"clerk{index}", is_staff=True)
        StoreStaff.objects.create(store=store, user=clerk, role=StoreStaff.Role.CLERK)
        clerks.append(clerk)
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)

    def counter_job(clerk):
        basket = Basket(store_id=store.pk, lines={variant.pk: 1})
        return lambda: ring_up_sale(basket=basket, clerk=clerk, tendered=Tendered("cash", Decimal("50.00")),
                                    expected_total=None)

    def online_job():
        return place_order(user_id=shopper.pk, token=uuid.uuid4(), choice=pickup_choice(store), expected_total=None)

    outcomes = run_together([counter_job(clerks[0]), counter_job(clerks[1]), online_job])

    assert unexpected(outcomes, OutOfStock) == []
    winners = values_of(outcomes)
    assert len(winners) == 1
    losers = [exc for _value, exc in outcomes if exc is not None]
    assert all("Not enough stock" in exc.message for exc in losers)
    stock = Stock.objects.get(store=store, variant=variant)
    assert stock.on_hand - stock.reserved == 0 and stock.on_hand >= 0
    assert Order.objects.count() == 1
    if winners[0].channel == Order.Channel.COUNTER:
        assert (stock.on_hand, stock.reserved) == (0, 0)
        assert winners[0].status == Order.Status.COMPLETED
    else:
        assert (stock.on_hand, stock.reserved) == (1, 1)


def test_the_same_sale_submitted_twice_at_once_makes_one_order(shopper):
    store = StoreFactory(code="jingan", name="静安店", priority=10)
    variant = stocked_variant(store=store, on_hand=5, price=Decimal("25.00"))
    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    StoreStaff.objects.create(store=store, user=clerk, role=StoreStaff.Role.CLERK)
    basket = Basket(store_id=store.pk, lines={variant.pk: 2})
    job = lambda: ring_up_sale(basket=basket, clerk=clerk, tendered=Tendered("card"), expected_total=None)  # noqa: E731

    outcomes = run_together([job, job])

    assert unexpected(outcomes) == []
    assert len({order.pk for order in values_of(outcomes)}) == 1
    assert Stock.objects.get(store=store, variant=variant).on_hand == 3
