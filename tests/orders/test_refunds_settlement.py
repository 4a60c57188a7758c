"""Paying out a refund leg after commit: retried while the provider is unreachable, failed for good visibly."""

from decimal import Decimal

import pytest

from orders.models import Order, Payment, Refund, RefundPayment
from orders.payments import GatewaySimulator, ProviderUnavailable, RefundDeclined
from orders.services import refund_order
from orders.services.refunds import SETTLE_ATTEMPTS, SettleLater, refundable_money, settle_refund_payment
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice
from tests.orders.test_refunds import line_of, pay, ship

# Refusals and history notes are matched in English; the shop speaks Chinese by default.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def refund(shopper, warehouse, address, express, admin_user, django_capture_on_commit_callbacks):
    """A part refund of ¥30.00 of a paid, shipped online order, its gateway leg still pending."""
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("30.00"))
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    pay(order)
    ship(order, admin_user)
    with django_capture_on_commit_callbacks(execute=False):  # the task is run by hand below
        return refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line_of(order).pk: 1})


@pytest.fixture
def gateway_answers(monkeypatch):
    """Make the simulator answer each refund call with the next item: an exception to raise, or a reference."""
    answers, calls = [], []

    def refund(self, *, payment, amount, reference):
        calls.append((payment.pk, amount, reference))
        answer = answers.pop(0) if answers else "SIM-RF-OK"
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(GatewaySimulator, "refund", refund)
    return answers, calls


def test_a_leg_the_gateway_cannot_reach_is_tried_again_and_then_recorded_as_paid(refund, gateway_answers):
    answers, calls = gateway_answers
    answers.extend([ProviderUnavailable("timed out"), "SIM-RF-7"])
    [leg] = refund.legs.all()

    with pytest.raises(SettleLater):
        settle_refund_payment(leg_id=leg.pk)
    leg.refresh_from_db()
    assert (leg.status, leg.attempts, leg.last_error) == (Refund.Status.PENDING, 1, "timed out")

    settle_refund_payment(leg_id=leg.pk)

    leg.refresh_from_db()
    refund.refresh_from_db()
    assert (leg.status, leg.attempts, leg.provider_reference, leg.last_error) == ("succeeded", 2, "SIM-RF-7", "")
    assert leg.settled_at is not None and refund.status == Refund.Status.SUCCEEDED
    # Every attempt carries the same reference, so a gateway that dedupes on it pays once.
    assert {reference for _payment, _amount, reference in calls} == {f"refund-{leg.pk}"}


def test_a_leg_the_gateway_declines_fails_gives_the_money_back_to_the_payment_and_tells_staff(refund, gateway_answers):
    answers, _calls = gateway_answers
    answers.append(RefundDeclined("refund window closed"))
    [leg] = refund.legs.all()

    settle_refund_payment(leg_id=leg.pk)

    leg.refresh_from_db()
    refund.refresh_from_db()
    payment = Payment.objects.get(pk=leg.payment_id)
    order = Order.objects.get(pk=refund.order_id)
    assert (leg.status, leg.last_error) == (Refund.Status.FAILED, "refund window closed")
    assert refund.status == Refund.Status.FAILED
    assert payment.refunded_amount == Decimal("0.00")
    assert order.refunded_total == Decimal("0.00")
    assert refundable_money(order) == order.total
    assert "failed" in order.events.last().note and "refund window closed" in order.events.last().note


def test_a_leg_still_unreachable_after_the_last_attempt_fails_for_good(refund, gateway_answers):
    answers, calls = gateway_answers
    answers.extend([ProviderUnavailable("HTTP 503")] * SETTLE_ATTEMPTS)
    [leg] = refund.legs.all()

    for _attempt in range(SETTLE_ATTEMPTS - 1):
        with pytest.raises(SettleLater):
            settle_refund_payment(leg_id=leg.pk)
    settle_refund_payment(leg_id=leg.pk)

    leg.refresh_from_db()
    assert (leg.status, leg.attempts) == (Refund.Status.FAILED, SETTLE_ATTEMPTS)
    assert len(calls) == SETTLE_ATTEMPTS


def test_settling_a_leg_again_after_it_was_paid_calls_the_gateway_once(refund, gateway_answers):
    _answers, calls = gateway_answers
    [leg] = refund.legs.all()

    settle_refund_payment(leg_id=leg.pk)
    settle_refund_payment(leg_id=leg.pk)  # the task ran twice

    assert len(calls) == 1
    assert RefundPayment.objects.get(pk=leg.pk).attempts == 1


def test_the_settlement_task_records_the_answer(refund, gateway_answers):
    from orders.tasks import settle_refund_payment_task

    [leg] = refund.legs.all()

    assert settle_refund_payment_task.apply(args=[leg.pk]).get() == Refund.Status.SUCCEEDED


def test_a_refund_money_given_back_after_a_failure_can_be_refunded_again(refund, gateway_answers, admin_user):
    answers, _calls = gateway_answers
    answers.append(RefundDeclined("account closed"))
    [leg] = refund.legs.all()
    settle_refund_payment(leg_id=leg.pk)

    again = refund_order(order_id=refund.order_id, by=admin_user, reason="重新退款")

    order = Order.objects.get(pk=refund.order_id)
    assert again.amount == order.total  # the ¥30.00 that never went back, and the rest
    assert order.status == Order.Status.REFUNDED


def test_legs_left_pending_by_a_lost_task_are_queued_again(refund, gateway_answers):
    from datetime import timedelta

    from django.utils import timezone

    from orders.services.refunds import retry_pending_refund_payments

    [leg] = refund.legs.all()
    assert retry_pending_refund_payments() == 0  # too young: its own task may still be on the way
    Refund.objects.filter(pk=refund.pk).update(created_at=timezone.now() - timedelta(hours=1))

    assert retry_pending_refund_payments() == 1

    leg.refresh_from_db()
    assert leg.status == Refund.Status.SUCCEEDED
    assert retry_pending_refund_payments() == 0
