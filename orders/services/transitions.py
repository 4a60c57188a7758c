"""Order moves as named use cases, all through the workflow (orders/workflow.py).

The use cases here (``ship_order``, ``cancel_order`` …) are the old entry
points; each is one ``workflow.move_order`` call with the actor worked out
from ``by``. New code calls the workflow directly.

Callers that already hold the order lock inside their own transaction
(checkout's wallet-paid order, payments, refunds) use
``workflow.apply_action``.
"""

from orders import workflow
from orders.locks import lock_order as _lock_order
from orders.models import Order
from orders.workflow import Actor, ActionRefused, actor_for


def lock_order(order_id: int) -> Order:
    """The order row, locked (step 2 of the lock order). Raises Order.DoesNotExist."""
    return _lock_order(order_id)


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


def mark_picked_up(*, order_id: int, pickup_code: str, by=None) -> Order:
    """Store staff hand a pick-up order over against its code: the reservation becomes a deduction and the order counts.

    Wrong codes are counted and lock the order (orders.services.pickup.hand_over_with_code, which staff pages call).
    """
    from orders.services.pickup import hand_over_with_code

    return hand_over_with_code(order_id=order_id, code=pickup_code, actor=_staff_or_system(by))


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
