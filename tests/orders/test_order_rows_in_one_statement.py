"""Placing an order writes the order and all its rows in one statement, and reads under the cart lock in one more."""

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members.services import ensure_member
from orders.models import (
    CartLine,
    Order,
    OrderEvent,
    OrderLine,
    OrderLineAdjustment,
    OutboxMessage,
)
from orders.services import add_to_cart, place_order
from orders.services.cart import MemberCart
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db


def _writes(queries) -> list[str]:
    words = ("INSERT", "UPDATE", "DELETE", "WITH")
    return [q["sql"].strip() for q in queries.captured_queries if q["sql"].strip().startswith(words)]


def test_the_order_its_lines_event_emptied_cart_and_receipt_message_are_written_by_one_statement(
    shopper, warehouse, address, express, django_capture_on_commit_callbacks
):
    tea = stocked_variant(store=warehouse, price=Decimal("40.00"))
    cup = stocked_variant(store=warehouse, price=Decimal("12.50"))
    ensure_member(user=shopper)
    cart = MemberCart(shopper)
    add_to_cart(cart=cart, variant_id=tea.pk, quantity=2)
    add_to_cart(cart=cart, variant_id=cup.pk, quantity=1)

    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks() as callbacks:
        order = place_order(user_id=shopper.pk, token=uuid.uuid4(), choice=delivery_choice(address, express),
                            expected_total=None)

    order_writes = [sql for sql in _writes(queries) if '"orders_' in sql.split("SELECT")[0]]
    assert len(order_writes) == 1 and order_writes[0].startswith("WITH new_order AS")
    stored = Order.objects.get(pk=order.pk)
    assert (stored.number, stored.total) == (order.number, Decimal("92.50") + stored.shipping_fee)
    assert list(stored.lines.order_by("id").values_list("variant_id", "quantity", "line_total")) == [
        (tea.pk, 2, Decimal("80.00")), (cup.pk, 1, Decimal("12.50"))
    ]
    assert list(OrderEvent.objects.filter(order=stored).values_list("to_status", "actor_id")) == [
        (Order.Status.PENDING_PAYMENT, shopper.pk)
    ]
    message = OutboxMessage.objects.get(order=stored)
    assert message.kind == "order_placed" and message.sent_at is None
    assert not CartLine.objects.filter(cart__user=shopper).exists()
    assert len(callbacks) == 1  # the message is handed to a worker after commit


def test_each_line_share_is_written_against_its_own_line_and_adjustment(shopper, warehouse, address, express):
    from members.models import Tier

    member = ensure_member(user=shopper)
    member.tier = Tier.objects.create(name="金卡", code="gold", rank=3, discount_percent=Decimal("10"))
    member.save(update_fields=["tier"])
    big = stocked_variant(store=warehouse, price=Decimal("100.00"))
    small = stocked_variant(store=warehouse, price=Decimal("33.33"))

    order = buy(shopper, [(big, 1), (small, 1)], delivery_choice(address, express))

    tier_adjustment = order.adjustments.get(kind="tier")
    shares = {
        share.line.variant_id: share.amount
        for share in OrderLineAdjustment.objects.filter(adjustment=tier_adjustment).select_related("line")
    }
    lines = {line.variant_id: line for line in OrderLine.objects.filter(order=order)}
    assert shares == {big.pk: -lines[big.pk].discount, small.pk: -lines[small.pk].discount}
    assert sum(shares.values()) == tier_adjustment.amount


def test_a_taken_order_number_writes_nothing_and_the_order_takes_the_next_number(
    shopper, warehouse, address, express, monkeypatch
):
    first = buy(shopper, [(stocked_variant(store=warehouse, price=Decimal("30.00")), 1)], delivery_choice(address, express))
    numbers = iter([first.number, "26010100000001"])
    monkeypatch.setattr("orders.services.checkout._new_number", lambda: next(numbers))

    second = buy(shopper, [(stocked_variant(store=warehouse, price=Decimal("20.00")), 1)], delivery_choice(address, express))

    assert second.number == "26010100000001"
    assert Order.objects.count() == 2
    assert first.lines.count() == 1 and second.lines.count() == 1
    assert OrderEvent.objects.filter(order=first).count() == 1
    assert OutboxMessage.objects.filter(order__in=[first, second]).count() == 2


def test_a_repeated_checkout_finds_its_order_under_the_cart_lock_in_the_same_round_trip(
    shopper, warehouse, address, express
):
    variant = stocked_variant(store=warehouse, price=Decimal("30.00"))
    token = uuid.uuid4()
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express), token=token)

    with CaptureQueriesContext(connection) as queries:
        again = place_order(user_id=shopper.pk, token=token, choice=delivery_choice(address, express), expected_total=None)

    assert again.pk == order.pk
    statements = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    # The lock with its reads, then the order itself.
    assert len(statements) == 2
    assert "FOR UPDATE" in statements[0] and "checkout_token" in statements[0]


def _place(shopper, address, express, variant):
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)
    with CaptureQueriesContext(connection) as queries:
        order = place_order(user_id=shopper.pk, token=uuid.uuid4(), choice=delivery_choice(address, express),
                            expected_total=None)
    return order, [q["sql"] for q in queries.captured_queries]


def test_the_reads_under_the_cart_lock_are_prepared_once_per_connection(shopper, warehouse, address, express):
    from marketing.live_promotions import promotion_table
    from orders.checkout_queries import LINES, MEMBER

    PREPARED_LINES, PREPARED_MEMBER = LINES.name, MEMBER.name
    promotion_table()  # read once per process and version, not per checkout

    # As a fresh connection starts; only this module's statements go (other apps prepare their own).
    for statement in (LINES, MEMBER):
        statement._prepared_on.discard(connection.connection)
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements WHERE name IN (%s, %s)", [PREPARED_LINES, PREPARED_MEMBER])
        for (name,) in cursor.fetchall():
            cursor.execute(f"DEALLOCATE {name}")
    ensure_member(user=shopper)

    first, first_sql = _place(shopper, address, express, stocked_variant(store=warehouse, price=Decimal("30.00")))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_prepared_statements WHERE name IN (%s, %s)", [PREPARED_LINES, PREPARED_MEMBER])
        prepared = cursor.fetchone()[0]
    second, second_sql = _place(shopper, address, express, stocked_variant(store=warehouse, price=Decimal("20.00")))

    assert prepared == 2
    # The same statements whether or not the checkout was the connection's first.
    assert len(first_sql) == len(second_sql)
    assert any(f"EXECUTE {PREPARED_LINES}" in sql for sql in second_sql)
    assert (first.lines.get().unit_price, second.lines.get().unit_price) == (Decimal("30.00"), Decimal("20.00"))


def test_a_connection_that_may_not_prepare_reads_with_plain_statements(shopper, warehouse, address, express, monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    ensure_member(user=shopper)

    order, sql = _place(shopper, address, express, stocked_variant(store=warehouse, price=Decimal("30.00")))

    assert not any("PREPARE" in text or "EXECUTE" in text for text in sql)
    assert order.lines.count() == 1
