"""What the database itself holds for payments and refunds, whatever the code above it does."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F

from orders.models import Payment, Refund, RefundLine, RefundPayment
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice
from tests.orders.test_refunds import line_of, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("30.00"))
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    pay(order)
    return order


def refused(write):
    """The write fails on a constraint (in a savepoint, so the test goes on)."""
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_an_order_has_at_most_one_applied_external_payment(paid):
    refused(lambda: Payment.objects.create(
        order=paid, provider="bank_transfer", amount=paid.total, currency="CNY", status=Payment.Status.SUCCEEDED,
        transaction_id="ICBC-1",
    ))
    # Kept and flagged for refund, it is not applied, so it may exist beside the first.
    Payment.objects.create(order=paid, provider="bank_transfer", amount=paid.total, currency="CNY",
                           status=Payment.Status.SUCCEEDED, transaction_id="ICBC-2", needs_refund=True)


def test_a_payment_is_never_refunded_beyond_what_it_brought_in(paid):
    refused(lambda: Payment.objects.filter(order=paid).update(refunded_amount=F("amount") + 1))


def test_refund_lines_and_legs_hold_positive_quantities_and_amounts(paid, admin_user):
    refund = Refund.objects.create(order=paid, key="k-1", amount=Decimal("0.00"), reason="x", created_by=admin_user)

    refused(lambda: RefundLine.objects.create(refund=refund, order_line=line_of(paid), quantity=0,
                                                       amount=Decimal("1.00")))
    refused(lambda: RefundPayment.objects.create(refund=refund, payment=paid.payments.get(),
                                                          amount=Decimal("0.00")))
    refused(lambda: Refund.objects.create(order=paid, key="k-1", amount=Decimal("1.00"), reason="y"))
