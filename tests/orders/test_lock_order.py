"""The one lock order (orders/locks.py): cart → order → stock rows → member account → quotas.

A refund that returns goods to stock and money to the wallet, racing a
checkout of the same member and SKU, takes the same locks the other way round
if it takes the member first: PostgreSQL then kills one of them as a deadlock.
Here both always finish.
"""

import re
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members import services as member_services
from members.models import MemberProfile
from orders.models import Order
from orders.services import refund_order, ship_order
from stores.models import Stock
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

THREAD_TIMEOUT = 60  # seconds; a lock wait that never ends fails the test instead of hanging it
ROUNDS = 6


def run_together(*jobs):
    """Run each job in its own thread, released at once; ``(result, exception)`` per job, in order."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [(None, RuntimeError("thread never reported"))] * len(jobs)

    def work(index, job):
        try:
            connection.ensure_connection()  # the race is between queries, not connection set-ups
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[index] = (job(), None)
        except BaseException as err:  # noqa: BLE001 - the test judges every outcome
            outcomes[index] = (None, err)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + THREAD_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after {THREAD_TIMEOUT}s (deadlock?): {hung}"
    return outcomes


def _locked_tables(queries) -> list[str]:
    """The tables of each SELECT … FOR UPDATE, in the order they were run."""
    tables = []
    for query in queries:
        sql = query["sql"]
        if "FOR UPDATE" in sql:
            match = re.search(r'FROM "(\w+)"', sql)
            tables.append(match.group(1) if match else "?")
    return tables


@pytest.mark.django_db
def test_a_refund_locks_the_order_then_the_stock_rows_then_the_member_account(
    shopper, warehouse, address, express, admin_user
):
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("30.00"))
    member_services.ensure_member(user=shopper)
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("500.00"), reason="测试", by=None)
    order = buy(shopper, [(variant, 4)], delivery_choice(address, express, use_wallet=True))
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)

    with CaptureQueriesContext(connection) as queries:
        refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={order.lines.get().pk: 1}, restock=True)

    tables = _locked_tables(queries.captured_queries)
    first = {table: tables.index(table) for table in reversed(tables)}
    assert first["orders_order"] < first["stores_stock"] < first["members_memberprofile"], tables


@pytest.mark.django_db(transaction=True)
def test_a_refund_racing_a_checkout_of_the_same_member_and_sku_never_deadlocks(
    shopper, warehouse, address, express, admin_user
):
    variant = stocked_variant(store=warehouse, on_hand=100, price=Decimal("30.00"))
    member_services.ensure_member(user=shopper)
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("1000.00"), reason="测试", by=None)
    # Paid in full from stored value (8 × ¥30 ships free), then shipped: each round refunds one unit of it.
    returned = buy(shopper, [(variant, 8)], delivery_choice(address, express, use_wallet=True))
    assert returned.status == Order.Status.PAID and returned.wallet_amount == Decimal("240.00")
    ship_order(order_id=returned.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)
    line_id = returned.lines.get().pk

    for _round in range(ROUNDS):
        (refund, refund_error), (order, checkout_error) = run_together(
            lambda: refund_order(order_id=returned.pk, by=admin_user, reason="退一件", quantities={line_id: 1},
                                 restock=True),
            lambda: buy(shopper, [(variant, 1)], delivery_choice(address, express, use_wallet=True)),
        )
        assert refund_error is None and checkout_error is None, (refund_error, checkout_error)
        assert refund.amount == Decimal("30.00") and order.status == Order.Status.PAID

    stock = Stock.objects.get(store=warehouse, variant=variant)
    # 100 received, 8 shipped, one back per round; each round's checkout reserves one.
    assert (stock.on_hand, stock.reserved) == (100 - 8 + ROUNDS, ROUNDS)
    member = MemberProfile.objects.get(user=shopper)
    # ¥1000 − ¥240, + ¥30 back per round, − ¥38 per checkout (one ¥30 unit + ¥8 shipping).
    assert member.wallet_balance == Decimal("1000.00") - Decimal("240.00") + ROUNDS * (Decimal("30.00") - Decimal("38.00"))
    assert member.wallet_entries.filter(kind="refund").count() == ROUNDS
