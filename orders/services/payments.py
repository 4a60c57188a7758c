"""Recording payments, idempotently, and expiring orders nobody paid for.

Payments are a ledger: each is recorded once per (provider, transaction id);
what an order can be refunded is read from its succeeded payments
(orders.services.refunds). Money that arrives for an order no longer waiting
for it is kept, flagged and paid back by the system after commit.
"""

from decimal import Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services as member_services
from members.exceptions import MemberError
from orders.exceptions import PaymentError
from orders.models import Order, OrderEvent, Payment
from orders.locks import lock_order
from orders.services.transitions import cancel_order
from orders.workflow import Actor, apply_action
from shop.queue import queue_task


@transaction.atomic
def record_payment(
    *, order_number: str, provider: str, amount: Decimal, currency: str, transaction_id: str, by=None
) -> Payment:
    """Apply money received for an order, once per (provider, transaction id).

    The same callback ten times, or concurrently, pays once: the order row
    lock serialises them and the second finds the first's payment. Money for
    an order no longer awaiting payment (expired, cancelled, paid by another
    transaction) is recorded and flagged for refund, never applied.
    Raises PaymentError for an unknown order or a wrong amount or currency.
    """
    order_id = Order.objects.filter(number=order_number).values_list("pk", flat=True).first()
    if order_id is None:
        raise PaymentError(_("No such order."))
    order = lock_order(order_id)
    if transaction_id:
        existing = Payment.objects.filter(provider=provider, transaction_id=transaction_id).first()
        if existing is not None:
            return _same_order(existing, order)
    if currency != order.currency or amount != order.amount_due:
        raise PaymentError(
            _("The payment of %(amount)s %(currency)s does not match the order total.")
            % {"amount": amount, "currency": currency}
        )
    is_awaited = order.status == Order.Status.PENDING_PAYMENT
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                order=order,
                provider=provider,
                amount=amount,
                currency=currency,
                status=Payment.Status.SUCCEEDED,
                transaction_id=transaction_id,
                needs_refund=not is_awaited,
                confirmed_by=by,
            )
    except IntegrityError:
        return _same_order(Payment.objects.get(provider=provider, transaction_id=transaction_id), order)
    if is_awaited:
        # The workflow's "pay" edge (we hold the order lock): state, history, and its effects.
        apply_action(
            order,
            "pay",
            Actor.system(by),
            note=_("Paid: %(method)s, reference %(reference)s")
            % {"method": order.get_payment_method_display(), "reference": transaction_id or "—"},
        )
    else:
        OrderEvent.objects.create(
            order=order,
            from_status=order.status,
            to_status=order.status,
            actor=by,
            note=_("Payment %(txn)s arrived while the order was %(status)s: kept and flagged for refund.")
            % {"txn": transaction_id or provider, "status": order.get_status_display()},
        )
        # Paid back by the system after commit, keyed on the payment so it happens once
        # (staff may also refund it from the payments list; whichever comes first wins).
        transaction.on_commit(partial(queue_task, "orders.tasks.refund_flagged_payment_task", payment.pk))
    return payment


def _same_order(payment: Payment, order: Order) -> Payment:
    # A repeat is a repeat only for the order it paid; answering "done" for another
    # order would tell the gateway (and the shopper) that an unpaid order was paid.
    if payment.order_id != order.pk:
        raise PaymentError(
            _("Transaction %(txn)s was already recorded for another order.") % {"txn": payment.transaction_id}
        )
    return payment


TOP_UP_PREFIX = "TU"


def record_online_payment(*, number: str, provider: str, amount: Decimal, currency: str, transaction_id: str):
    """Apply a gateway notification to what it paid for: a wallet top-up or an order."""
    if number.startswith(TOP_UP_PREFIX):
        if currency != settings.SHOP_CURRENCY:
            raise PaymentError(_("The payment currency does not match."))
        try:
            return member_services.complete_top_up(number=number, amount=amount, transaction_id=transaction_id)
        except MemberError as err:
            raise PaymentError(err.message) from None
    return record_payment(
        order_number=number, provider=provider, amount=amount, currency=currency, transaction_id=transaction_id
    )


def confirm_bank_transfer(*, order_id: int, reference: str, by) -> Payment:
    """Staff saw the transfer on the bank statement: pay the order with it."""
    order = Order.objects.get(pk=order_id)
    if order.payment_method != Order.PaymentMethod.BANK_TRANSFER:
        raise PaymentError(_("Order %(number)s is not paid by bank transfer.") % {"number": order.number})
    return record_payment(
        order_number=order.number,
        provider="bank_transfer",
        amount=order.amount_due,
        currency=order.currency,
        transaction_id=reference.strip() or f"manual-{order.number}",
        by=by,
    )


def expire_unpaid_orders(*, now=None, limit: int = 500) -> int:
    """Cancel orders whose time to pay ran out, releasing their stock exactly once.

    Each order is cancelled in its own transaction under its row lock, so a
    payment racing the expiry either lands first (the order is paid and
    skipped here) or finds the order cancelled and is flagged for refund.
    """
    now = now or timezone.now()
    ids = list(
        Order.objects.filter(status=Order.Status.PENDING_PAYMENT, expires_at__lt=now)
        .order_by("expires_at")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for order_id in ids:
        with transaction.atomic():
            order = lock_order(order_id)
            if order.status != Order.Status.PENDING_PAYMENT or order.expires_at >= now:
                continue  # paid or cancelled since we looked
            cancel_order(order_id=order_id, note=_("Not paid in time"))
            expired += 1
    return expired
