"""After-sales: return requests. Refunds themselves live in orders.services.refunds (re-exported here)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.exceptions import OrderError
from orders.locks import lock_order
from orders.models import OrderEvent, ReturnRequest
from orders.services.refunds import refund_late_payment, refund_order

__all__ = ["decide_return", "refund_late_payment", "refund_order", "request_return"]


@transaction.atomic
def request_return(*, order_id: int, user, reason: str) -> ReturnRequest:
    """A shopper asks to return goods or get money back; one open request per order."""
    order = lock_order(order_id)
    if order.user_id != user.pk:
        raise OrderError(_("This is not your order."))
    if not order.can_request_return:
        raise OrderError(_("This order cannot be returned now."))
    reason = reason.strip()
    if not reason:
        raise OrderError(_("Tell us why you want to return it."))
    if order.return_requests.filter(status=ReturnRequest.Status.REQUESTED).exists():
        raise OrderError(_("You already asked for a return of this order; we are looking at it."))
    request = ReturnRequest.objects.create(order=order, reason=reason[:500])
    OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, actor=user,
                              note=_("Return requested: %(reason)s") % {"reason": reason[:200]})
    return request


@transaction.atomic
def decide_return(*, request_id: int, approve: bool, by, note: str = "") -> ReturnRequest:
    """Staff approve or reject a return request (a refund is a separate, explicit step)."""
    request = ReturnRequest.objects.select_for_update().get(pk=request_id)
    if request.status != ReturnRequest.Status.REQUESTED:
        raise OrderError(_("This request was already decided."))
    request.status = ReturnRequest.Status.APPROVED if approve else ReturnRequest.Status.REJECTED
    request.decided_at, request.decided_by, request.staff_note = timezone.now(), by, note
    request.save(update_fields=["status", "decided_at", "decided_by", "staff_note"])
    order = request.order
    OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status, actor=by,
        note=(_("Return approved") if approve else _("Return rejected")) + (f": {note}" if note else ""),
    )
    return request
