"""Payment callbacks racing each other, a cancellation or the expiry job, in real threads on PostgreSQL.

Threads interleave differently on every run, so each test asserts an
invariant every interleaving must keep, never one particular winner. Each
thread closes its own database connection; a thread that does not finish
in time fails the test instead of hanging it.
"""

import json
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client

from orders.exceptions import IllegalTransition, RefundError
from orders.models import Order, OrderEvent, Payment, Refund, RefundPayment
from orders.payments import SIGNATURE_HEADER, sign
from orders.services import cancel_by_shopper, cancel_order, expire_unpaid_orders, record_payment, refund_late_payment
from stores.models import Stock
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice
from tests.orders.test_lock_order import run_together as run_together_collecting

pytestmark = pytest.mark.django_db(transaction=True)

CALLBACK_URL = "/payments/gateway/callback/"
THREAD_TIMEOUT = 30  # seconds; far more than any of these needs, short enough to catch a deadlock
ROUNDS = 10


def run_together(*jobs):
    """Run each job in its own thread, released at the same moment; return their results in order.

    Fails if a job raised or did not finish within THREAD_TIMEOUT.
    """
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)
    errors = []

    def work(index, job):
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            results[index] = job()
        except BaseException as err:  # reported by the main thread
            errors.append(err)
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
    assert not errors, errors
    return results


def signed_notice(order, transaction_id=None) -> bytes:
    return json.dumps(
        {
            "order_number": order.number,
            "amount": f"{order.total:.2f}",
            "currency": order.currency,
            "transaction_id": transaction_id or f"SIM-{order.number}",
            "timestamp": int(time.time()),
        }
    ).encode()


def post_callback(body: bytes):
    """What the gateway does: one HTTP client of its own per attempt."""
    response = Client().post(CALLBACK_URL, data=body, content_type="application/json",
                             headers={SIGNATURE_HEADER: sign(body)})
    return response.status_code, response.content


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=100, price=Decimal("30.00"))


@pytest.fixture
def place(shopper, variant, address, express):
    """Place a fresh online order for 2 units, awaiting payment."""

    def place():
        return buy(shopper, [(variant, 2)], delivery_choice(address, express))

    return place


def reserved(variant, warehouse) -> int:
    return Stock.objects.get(store=warehouse, variant=variant).reserved


def test_ten_identical_callbacks_at_once_pay_the_order_exactly_once(place):
    order = place()
    body = signed_notice(order)

    answers = run_together(*[lambda: post_callback(body)] * 10)

    assert answers == [(200, b"success")] * 10
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    payment = Payment.objects.get()
    assert not payment.needs_refund
    assert OrderEvent.objects.filter(order=order, to_status=Order.Status.PAID).count() == 1


def test_ten_different_transactions_at_once_apply_one_and_flag_nine_for_refund(place):
    order = place()
    bodies = [signed_notice(order, transaction_id=f"SIM-RACE-{i:04d}") for i in range(10)]

    answers = run_together(*[lambda body=body: post_callback(body) for body in bodies])

    assert answers == [(200, b"success")] * 10
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert Payment.objects.filter(order=order).count() == 10
    assert Payment.objects.filter(order=order, needs_refund=False).count() == 1
    assert Payment.objects.filter(order=order, needs_refund=True).count() == 9
    # One move to paid; the nine flagged payments each leave a note (paid → paid) beside it.
    moves = OrderEvent.objects.filter(order=order, to_status=Order.Status.PAID).exclude(from_status=Order.Status.PAID)
    assert list(moves.values_list("from_status", flat=True)) == [Order.Status.PENDING_PAYMENT]
    # The system paid each of the nine back once, and left the applied one alone.
    for payment in Payment.objects.filter(order=order):
        legs = RefundPayment.objects.filter(payment=payment)
        if payment.needs_refund:
            assert [(leg.amount, leg.status) for leg in legs] == [(payment.amount, Refund.Status.SUCCEEDED)]
            assert payment.refunded_amount == payment.amount
        else:
            assert not legs.exists() and payment.refunded_amount == 0
    assert order.refunded_total == 0


def test_the_system_and_staff_refunding_a_late_payment_at_once_pay_it_back_once(place, admin_user, monkeypatch):
    order = place()
    post_callback(signed_notice(order, transaction_id="SIM-APPLIED"))
    with monkeypatch.context() as patched:  # hold back the system's own refund: it runs in the race below
        patched.setattr("orders.services.payments.queue_task", lambda *args: True)
        late = record_payment(order_number=order.number, provider="gateway", amount=order.total,
                              currency=order.currency, transaction_id="SIM-LATE-RACE")
    assert late.needs_refund and not RefundPayment.objects.exists()

    outcomes = run_together_collecting(
        lambda: refund_late_payment(payment_id=late.pk, by=admin_user, key="staff-form-1"),
        lambda: refund_late_payment(payment_id=late.pk, by=None, key=f"late-payment-{late.pk}"),
    )

    assert sum(error is None for _refund, error in outcomes) == 1
    assert all(isinstance(error, RefundError) for _refund, error in outcomes if error is not None)
    late.refresh_from_db()
    assert late.refunded_amount == late.amount
    assert RefundPayment.objects.filter(payment=late).count() == 1


def assert_paid_xor_cancelled_and_flagged(order, variant, warehouse, before):
    """The money and the goods agree, whoever won.

    Either the payment won: paid, the 2 units still reserved, nothing to refund;
    or the cancellation won: cancelled, the units released, the payment kept and flagged.
    Never paid with the stock released, never cancelled with the money kept silently.
    """
    order.refresh_from_db()
    payment = Payment.objects.get(order=order)
    now_reserved = reserved(variant, warehouse)
    if order.status == Order.Status.PAID:
        assert (now_reserved, payment.needs_refund) == (before, False)
    else:
        assert order.status == Order.Status.CANCELLED
        assert (now_reserved, payment.needs_refund) == (before - 2, True)
    return order.status


def _ignore_lost_race(service):
    def run():
        try:
            return service()
        except IllegalTransition:  # the payment came first: nothing to cancel
            return "refused"

    return run


def test_a_shopper_cancelling_while_the_payment_arrives_never_keeps_money_for_released_goods(
    place, shopper, variant, warehouse
):
    outcomes = set()
    for _ in range(ROUNDS):
        order = place()
        before = reserved(variant, warehouse)

        answer, _cancelled = run_together(
            lambda: post_callback(signed_notice(order)),
            _ignore_lost_race(lambda: cancel_by_shopper(order_id=order.pk, user=shopper)),
        )

        assert answer == (200, b"success")
        outcomes.add(assert_paid_xor_cancelled_and_flagged(order, variant, warehouse, before))
    assert outcomes <= {Order.Status.PAID, Order.Status.CANCELLED}


def test_cancel_order_racing_the_payment_never_keeps_money_for_released_goods(place, variant, warehouse):
    outcomes = set()
    for _ in range(ROUNDS):
        order = place()
        before = reserved(variant, warehouse)

        answer, _cancelled = run_together(
            lambda: post_callback(signed_notice(order)),
            _ignore_lost_race(lambda: cancel_order(order_id=order.pk, note="cancelled by staff")),
        )

        assert answer == (200, b"success")
        outcomes.add(assert_paid_xor_cancelled_and_flagged(order, variant, warehouse, before))
    assert outcomes <= {Order.Status.PAID, Order.Status.CANCELLED}


def test_cancel_order_refuses_an_order_the_payment_reached_first(place, variant, warehouse):
    # The losing side of the race above, pinned down: a paid order leaves only through a refund.
    order = place()
    record_payment(order_number=order.number, provider="gateway", amount=order.total, currency=order.currency,
                   transaction_id="SIM-PAID-FIRST")

    with pytest.raises(IllegalTransition):
        cancel_order(order_id=order.pk, note="cancelled by staff")

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert reserved(variant, warehouse) == 2
    assert not Payment.objects.get(order=order).needs_refund


def test_the_expiry_job_racing_the_payment_never_keeps_money_for_released_goods(place, variant, warehouse):
    outcomes = set()
    for _ in range(ROUNDS):
        order = place()
        before = reserved(variant, warehouse)
        later = order.expires_at + timedelta(minutes=1)

        answer, expired = run_together(
            lambda: post_callback(signed_notice(order)),
            lambda: expire_unpaid_orders(now=later),
        )

        assert answer == (200, b"success")
        status = assert_paid_xor_cancelled_and_flagged(order, variant, warehouse, before)
        assert expired == (1 if status == Order.Status.CANCELLED else 0)
        outcomes.add(status)
    assert outcomes <= {Order.Status.PAID, Order.Status.CANCELLED}
