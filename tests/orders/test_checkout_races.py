"""Checkout and cart under real concurrency: threads on PostgreSQL, released together.

Each test commits its data in the main thread first (``transaction=True``), so
every thread, on its own connection, sees it. A thread still running after the
deadline fails the test: a deadlock or a lock wait that never ends must turn CI
red, not hang it.
"""

import threading
import time
import uuid
from collections import Counter

import pytest
from django.contrib.auth import get_user_model
from django.db import OperationalError, connection
from django.db.models import Sum
from django.utils import translation

from orders.exceptions import CartError, CheckoutError
from orders.models import Cart, CartLine, Order, OutboxMessage
from orders.services import add_to_cart, place_order
from orders.services.cart import MAX_LINE_QUANTITY, MemberCart
from stores.exceptions import OutOfStock
from stores.models import Stock, StockMovement
from tests.factories import AddressFactory, stocked_variant
from tests.orders.conftest import delivery_choice

pytestmark = pytest.mark.django_db(transaction=True)

JOIN_TIMEOUT = 60  # seconds for all threads of one round together


def run_together(jobs, timeout=JOIN_TIMEOUT):
    """Run each job in its own thread, all released at once by a barrier.

    Returns one ``(value, exception)`` pair per job, in job order. Fails the
    test if a thread is still alive at the deadline, after killing its
    database session so the flush at teardown cannot wait on its locks.
    """
    barrier = threading.Barrier(len(jobs))
    outcomes = [(None, RuntimeError("thread never reported"))] * len(jobs)
    backend_pids = [None] * len(jobs)

    def runner(index, job):
        try:
            # Connect before the barrier so the race is between queries, not TCP handshakes.
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend_pids[index] = cursor.fetchone()[0]
            # Messages in English so tests can compare them; threads start in no language.
            with translation.override("en"):
                barrier.wait(timeout=timeout)
                outcomes[index] = (job(), None)
        except BaseException as exc:  # noqa: BLE001 - every outcome is the test's to judge
            outcomes[index] = (None, exc)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=runner, args=(index, job), name=f"racer-{index}", daemon=True)
        for index, job in enumerate(jobs)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    alive = [thread.name for thread in threads if thread.is_alive()]
    if alive:
        stuck = [pid for pid, thread in zip(backend_pids, threads) if thread.is_alive() and pid]
        if stuck:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", [stuck])
        for thread in threads:
            thread.join(timeout=5)
        pytest.fail(f"{len(alive)} thread(s) still running after {timeout}s (deadlock or hang): {alive}")
    return outcomes


def errors_of(outcomes):
    return [exc for _value, exc in outcomes if exc is not None]


def values_of(outcomes):
    return [value for value, exc in outcomes if exc is None]


def unexpected(outcomes, *allowed):
    """Exceptions other than the allowed kinds, as readable text for the assertion message."""
    return [f"{type(exc).__name__}: {exc}" for exc in errors_of(outcomes) if not isinstance(exc, allowed)]


def make_members(count, prefix):
    """``count`` members, each with a default delivery address."""
    users = []
    for index in range(count):
        user = get_user_model().objects.create_user(username=f"{prefix}{index}", email=f"{prefix}{index}@example.com")
        AddressFactory(user=user, is_default=True)
        users.append(user)
    return users


def checkout_job(user, method, token=None):
    address = user.addresses.get()
    token = token or uuid.uuid4()
    return lambda: place_order(
        user_id=user.pk, token=token, choice=delivery_choice(address, method), expected_total=None
    )


def reserved_by_movements(stock):
    return StockMovement.objects.filter(stock=stock, reason=StockMovement.Reason.RESERVATION).aggregate(
        n=Sum("reserved_change")
    )["n"] or 0


def test_fifty_shoppers_racing_for_the_last_ten_units_get_ten_orders_and_forty_clean_refusals(warehouse, express):
    variant = stocked_variant(store=warehouse, on_hand=10)
    shoppers = make_members(50, "racer")
    for user in shoppers:
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=1)

    outcomes = run_together([checkout_job(user, express) for user in shoppers])

    assert unexpected(outcomes, OutOfStock) == []
    orders = values_of(outcomes)
    assert len(orders) == 10
    assert len(errors_of(outcomes)) == 40
    assert Order.objects.count() == 10
    assert len({order.user_id for order in orders}) == 10
    stock = Stock.objects.get(store=warehouse, variant=variant)
    assert stock.reserved == 10 == stock.on_hand
    assert stock.available == 0
    assert reserved_by_movements(stock) == 10
    assert set(
        StockMovement.objects.filter(stock=stock, reason="reservation").values_list("reference", flat=True)
    ) == {order.number for order in orders}
    # Winners' carts were emptied; the losers keep theirs to try again later.
    winners = {order.user_id for order in orders}
    assert set(CartLine.objects.values_list("cart__user_id", flat=True)) == {u.pk for u in shoppers} - winners
    variant.refresh_from_db()
    assert variant.is_in_stock is False


def test_carts_holding_two_items_in_opposite_order_never_deadlock(warehouse, express):
    first = stocked_variant(store=warehouse, on_hand=1000)
    second = stocked_variant(store=warehouse, on_hand=1000)
    stock_a = Stock.objects.get(store=warehouse, variant=first)
    stock_b = Stock.objects.get(store=warehouse, variant=second)
    assert stock_a.pk < stock_b.pk  # half the carts below list them against the lock order
    shoppers = make_members(20, "crossed")
    rounds = 4

    for round_number in range(rounds):
        for index, user in enumerate(shoppers):
            lines = [(first, 1), (second, 2)] if index % 2 == 0 else [(second, 2), (first, 1)]
            for variant, quantity in lines:
                add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=quantity)

        outcomes = run_together([checkout_job(user, express) for user in shoppers])

        deadlocks = [exc for exc in errors_of(outcomes) if isinstance(exc, OperationalError)]
        assert not deadlocks, f"round {round_number}: {len(deadlocks)} deadlocked, first: {deadlocks[0]}"
        assert unexpected(outcomes) == [], f"round {round_number}"
        assert len(values_of(outcomes)) == 20

    assert Order.objects.count() == 20 * rounds
    assert not CartLine.objects.exists()
    stock_a.refresh_from_db()
    stock_b.refresh_from_db()
    assert (stock_a.reserved, stock_b.reserved) == (20 * rounds, 40 * rounds)
    assert (reserved_by_movements(stock_a), reserved_by_movements(stock_b)) == (20 * rounds, 40 * rounds)


def test_ten_identical_submissions_of_one_checkout_make_one_order(warehouse, express):
    variant = stocked_variant(store=warehouse, on_hand=10)
    (user,) = make_members(1, "clicker")
    add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=3)
    token = uuid.uuid4()

    outcomes = run_together([checkout_job(user, express, token=token) for _ in range(10)])

    assert unexpected(outcomes) == []
    order = Order.objects.get()
    assert [value.pk for value in values_of(outcomes)] == [order.pk] * 10
    assert order.checkout_token == token
    stock = Stock.objects.get(store=warehouse, variant=variant)
    assert stock.reserved == 3
    assert reserved_by_movements(stock) == 3
    assert OutboxMessage.objects.filter(order=order, kind="order_placed").count() == 1
    assert not CartLine.objects.filter(cart__user=user).exists()


def test_one_cart_checked_out_from_two_tabs_at_once_makes_one_order(warehouse, express):
    variant = stocked_variant(store=warehouse, on_hand=100)
    (user,) = make_members(1, "twotabs")
    rounds = 5

    for round_number in range(rounds):
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=2)

        outcomes = run_together([checkout_job(user, express), checkout_job(user, express)])

        assert unexpected(outcomes, CheckoutError) == [], f"round {round_number}"
        assert len(values_of(outcomes)) == 1, f"round {round_number}: {errors_of(outcomes)}"
        (refusal,) = errors_of(outcomes)
        assert refusal.message == "Your cart is empty."

    assert Order.objects.filter(user=user).count() == rounds
    stock = Stock.objects.get(store=warehouse, variant=variant)
    assert stock.reserved == 2 * rounds
    assert reserved_by_movements(stock) == 2 * rounds


def test_ten_tabs_adding_to_one_line_never_pass_the_per_line_cap(warehouse):
    variant = stocked_variant(store=warehouse, on_hand=500)
    rounds = 3

    for user in make_members(rounds, "adder"):
        # No Cart row yet: the threads also race to create the cart and then the line.
        outcomes = run_together(
            [lambda user=user: add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=10)] * 10
        )

        assert unexpected(outcomes, CartError) == []
        added = len(values_of(outcomes))
        line = CartLine.objects.get(cart__user=user, variant=variant)
        assert line.quantity <= MAX_LINE_QUANTITY
        assert line.quantity == 10 * added
        # 90 fits under 99 and a tenth ten would not; a tab refused below the cap is a lost add.
        assert added == 9, [str(exc) for exc in errors_of(outcomes)]
        assert Cart.objects.filter(user=user).count() == 1
        assert Counter(type(exc) for exc in errors_of(outcomes)) == Counter({CartError: 1})


def test_fifty_shoppers_posting_the_checkout_page_for_the_last_ten_units_in_four_stores_buy_all_ten(warehouse, express):
    from django.conf import settings
    from django.test import Client

    from stores.models import Store
    from tests.factories import StoreFactory
    from tests.orders.browser_form import browser_form_data

    variant = stocked_variant(store=warehouse, on_hand=3)
    stores = [warehouse]
    for index, units in enumerate([3, 2, 2]):
        shop = StoreFactory(code=f"shop{index}", kind=Store.Kind.STORE, priority=10 + index)
        Stock.objects.create(store=shop, variant=variant, on_hand=units)
        stores.append(shop)
    shoppers = make_members(50, "page")
    posts = []
    for user in shoppers:
        browser = Client()
        browser.force_login(user)
        browser.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        browser.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
        page = browser.get("/checkout/").content.decode()
        data = browser_form_data(page, "checkout-form", place="1")
        assert data["fulfilment"] == "delivery" and not data.get("pickup_store")
        # A shopper who looked at the pick-up tab first sends its store along with the delivery choice;
        # that store sells out during the race, and the delivery checkout must not care.
        data["pickup_store"] = str(stores[1].pk)
        posts.append((browser, data))

    outcomes = run_together([lambda browser=browser, data=data: browser.post("/checkout/", data) for browser, data in posts])

    assert unexpected(outcomes) == []
    responses = values_of(outcomes)
    placed = [r for r in responses if r.status_code == 302 and r["Location"].endswith("/pay/")]
    refused = [r for r in responses if r.status_code == 200]
    assert (len(placed), len(refused)) == (10, 40)
    for response in refused:
        assert any("Not enough stock" in str(m) for m in response.context["messages"]), response.content[:200]
    assert Order.objects.count() == 10
    assert sum(Stock.objects.filter(variant=variant).values_list("reserved", flat=True)) == 10
    assert all(stock.available == 0 for stock in Stock.objects.filter(variant=variant))
