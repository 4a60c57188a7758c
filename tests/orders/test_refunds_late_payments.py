"""Late and duplicate payments: flagged when they arrive, then paid back exactly once (by the system or staff)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.exceptions import RefundError
from orders.models import Order, Payment, Refund
from orders.services import expire_unpaid_orders, record_payment, refund_late_payment
from orders.services.refunds import refund_flagged_payment
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("30.00"))
    return buy(shopper, [(variant, 2)], delivery_choice(address, express))


def gateway_payment(order, transaction_id):
    return record_payment(order_number=order.number, provider="gateway", amount=order.amount_due,
                          currency=order.currency, transaction_id=transaction_id)


def test_the_system_pays_back_a_duplicate_payment_it_flags_exactly_once(order, django_capture_on_commit_callbacks):
    gateway_payment(order, "SIM-FIRST")

    with django_capture_on_commit_callbacks(execute=True):
        duplicate = gateway_payment(order, "SIM-SECOND")
    refund_flagged_payment(payment_id=duplicate.pk)  # the task ran twice

    duplicate.refresh_from_db()
    [refund] = Refund.objects.all()
    assert refund.amount == Decimal("68.00") and refund.status == Refund.Status.SUCCEEDED
    assert [leg.payment_id for leg in refund.legs.all()] == [duplicate.pk]
    assert duplicate.refunded_amount == duplicate.amount and duplicate.refunded_at is not None
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.refunded_total == 0
    assert Payment.objects.get(transaction_id="SIM-FIRST").refunded_amount == 0


def test_a_payment_after_expiry_is_paid_back_by_the_system(order, django_capture_on_commit_callbacks):
    expire_unpaid_orders(now=timezone.now() + timedelta(hours=1))

    with django_capture_on_commit_callbacks(execute=True):
        late = gateway_payment(order, "SIM-LATE")

    late.refresh_from_db()
    assert late.needs_refund and late.refundable == 0
    assert Refund.objects.get().legs.get().status == Refund.Status.SUCCEEDED


def test_staff_refund_a_late_payment_once_per_form(order, admin_user):
    gateway_payment(order, "SIM-FIRST")
    duplicate = gateway_payment(order, "SIM-SECOND")  # no commit here: the system's task has not run

    first = refund_late_payment(payment_id=duplicate.pk, by=admin_user, key="form-late-1")
    again = refund_late_payment(payment_id=duplicate.pk, by=admin_user, key="form-late-1")

    assert first.pk == again.pk and first.created_by == admin_user
    assert Refund.objects.count() == 1
    duplicate.refresh_from_db()
    assert duplicate.refunded_amount == Decimal("68.00")


def test_a_late_payment_already_being_paid_back_is_not_refunded_again(order, admin_user):
    gateway_payment(order, "SIM-FIRST")
    duplicate = gateway_payment(order, "SIM-SECOND")
    refund_flagged_payment(payment_id=duplicate.pk)

    with pytest.raises(RefundError):
        refund_late_payment(payment_id=duplicate.pk, by=admin_user, key="form-late-2")
    assert refund_flagged_payment(payment_id=duplicate.pk) is not None  # the system's own key: the same refund
    assert Refund.objects.count() == 1


def test_the_payment_that_paid_the_order_is_not_a_late_payment(order, admin_user):
    paid = gateway_payment(order, "SIM-FIRST")

    with pytest.raises(RefundError):
        refund_late_payment(payment_id=paid.pk, by=admin_user, key="form-late-3")
    assert not Refund.objects.exists()


def test_an_unknown_payment_is_refused(db, admin_user):
    with pytest.raises(RefundError):
        refund_late_payment(payment_id=999999, by=admin_user, key="form-late-4")


def test_a_late_payment_whose_payout_failed_for_good_can_be_refunded_again_once(order, admin_user, monkeypatch):
    from orders.payments import GatewaySimulator, RefundDeclined
    from orders.services.refunds import refund_late_payment_key, settle_refund_payment

    gateway_payment(order, "SIM-FIRST")
    duplicate = gateway_payment(order, "SIM-SECOND")
    failed = refund_late_payment(payment_id=duplicate.pk, by=None, key=refund_late_payment_key(duplicate.pk))
    def declined(self, **kwargs):
        raise RefundDeclined("account closed")

    with monkeypatch.context() as patched:
        patched.setattr(GatewaySimulator, "refund", declined)
        settle_refund_payment(leg_id=failed.legs.get().pk)
    duplicate.refresh_from_db()
    assert duplicate.refundable == duplicate.amount

    retry = refund_late_payment(payment_id=duplicate.pk, by=admin_user, key=refund_late_payment_key(duplicate.pk))
    again = refund_late_payment(payment_id=duplicate.pk, by=admin_user, key=refund_late_payment_key(duplicate.pk))

    assert retry.pk != failed.pk and again.pk == retry.pk
    settle_refund_payment(leg_id=retry.legs.get().pk)
    duplicate.refresh_from_db()
    assert duplicate.refunded_amount == duplicate.amount and duplicate.refunded_at is not None
