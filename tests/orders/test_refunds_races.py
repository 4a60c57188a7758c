"""Refunds under real concurrency: a double-submitted form, and two refunds of the last unit, in threads."""

from decimal import Decimal

import pytest

from orders.exceptions import RefundError
from orders.models import Order, OrderLine, Payment, Refund, RefundPayment
from orders.services import record_payment, refund_order, ship_order
from orders.services.refunds import new_refund_key
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice
from tests.orders.test_lock_order import run_together

pytestmark = pytest.mark.django_db(transaction=True)

ROUNDS = 5


@pytest.fixture
def shipped(shopper, warehouse, address, express, admin_user):
    """A paid, shipped online order of ROUNDS × ¥30.00."""
    variant = stocked_variant(store=warehouse, on_hand=50, price=Decimal("30.00"))
    order = buy(shopper, [(variant, ROUNDS)], delivery_choice(address, express))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency=order.currency,
                   transaction_id="SIM-RACE-PAY")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)
    return order


def test_a_part_refund_submitted_twice_at_once_is_applied_once(shipped, admin_user):
    line_id = shipped.lines.get().pk

    for _round in range(ROUNDS):
        key = new_refund_key()
        outcomes = run_together(
            *[lambda: refund_order(order_id=shipped.pk, by=admin_user, reason="退一件", key=key,
                                   quantities={line_id: 1})] * 2
        )

        assert [error for _refund, error in outcomes] == [None, None]
        assert outcomes[0][0].pk == outcomes[1][0].pk

    line = OrderLine.objects.get(pk=line_id)
    assert line.refunded_quantity == ROUNDS and Refund.objects.count() == ROUNDS
    assert RefundPayment.objects.count() == ROUNDS
    assert Payment.objects.get(transaction_id="SIM-RACE-PAY").refunded_amount == Decimal("30.00") * ROUNDS


def test_two_refunds_of_the_last_unit_at_once_refund_it_once(shopper, warehouse, address, express, admin_user):
    variant = stocked_variant(store=warehouse, on_hand=50, price=Decimal("30.00"))
    for n in range(ROUNDS):
        order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
        record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY",
                       transaction_id=f"SIM-LAST-{n}")
        ship_order(order_id=order.pk, carrier="顺丰", tracking_number=f"SF{n}", by=admin_user)
        line_id = order.lines.get().pk

        outcomes = run_together(
            *[lambda: refund_order(order_id=order.pk, by=admin_user, reason="退货", quantities={line_id: 1})] * 2
        )

        errors = [error for _refund, error in outcomes if error is not None]
        assert len(errors) == 1 and isinstance(errors[0], RefundError), outcomes
        order.refresh_from_db()
        payment = order.payments.get()
        assert order.status == Order.Status.REFUNDED
        assert order.refunded_total == payment.refunded_amount == Decimal("30.00")
