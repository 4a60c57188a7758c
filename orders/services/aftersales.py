"""After-sales: return requests and refunds (full or per line, with or without restocking)."""

from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services as member_services
from orders.exceptions import OrderError, RefundError
from orders.models import Order, OrderEvent, OrderLine, Payment, Refund, RefundLine, ReturnRequest
from orders.payments import provider_for
from orders.services.notifications import queue_email
from orders.services.transitions import lock_order, move_order
from shop.money import to_money
from stores.services import release_stock, return_to_stock

GOODS_LEFT = {Order.Status.SHIPPED, Order.Status.COMPLETED}


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


def refund_amount_for(lines: dict[OrderLine, int]) -> Decimal:
    """Per-line refunds pay back what those units cost: unit price × quantity, rounded once per line."""
    return sum((to_money(line.unit_price * quantity) for line, quantity in lines.items()), Decimal("0.00"))


@transaction.atomic
def refund_order(
    *, order_id: int, by, reason: str, quantities: dict[int, int] | None = None, restock: bool = False
) -> Refund:
    """Refund a whole order (``quantities`` None) or some units of some lines.

    A full refund of an order whose goods have not left cancels it and frees
    its stock; a full refund after shipping marks it refunded. Per-line
    refunds are for goods that have left; ``restock`` puts those units back
    on the shelf of the store that sent them. Never refunds more than was
    paid or more units than were bought. Raises RefundError.
    """
    order = lock_order(order_id)
    paid = (
        order.payments.filter(status=Payment.Status.SUCCEEDED, needs_refund=False)
        .exclude(provider="wallet")
        .order_by("created_at")
        .first()
    )
    cash_collected = (
        order.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY and order.status == Order.Status.COMPLETED
    )
    if paid is None and not cash_collected and order.wallet_amount == 0:
        raise RefundError(_("Order %(number)s has no payment to refund.") % {"number": order.number})
    if not reason.strip():
        raise RefundError(_("Give a reason for the refund."))
    lines = {line.pk: line for line in order.lines.all()}

    if quantities is None:
        chosen = {line: line.quantity - line.refunded_quantity for line in lines.values() if line.quantity > line.refunded_quantity}
        amount = order.refundable_amount
    else:
        if order.status not in GOODS_LEFT:
            raise RefundError(_("Refund single lines once the goods have left; before that, refund the whole order."))
        chosen = {}
        for line_id, quantity in quantities.items():
            line = lines.get(line_id)
            if line is None:
                raise RefundError(_("That line is not part of this order."))
            if quantity < 0 or quantity > line.quantity - line.refunded_quantity:
                raise RefundError(
                    _("%(name)s: at most %(max)s more can be refunded.")
                    % {"name": line.product_name, "max": line.quantity - line.refunded_quantity}
                )
            if quantity:
                chosen[line] = quantity
        if not chosen:
            raise RefundError(_("Choose at least one unit to refund."))
        amount = min(refund_amount_for(chosen), order.refundable_amount)
    if amount <= 0:
        raise RefundError(_("Nothing is left to refund on this order."))

    reference = f"{order.number}-R{order.refunds.count() + 1}"
    # Stored value goes back to the wallet first; the rest the way it was paid.
    to_wallet = min(amount, order.wallet_amount - order.wallet_refunded)
    external = amount - to_wallet
    provider_reference = ""
    if external > 0:
        provider_reference = provider_for(order).refund(payment=paid, amount=external, reference=reference)
    if to_wallet > 0:
        member_services.refund_to_wallet(user_id=order.user_id, amount=to_wallet, reference=reference)
        order.wallet_refunded += to_wallet
        provider_reference = " + ".join(p for p in [provider_reference, f"wallet {to_wallet}"] if p)
    was_counted = order.status in (Order.Status.COMPLETED,)
    refund = Refund.objects.create(
        order=order, amount=amount, reason=reason.strip()[:200], restock=restock,
        provider_reference=provider_reference, created_by=by,
    )
    RefundLine.objects.bulk_create(
        RefundLine(refund=refund, order_line=line, quantity=quantity, amount=to_money(line.unit_price * quantity))
        for line, quantity in chosen.items()
    )
    for line, quantity in chosen.items():
        OrderLine.objects.filter(pk=line.pk).update(refunded_quantity=F("refunded_quantity") + quantity)
    order.refunded_total += amount
    goods_left = order.status in GOODS_LEFT
    fully = order.refunded_total == order.total
    note = _("Refunded %(amount)s: %(reason)s") % {"amount": amount, "reason": reason.strip()[:150]}
    money_fields = ["refunded_total", "wallet_refunded"]
    if fully and not goods_left:
        move_order(order=order, to=Order.Status.CANCELLED, by=by, note=note, update_fields=money_fields)
        release_stock(store_id=order.store_id, lines=[(l.variant_id, l.quantity) for l in lines.values()],
                      reference=order.number, by=by)
        if order.points_used:
            member_services.restore_points(user_id=order.user_id, reference=order.number)
    elif fully:
        move_order(order=order, to=Order.Status.REFUNDED, by=by, note=note, update_fields=money_fields)
    else:
        order.save(update_fields=money_fields)
        OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, actor=by, note=note)
    # Points earned on the money given back are taken back, in the same share.
    member_services.reverse_points_for_refund(
        user_id=order.user_id, order_number=order.number, refund_reference=reference, share=amount / order.total
    )
    if was_counted:
        # The order's own time, so a refund never makes an old order look recent.
        member_services.record_order_activity(user_id=order.user_id, spend_delta=-amount, at=order.completed_at)
    queue_email(kind="order_refunded", order=order)
    if restock and goods_left:
        return_to_stock(store_id=order.store_id, lines=[(l.variant_id, q) for l, q in chosen.items()],
                        reference=reference, by=by)
    return refund
