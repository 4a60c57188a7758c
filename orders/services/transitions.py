"""Order moves as named use cases, all through the workflow (orders/workflow.py).

The use cases here (``ship_order``, ``cancel_order`` …) are the old entry
points; each is one ``workflow.move_order`` call with the actor worked out
from ``by``. New code calls the workflow directly.

``lock_order`` and the low-level ``move_order(order=…, to=…)`` remain for
callers that still set a state themselves inside their own transaction
(checkout's wallet-paid order, payments and refunds): it checks that the
workflow has an edge between the two states, but runs no edge effects.
Prefer ``workflow.apply_action``, which does.
"""

from django.db import transaction
from django.utils import timezone

from orders import workflow
from orders.exceptions import IllegalTransition
from orders.locks import lock_order as _lock_order
from orders.models import Order, OrderEvent
from orders.services.notifications import queue_email
from orders.workflow import Actor, ActionRefused, actor_for
from shop.queue import queue_task

EMAILS = {
    Order.Status.PAID: "order_paid",
    Order.Status.SHIPPED: "order_shipped",
    Order.Status.READY_FOR_PICKUP: "order_ready_for_pickup",
    Order.Status.CANCELLED: "order_cancelled",
}


def lock_order(order_id: int) -> Order:
    """The order row, locked (step 2 of the lock order). Raises Order.DoesNotExist."""
    return _lock_order(order_id)


def move_order(*, order: Order, to: str, by=None, note: str = "", update_fields=()) -> Order:
    """Set a locked order's state to ``to`` if the workflow has an edge for it; record and notify.

    Low level: the caller holds the row lock and does the stock and money
    work itself. Raises IllegalTransition when no edge goes there.
    """
    if not workflow.has_edge(order.status, to):
        raise IllegalTransition(order=order, to=to)
    from_status = order.status
    order.status = to
    fields = ["status", *update_fields]
    if to in workflow.TIMESTAMPS:
        setattr(order, workflow.TIMESTAMPS[to], timezone.now())
        fields.append(workflow.TIMESTAMPS[to])
    order.save(update_fields=fields)
    OrderEvent.objects.create(order=order, from_status=from_status, to_status=to, actor=by, note=note)
    if to in EMAILS:
        queue_email(kind=EMAILS[to], order=order)
    if to == Order.Status.COMPLETED:
        transaction.on_commit(lambda order_id=order.pk: queue_task("orders.tasks.count_order_task", order_id))
    return order


def cancel_order(*, order_id: int, by=None, note: str = "", reason: str = "") -> Order:
    """Cancel an unpaid order: its stock, points and wallet part go back exactly once.

    A paid order is cancelled by refunding it in full. Raises ActionRefused
    (an IllegalTransition) for any other state or an actor who may not.
    """
    return workflow.move_order(order_id=order_id, action="cancel", actor=actor_for(by), note=note or reason)


def cancel_by_shopper(*, order_id: int, user) -> Order:
    """A shopper cancels their own order while it is unpaid (or cash on delivery, not yet shipped)."""
    from django.utils.translation import gettext as _

    return workflow.move_order(
        order_id=order_id, action="cancel", actor=Actor.shopper(user), note=_("Cancelled by the shopper")
    )


def ship_order(*, order_id: int, carrier: str, tracking_number: str, by=None) -> Order:
    """Hand a delivery order to the carrier: the reservation becomes a deduction."""
    return workflow.move_order(
        order_id=order_id, action="ship", actor=_staff_or_system(by), carrier=carrier, tracking_number=tracking_number
    )


def mark_ready_for_pickup(*, order_id: int, by=None) -> Order:
    return workflow.move_order(order_id=order_id, action="ready_for_pickup", actor=_staff_or_system(by))


def mark_picked_up(*, order_id: int, by=None) -> Order:
    """Store staff hand a pick-up order over: the reservation becomes a deduction and the order counts."""
    return workflow.move_order(order_id=order_id, action="hand_over", actor=_staff_or_system(by))


def confirm_receipt(*, order_id: int, user) -> Order:
    """The shopper says the parcel arrived."""
    return workflow.move_order(order_id=order_id, action="confirm_receipt", actor=Actor.shopper(user))


def complete_delivery(*, order_id: int, by=None, note: str = "") -> Order:
    """Staff close a delivered order; for cash on delivery this records the cash the courier collected."""
    return workflow.move_order(order_id=order_id, action="complete_delivery", actor=_staff_or_system(by), note=note)


def refuse_delivery(*, order_id: int, by=None, note: str = "") -> Order:
    """A cash-on-delivery parcel came back refused: cancelled, restocked, points and wallet part returned."""
    return workflow.move_order(order_id=order_id, action="refuse_delivery", actor=_staff_or_system(by), note=note)


def _staff_or_system(by) -> Actor:
    # Staff steps called from code without a person (demo data, scripts) act as head office;
    # a person acts as who they are, so store staff stay inside their stores.
    if by is None:
        from orders.workflow import ActorKind

        return Actor(kind=ActorKind.HQ)
    actor = workflow.staff_actor(by)
    if actor is None:
        raise ActionRefused(_not_staff_message(), action="")
    return actor


def _not_staff_message() -> str:
    from django.utils.translation import gettext as _

    return _("Only store staff and head office move orders in the back office.")
