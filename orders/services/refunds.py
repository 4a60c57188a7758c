"""Refunds in two phases: decide and write them under the order lock, pay them out after commit.

What can be refunded is what succeeded payments brought in minus what was
already refunded, per payment (``Payment.refundable``), never the order's
total: an unpaid online order has nothing to give back, and a cash-on-delivery
order whose cash was not collected yet has only its wallet part.

1. ``refund_order`` (staff) and ``refund_late_payment`` (staff or the system)
   lock the order, work out the money per line (net amounts, the points
   share), and write the ``Refund`` with one ``RefundPayment`` leg per payment
   it goes back through: the wallet first, then the way the rest was paid.
   The wallet is our own ledger, so its leg settles in the same transaction.
2. Each external leg is paid out after commit by ``settle_refund_payment``
   (a Celery task keyed on the leg), which calls the provider with no row
   lock held and records the answer; a leg that fails for good gives its
   amount back to the payment and says so in the order's history.

Locks follow orders/locks.py: order, then stock rows, then the member account.
A ``key`` makes a decision once-only: a form posted twice, or a task run twice,
finds the refund it already made.
"""

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services as member_services
from orders.exceptions import RefundError
from orders.locks import lock_order
from orders.models import Order, OrderEvent, OrderLine, Payment, Refund, RefundLine, RefundPayment
from orders.payments.providers import RefundDeclined, provider_label, provider_named
from orders.services.notifications import queue_email
from shop.money import format_money as money
from shop.money import to_money
from shop.queue import queue_task
from stores.services import return_to_stock

logger = logging.getLogger(__name__)

ZERO = Decimal("0.00")
WALLET = "wallet"
TILL_CASH = "cash"  # cash taken at the counter (orders.payments.providers.CounterCash)
# The goods have left the shop: a full refund closes the order (refunded) instead of cancelling it.
GOODS_LEFT = {Order.Status.SHIPPED, Order.Status.COMPLETED}
# A full refund before the goods left cancels the order and frees its reservation.
CANCELLABLE = {Order.Status.PAID, Order.Status.READY_FOR_PICKUP}
# Attempts at paying out one external leg before it is failed for staff to handle.
SETTLE_ATTEMPTS = 5
KEY_MAX = Refund._meta.get_field("key").max_length


class SettleLater(Exception):
    """The provider could not be reached this time; the task tries again with backoff."""


# --- what can be refunded ---------------------------------------------------------------------


def refundable_payments(order: Order) -> list[Payment]:
    """The payments applied to the order that still hold money, the wallet first, till cash last, else oldest first.

    Late and duplicate payments (``needs_refund``) are not the order's money:
    they go back whole through ``refund_late_payment``. A counter sale split
    between card and cash pays a partial return back to the card before the
    drawer, so cash never goes out for goods a card paid for.
    """
    payments = [
        payment
        for payment in order.payments.filter(status=Payment.Status.SUCCEEDED, needs_refund=False).order_by("created_at", "pk")
        if payment.refundable > 0
    ]
    return sorted(payments, key=lambda payment: (payment.provider != WALLET, payment.provider == TILL_CASH))


def refundable_money(order: Order) -> Decimal:
    """What the shop holds for this order and could pay back now."""
    return sum((payment.refundable for payment in refundable_payments(order)), ZERO)


@dataclass(frozen=True)
class LineShare:
    line: OrderLine
    quantity: int
    amount: Decimal
    points: int


def _share(line: OrderLine, quantity: int) -> LineShare:
    """What ``quantity`` more units of a line give back: their part of its net and of its points.

    Computed on the running total (units refunded so far plus these), so the
    units of a line share its net to the cent and the last ones take the remainder.
    """
    units = line.refunded_quantity + quantity
    amount = to_money(line.net_total * units / line.quantity) - line.refunded_amount
    points = int((Decimal(line.points_used) * units / line.quantity).to_integral_value(rounding=ROUND_HALF_UP))
    return LineShare(line=line, quantity=quantity, amount=max(amount, ZERO), points=max(points - line.refunded_points, 0))


def _chosen_shares(order: Order, lines: dict[int, OrderLine], quantities) -> list[LineShare]:
    if quantities is None:
        return [_share(line, line.quantity - line.refunded_quantity) for line in lines.values()
                if line.quantity > line.refunded_quantity]
    if order.status not in GOODS_LEFT:
        raise RefundError(_("Refund single lines once the goods have left; before that, refund the whole order."))
    shares = []
    for line_id, quantity in quantities.items():
        line = lines.get(line_id)
        if line is None:
            raise RefundError(_("That line is not part of this order."))
        left = line.quantity - line.refunded_quantity
        if not isinstance(quantity, int) or quantity < 0 or quantity > left:
            raise RefundError(
                _("%(name)s: at most %(max)s more can be refunded.") % {"name": line.product_name, "max": left}
            )
        if quantity:
            shares.append(_share(line, quantity))
    if not shares:
        raise RefundError(_("Choose at least one unit to refund."))
    return shares


# --- phase 1: decide and write ----------------------------------------------------------------


def new_refund_key() -> str:
    """A one-time token for a refund form: the page carries it, the refund is keyed on it."""
    return uuid.uuid4().hex


def _clean_key(key: str | None) -> str:
    key = str(key or "").strip() or f"once-{new_refund_key()}"
    if len(key) > KEY_MAX or not key.isprintable():
        raise RefundError(_("This refund form is out of date; open it again."))
    return key


def _earlier(key: str, order_id: int) -> Refund | None:
    refund = Refund.objects.filter(key=key).first()
    if refund is not None and refund.order_id != order_id:
        raise RefundError(_("This refund form belongs to another order; open it again."))
    return refund


def _create_refund(**fields) -> Refund:
    # The same key for two orders at once passes both look-ups; the unique key decides.
    try:
        with transaction.atomic():
            return Refund.objects.create(**fields)
    except IntegrityError:
        raise RefundError(_("This refund form belongs to another order; open it again.")) from None


def _write_legs(refund: Refund, amount: Decimal, payments: list[Payment]) -> list[RefundPayment]:
    """Spread ``amount`` over the payments in order; the wallet leg is paid at once, the others are queued."""
    legs, left = [], amount
    for payment in payments:
        if left <= 0:
            break
        part = min(left, payment.refundable)
        left -= part
        leg = RefundPayment.objects.create(refund=refund, payment=payment, amount=part)
        Payment.objects.filter(pk=payment.pk).update(refunded_amount=F("refunded_amount") + part)
        legs.append(leg)
    return legs


def _settle_wallet_legs(refund: Refund, order: Order, legs: list[RefundPayment]) -> None:
    """Stored value is our own ledger: credit it inside the refund's transaction (member lock, step 4)."""
    for leg in legs:
        if leg.payment.provider != WALLET:
            continue
        member_services.refund_to_wallet(user_id=order.user_id, amount=leg.amount, reference=f"{order.number}-RP{leg.pk}")
        order.wallet_refunded += leg.amount
        leg.status, leg.settled_at, leg.attempts = Refund.Status.SUCCEEDED, timezone.now(), 1
        leg.provider_reference = f"wallet-{order.number}-RP{leg.pk}"
        leg.save(update_fields=["status", "settled_at", "attempts", "provider_reference"])
        _mark_payment_refunded(leg.payment_id)


def _queue_external_legs(legs: list[RefundPayment]) -> None:
    for leg in legs:
        if leg.status == Refund.Status.PENDING:
            transaction.on_commit(partial(_queue_settle, leg.pk))


def _queue_settle(leg_id: int) -> None:
    # By name: tasks import services, never the other way round. A lost hand-over is
    # picked up by retry_pending_refund_payments.
    queue_task("orders.tasks.settle_refund_payment_task", leg_id)


def _move_for_full_refund(order: Order, by, note: str, fields: list[str]) -> None:
    """A full refund changes the order's state through the workflow's refund edges.

    Before the goods left: cancelled, and the edge frees the reservation (stock
    rows, lock step 3); after: refunded. The refund itself pays the money and
    the points share back, so the edges do only what the state means for the goods.
    """
    from orders.workflow import Actor, apply_action

    order.save(update_fields=fields)
    if order.status in CANCELLABLE:
        apply_action(order, "refund_cancel", Actor.system(by), note=note)
    elif order.status in GOODS_LEFT:
        apply_action(order, "refund_close", Actor.system(by), note=note)
    else:  # already cancelled or refunded: money that was still held (a failed payout) goes back
        OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, actor=by, note=note)


def _uncount(order: Order, refund: Refund, amount: Decimal, fully: bool) -> None:
    """The member side of the money given back: spend, points earned on it, a referral on a full return."""
    from orders.services.membership import uncount_refund

    uncount_refund(order=order, amount=amount, points_reference=f"R{refund.pk}", fully=fully)


def _check_clerk_limit(order: Order, by, amount: Decimal) -> None:
    """A clerk refunds up to STORE_CLERK_REFUND_LIMIT at once; more needs the store's manager or head office."""
    from stores.models import StoreStaff
    from stores.selectors import store_role

    limit = settings.STORE_CLERK_REFUND_LIMIT
    if by is not None and amount > limit and store_role(by, order.store_id) == StoreStaff.Role.CLERK:
        raise RefundError(
            _("A clerk may refund up to %(limit)s at once; ask the store manager to refund %(amount)s.")
            % {"limit": money(limit), "amount": money(amount)}
        )


def refund_order(
    *, order_id: int, by, reason: str, key: str | None = None, quantities: dict[int, int] | None = None,
    restock: bool = False,
) -> Refund:
    """Refund a whole order (``quantities`` None) or some units of some lines, once per ``key``.

    Pays back net amounts (what the lines really cost after discounts) and
    their share of the points used; a full refund also pays back what is left
    of shipping and moves the order (cancelled with its stock freed before the
    goods left, refunded after). Never more than the payments brought in,
    wallet first. ``restock`` puts refunded units that came back on the shelf.
    A repeat with the same key returns the first refund. Raises RefundError.
    """
    reason = (reason or "").strip()
    if not reason:
        raise RefundError(_("Give a reason for the refund."))
    key = _clean_key(key)
    with transaction.atomic():
        if (earlier := _earlier(key, order_id)) is not None:
            return earlier
        order = lock_order(order_id)  # 2. the order: every refund of it queues here
        # A double submit waited on the lock above; now it sees the first one's refund.
        if (earlier := _earlier(key, order_id)) is not None:
            return earlier
        if order.status == Order.Status.PENDING_PAYMENT:
            raise RefundError(_("Order %(number)s is not paid yet: cancel it instead.") % {"number": order.number})
        if order.status == Order.Status.PLACED:
            raise RefundError(
                _("Order %(number)s has not been sent and its cash not collected: cancel it instead, which gives "
                  "back its stored value and points.") % {"number": order.number}
            )
        if (
            order.status == Order.Status.SHIPPED
            and order.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY
            and not order.payments.filter(provider="cod", status=Payment.Status.SUCCEEDED).exists()
        ):
            # The cash is still with the courier: a refund would mark goods as paid back that were never paid for.
            raise RefundError(
                _("Order %(number)s is on its way and its cash not collected: if the customer refuses it, record the "
                  "refused delivery instead, which restocks it and gives back its stored value and points.")
                % {"number": order.number}
            )
        payments = refundable_payments(order)
        held = sum((payment.refundable for payment in payments), ZERO)
        if held <= 0:
            raise RefundError(_("Order %(number)s has no payment to refund.") % {"number": order.number})
        lines = {line.pk: line for line in order.lines.all()}
        shares = _chosen_shares(order, lines, quantities)
        is_full = quantities is None
        if is_full:
            # Everything not yet refunded, as far as the payments brought it in (a cash-on-delivery
            # order whose cash was not collected gives back its wallet part only).
            amount = min(order.total - order.refunded_total, held)
        else:
            amount = sum((s.amount for s in shares), ZERO)
            if amount > held:
                raise RefundError(
                    _("Only %(held)s of order %(number)s was paid and not yet refunded, less than these units "
                      "cost (%(amount)s); the rest has not been collected.")
                    % {"held": money(held), "number": order.number, "amount": money(amount)}
                )
        points = sum(share.points for share in shares)
        if amount <= 0 and points <= 0:
            raise RefundError(_("Nothing is left to refund on this order."))
        _check_clerk_limit(order, by, amount)

        refund = _create_refund(
            order=order, key=key, amount=amount, points=points, reason=reason[:200],
            restock=restock and order.status in GOODS_LEFT, created_by=by,
        )
        RefundLine.objects.bulk_create(
            RefundLine(refund=refund, order_line=s.line, quantity=s.quantity, amount=s.amount, points=s.points)
            for s in shares if s.quantity
        )
        for s in shares:
            OrderLine.objects.filter(pk=s.line.pk).update(
                refunded_quantity=F("refunded_quantity") + s.quantity,
                refunded_amount=F("refunded_amount") + s.amount,
                refunded_points=F("refunded_points") + s.points,
            )
        legs = _write_legs(refund, amount, payments) if amount > 0 else []
        order.refunded_total += amount
        all_units_back = all(
            line.refunded_quantity + sum(s.quantity for s in shares if s.line.pk == line.pk) >= line.quantity
            for line in lines.values()
        )
        note = _("Refund of %(amount)s: %(reason)s") % {"amount": money(amount), "reason": reason[:150]}
        fields = ["refunded_total", "wallet_refunded"]
        # 3. stock rows: the state move frees the reservation, or returned units go back on the shelf.
        fully = is_full or (all_units_back and order.status in GOODS_LEFT)
        if fully:
            _move_for_full_refund(order, by, note, fields)
        else:
            order.save(update_fields=fields)
            OrderEvent.objects.create(order=order, from_status=order.status, to_status=order.status, actor=by, note=note)
        if refund.restock:
            return_to_stock(store_id=order.store_id, lines=[(s.line.variant_id, s.quantity) for s in shares if s.quantity],
                            reference=f"{order.number}-R{refund.pk}", by=by)
        # 4. the member account: stored value, points used given back, points earned and spend taken back.
        _settle_wallet_legs(refund, order, legs)
        order.save(update_fields=["wallet_refunded"])
        _give_back_points(order, refund, shares, is_full)
        _uncount(order, refund, amount, fully)
        _update_refund_status(refund)
        queue_email(kind="order_refunded", order=order)
        _queue_external_legs(legs)
    return refund


def _give_back_points(order: Order, refund: Refund, shares: list[LineShare], is_full: bool) -> None:
    points = sum(share.points for share in shares)
    if points:
        member_services.restore_points_share(
            user_id=order.user_id, order_number=order.number, refund_reference=f"R{refund.pk}", points=points
        )
    elif is_full and order.points_used:
        # An order placed before points were shared out over its lines: give back what it spent.
        member_services.restore_points(user_id=order.user_id, reference=order.number)


def refund_late_payment(*, payment_id: int, by, key: str) -> Refund:
    """Pay back a payment that arrived for an order no longer waiting for it (late, or a duplicate), once.

    The whole payment goes back the way it came; the order itself does not
    change. A repeat with the same key returns the first refund. Raises
    RefundError for a payment that was applied to its order or already refunded.
    """
    order_id = Payment.objects.filter(pk=payment_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise RefundError(_("There is no such payment."))
    key = _clean_key(key)
    with transaction.atomic():
        order = lock_order(order_id)  # the order's lock guards its payments too
        key, earlier = _live_key(key, order_id)
        if earlier is not None:
            return earlier
        payment = Payment.objects.get(pk=payment_id)
        if not payment.needs_refund:
            raise RefundError(_("This payment paid the order: refund the order instead."))
        amount = payment.refundable
        if amount <= 0:
            raise RefundError(_("This payment is already refunded (or being refunded)."))
        label = payment.transaction_id or payment.provider
        refund = _create_refund(
            order=order, key=key, amount=amount, reason=(_("Late or duplicate payment %(txn)s") % {"txn": label})[:200],
            created_by=by,
        )
        legs = _write_legs(refund, amount, [payment])
        OrderEvent.objects.create(
            order=order, from_status=order.status, to_status=order.status, actor=by,
            note=_("Payment %(txn)s (%(amount)s) is being paid back: it arrived when the order no longer awaited it.")
            % {"txn": label, "amount": money(amount)},
        )
        _queue_external_legs(legs)
    return refund


def _live_key(key: str, order_id: int) -> tuple[str, Refund | None]:
    """``key``, or when the refund made under it failed for good, the next key of its retry chain.

    A late payment is refunded under a key derived from the payment, so the
    system and staff refund it once; after a payout failed for good the money
    is back on the payment, and the next attempt (derived from the failed
    refund, so still once-only) must be able to happen.
    """
    while (earlier := _earlier(key, order_id)) is not None and earlier.status == Refund.Status.FAILED:
        key = f"{key[: KEY_MAX - 21]}+{earlier.pk}"
    return key, earlier


def refund_late_payment_key(payment_id: int) -> str:
    """The key the system refunds a flagged payment under, so it does so exactly once."""
    return f"late-payment-{payment_id}"


def refund_flagged_payment(*, payment_id: int) -> Refund | None:
    """The system's own refund of a payment it flagged; None when staff already refunded it."""
    try:
        return refund_late_payment(payment_id=payment_id, by=None, key=refund_late_payment_key(payment_id))
    except RefundError as err:
        logger.info("flagged payment %s not refunded by the system: %s", payment_id, err.message)
        return None


# --- phase 2: pay out an external leg, with no lock held ----------------------------------------


def settle_refund_payment(*, leg_id: int) -> RefundPayment | None:
    """Call the provider for one pending leg and record its answer; safe to run twice or at once.

    Each attempt is claimed by a conditional update on ``attempts``, so two
    workers never both call the provider for the same attempt; the provider
    gets the same reference every time and pays at most once. Raises
    SettleLater while the provider is unreachable and attempts remain.
    """
    leg = RefundPayment.objects.select_related("payment", "refund").filter(pk=leg_id).first()
    if leg is None or leg.status != Refund.Status.PENDING:
        return leg
    claimed = RefundPayment.objects.filter(pk=leg_id, status=Refund.Status.PENDING, attempts=leg.attempts).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return leg  # another worker took this attempt
    attempt = leg.attempts + 1
    provider = provider_named(leg.payment.provider)
    try:
        if provider is None:
            raise RefundDeclined(f"no provider {leg.payment.provider!r} to refund through")
        reference = provider.refund(payment=leg.payment, amount=leg.amount, reference=f"refund-{leg.pk}")
    except RefundDeclined as err:
        return _record_failure(leg_id, str(err) or err.__class__.__name__)
    except Exception as err:  # unreachable, timed out, or an answer we do not understand: try again
        error = str(err) or err.__class__.__name__
        if attempt < SETTLE_ATTEMPTS:
            RefundPayment.objects.filter(pk=leg_id).update(last_error=error[:500])
            raise SettleLater(error) from err
        return _record_failure(leg_id, error)
    return _record_success(leg_id, str(reference)[:100])


def _locked_leg(leg_id: int) -> tuple[Order, RefundPayment]:
    order_id = RefundPayment.objects.filter(pk=leg_id).values_list("refund__order_id", flat=True).get()
    order = lock_order(order_id)
    return order, RefundPayment.objects.select_for_update().select_related("payment").get(pk=leg_id)


def _mark_payment_refunded(payment_id: int) -> None:
    Payment.objects.filter(pk=payment_id, refunded_amount=F("amount"), refunded_at__isnull=True).update(
        refunded_at=timezone.now()
    )


@transaction.atomic
def _record_success(leg_id: int, reference: str) -> RefundPayment:
    _order, leg = _locked_leg(leg_id)
    if leg.status != Refund.Status.PENDING:
        return leg
    leg.status, leg.provider_reference, leg.settled_at, leg.last_error = Refund.Status.SUCCEEDED, reference, timezone.now(), ""
    leg.save(update_fields=["status", "provider_reference", "settled_at", "last_error"])
    _mark_payment_refunded(leg.payment_id)
    _update_refund_status(leg.refund)
    return leg


@transaction.atomic
def _record_failure(leg_id: int, error: str) -> RefundPayment:
    """The provider will not pay this leg: the money is still with the shop, and staff are told."""
    order, leg = _locked_leg(leg_id)
    if leg.status != Refund.Status.PENDING:
        return leg
    leg.status, leg.last_error = Refund.Status.FAILED, error[:500]
    leg.save(update_fields=["status", "last_error"])
    Payment.objects.filter(pk=leg.payment_id).update(refunded_amount=F("refunded_amount") - leg.amount)
    if not leg.payment.needs_refund:
        Order.objects.filter(pk=order.pk).update(refunded_total=F("refunded_total") - leg.amount)
    OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status,
        note=(_("Refund of %(amount)s through %(provider)s failed (%(error)s): the money was not paid back; "
                "refund it again or pay it back by hand.")
              % {"amount": money(leg.amount), "provider": provider_label(leg.payment.provider), "error": error[:200]})[:500],
    )
    logger.error("refund leg %s for order %s failed for good: %s", leg.pk, order.number, error)
    _update_refund_status(leg.refund)
    return leg


def _update_refund_status(refund: Refund) -> None:
    statuses = set(refund.legs.values_list("status", flat=True))
    if Refund.Status.FAILED in statuses:
        status = Refund.Status.FAILED
    elif Refund.Status.PENDING in statuses:
        status = Refund.Status.PENDING
    else:
        status = Refund.Status.SUCCEEDED  # every leg paid (or nothing to pay: points only)
    Refund.objects.filter(pk=refund.pk).exclude(status=status).update(status=status)
    refund.status = status


def retry_pending_refund_payments(*, older_than_minutes: int = 15, limit: int = 200) -> int:
    """Re-queue external legs still pending after a while (a task lost while the broker was down)."""
    since = timezone.now() - timedelta(minutes=older_than_minutes)
    ids = list(
        RefundPayment.objects.filter(status=Refund.Status.PENDING, refund__created_at__lt=since)
        .order_by("pk").values_list("pk", flat=True)[:limit]
    )
    for leg_id in ids:
        _queue_settle(leg_id)
    return len(ids)
