"""Moving orders through their states: one locking service and the use cases built on it.

Every move locks the order row, checks ``Order.NEXT``, writes an
``OrderEvent`` (who, when, from, to, note) and does its stock work in the
same transaction, so a move happens once and completely or not at all.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import IllegalTransition, OrderError
from orders.models import Order, OrderEvent
from orders.services.membership import give_back_unpaid
from orders.services.notifications import queue_email
from stores.services import deduct_stock, release_stock

logger = logging.getLogger(__name__)

TIMESTAMPS = {
    Order.Status.PAID: "paid_at",
    Order.Status.SHIPPED: "shipped_at",
    Order.Status.READY_FOR_PICKUP: "ready_at",
    Order.Status.COMPLETED: "completed_at",
    Order.Status.CANCELLED: "cancelled_at",
}
EMAILS = {
    Order.Status.PAID: "order_paid",
    Order.Status.SHIPPED: "order_shipped",
    Order.Status.READY_FOR_PICKUP: "order_ready_for_pickup",
    Order.Status.CANCELLED: "order_cancelled",
}


def lock_order(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


def move_order(*, order: Order, to: str, by=None, note: str = "", update_fields=()) -> Order:
    """Move a locked order to ``to`` if the table allows it; record and notify.

    The caller holds the row lock (``lock_order``) inside a transaction.
    Raises IllegalTransition for a move the table does not allow.
    """
    if to not in Order.NEXT[order.status]:
        raise IllegalTransition(order=order, to=to)
    from_status = order.status
    order.status = to
    fields = ["status", *update_fields]
    if to in TIMESTAMPS:
        setattr(order, TIMESTAMPS[to], timezone.now())
        fields.append(TIMESTAMPS[to])
    order.save(update_fields=fields)
    OrderEvent.objects.create(order=order, from_status=from_status, to_status=to, actor=by, note=note)
    if to in EMAILS:
        queue_email(kind=EMAILS[to], order=order)
    if to == Order.Status.COMPLETED:
        # Points, spend, tier and referral follow after commit; the task is safe to run twice.
        transaction.on_commit(partial(_queue_completed, order.pk))
    return order


def _queue_completed(order_id: int) -> None:
    from orders.tasks import order_completed_task

    try:
        order_completed_task.delay(order_id)
    except Exception:  # the broker is down: the nightly catch-up credits it
        logger.warning("could not queue the completion of order %s; the nightly catch-up will", order_id, exc_info=True)


def _lines(order: Order) -> list[tuple[int, int]]:
    return [(line.variant_id, line.quantity) for line in order.lines.all()]


@transaction.atomic
def cancel_order(*, order_id: int, by=None, note: str = "", reason: str = "") -> Order:
    """Cancel an order nobody has paid for yet, giving its reserved stock back exactly once.

    A paid order is cancelled by refunding it in full (``refund_order``), so
    money never stays with the shop for goods that will not come. Raises
    IllegalTransition for any other status.
    """
    order = lock_order(order_id)
    if order.status not in (Order.Status.PENDING_PAYMENT, Order.Status.PLACED):
        raise IllegalTransition(order=order, to=Order.Status.CANCELLED)
    move_order(order=order, to=Order.Status.CANCELLED, by=by, note=note or reason)
    release_stock(store_id=order.store_id, lines=_lines(order), reference=order.number, by=by)
    give_back_unpaid(order, by=by)
    return order


@transaction.atomic
def cancel_by_shopper(*, order_id: int, user) -> Order:
    """A shopper cancels their own order while it is unpaid (or cash on delivery, not yet shipped)."""
    order = lock_order(order_id)
    if order.user_id != user.pk:
        raise OrderError(_("This is not your order."))
    if not order.can_cancel:
        raise IllegalTransition(order=order, to=Order.Status.CANCELLED)
    return cancel_order(order_id=order_id, by=user, note=_("Cancelled by the shopper"))


@transaction.atomic
def ship_order(*, order_id: int, carrier: str, tracking_number: str, by=None) -> Order:
    """Hand a delivery order to the carrier: the reservation becomes a deduction."""
    order = lock_order(order_id)
    if order.fulfilment != Order.Fulfilment.DELIVERY:
        raise OrderError(_("Pick-up orders are not shipped."))
    carrier, tracking_number = carrier.strip(), tracking_number.strip()
    if not carrier or not tracking_number:
        raise OrderError(_("Give the carrier and the tracking number."))
    order.carrier, order.tracking_number = carrier, tracking_number
    move_order(
        order=order,
        to=Order.Status.SHIPPED,
        by=by,
        note=f"{carrier} {tracking_number}",
        update_fields=["carrier", "tracking_number"],
    )
    deduct_stock(store_id=order.store_id, lines=_lines(order), reference=order.number, by=by)
    return order


@transaction.atomic
def mark_ready_for_pickup(*, order_id: int, by=None) -> Order:
    order = lock_order(order_id)
    if order.fulfilment != Order.Fulfilment.PICKUP:
        raise OrderError(_("Only pick-up orders wait in the store."))
    return move_order(order=order, to=Order.Status.READY_FOR_PICKUP, by=by)


@transaction.atomic
def mark_picked_up(*, order_id: int, by=None) -> Order:
    """The shopper collected the goods: the reservation becomes a deduction."""
    order = lock_order(order_id)
    if order.fulfilment != Order.Fulfilment.PICKUP:
        raise OrderError(_("Only pick-up orders are picked up; delivery orders are completed on delivery."))
    move_order(order=order, to=Order.Status.COMPLETED, by=by, note=_("Picked up in store"))
    deduct_stock(store_id=order.store_id, lines=_lines(order), reference=order.number, by=by)
    return order


@transaction.atomic
def confirm_receipt(*, order_id: int, user) -> Order:
    """The shopper says the parcel arrived (for cash on delivery: and was paid for)."""
    order = lock_order(order_id)
    if order.user_id != user.pk:
        raise OrderError(_("This is not your order."))
    return move_order(order=order, to=Order.Status.COMPLETED, by=user, note=_("Receipt confirmed by the shopper"))


@transaction.atomic
def complete_delivery(*, order_id: int, by=None, note: str = "") -> Order:
    """Staff close a delivered order (e.g. the courier collected cash on delivery)."""
    order = lock_order(order_id)
    if order.fulfilment != Order.Fulfilment.DELIVERY:
        raise OrderError(_("A pick-up order is completed when it is picked up."))
    return move_order(order=order, to=Order.Status.COMPLETED, by=by, note=note)
