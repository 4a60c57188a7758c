"""Pick-up codes (自提核销): the code a shopper shows in store, checking it, and giving up uncollected orders.

- ``issue_pickup_code`` runs as an effect of the workflow's ``ready_for_pickup``
  edge: a random 6-digit code, unique among the store's waiting orders, and a
  collect-by deadline (ORDER_PICKUP_DAYS).
- ``hand_over_with_code`` is what the staff pages call: a wrong code is
  counted by one guarded UPDATE (so parallel wrong tries stop at the limit and
  lock the order for ORDER_PICKUP_LOCK_MINUTES); a right code moves the order
  through the workflow's ``hand_over`` edge, whose data guard checks it again
  under the order lock.
- ``cancel_uncollected_pickups`` (a beat task) refunds orders past their
  deadline through ``refund_order`` with a key derived from the order, so a
  second run refunds nothing twice.
"""

import logging
import re
import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext as _

from orders.exceptions import OrderError
from orders.models import Order

logger = logging.getLogger(__name__)

S = Order.Status
# What the shopper's QR code holds; a scanner types it into the code field like a keyboard.
QR_PREFIX = "PICKUP"
SCANNED = re.compile(rf"^{QR_PREFIX}:(?P<number>[\w-]{{1,20}}):(?P<code>\d{{6}})$")


class PickupError(OrderError):
    """A hand-over that cannot happen; ``message`` is fit to show to staff."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class PickupOrderNotFound(PickupError):
    """No waiting pick-up order with this number or code in the stores this person works for (a 404)."""


class WrongPickupCode(PickupError):
    pass


def max_failures() -> int:
    return int(getattr(settings, "ORDER_PICKUP_MAX_FAILURES", 5))


def lock_minutes() -> int:
    return int(getattr(settings, "ORDER_PICKUP_LOCK_MINUTES", 15))


def _new_code(store_id: int) -> str:
    # Unique among the store's waiting orders, so a clerk may look an order up by its code alone.
    for _attempt in range(20):
        code = f"{secrets.randbelow(10**6):06d}"
        if not Order.objects.filter(store_id=store_id, status=S.READY_FOR_PICKUP, pickup_code=code).exists():
            return code
    return code


def issue_pickup_code(order: Order) -> None:
    """Give a ready order its code and collect-by deadline, with the failure count cleared; inside the move."""
    order.pickup_code = _new_code(order.store_id)
    order.pickup_code_failures = 0
    order.pickup_locked_until = None
    order.pickup_deadline = timezone.now() + timedelta(days=int(getattr(settings, "ORDER_PICKUP_DAYS", 3)))
    order.save(update_fields=["pickup_code", "pickup_code_failures", "pickup_locked_until", "pickup_deadline"])


def pickup_qr_payload(order: Order) -> str:
    return f"{QR_PREFIX}:{order.number}:{order.pickup_code}"


def parse_scanned(raw: str) -> tuple[str, str]:
    """(order number or "", code) from what was typed or scanned: a bare code or the QR's payload."""
    raw = (raw or "").strip()
    match = SCANNED.match(raw)
    if match:
        return match["number"], match["code"]
    return "", re.sub(r"\s+", "", raw)


def is_locked(order: Order, now=None) -> bool:
    return order.pickup_locked_until is not None and order.pickup_locked_until > (now or timezone.now())


def pickup_code_refusal(order: Order, code: str) -> str | None:
    """Why this code does not hand the order over, or None when it does (the workflow's data guard)."""
    if is_locked(order):
        return locked_message(order)
    if not order.pickup_code or not constant_time_compare(str(code), order.pickup_code):
        return _("That is not the pick-up code of order %(number)s.") % {"number": order.number}
    return None


def locked_message(order: Order) -> str:
    return _("Too many wrong codes for order %(number)s: try again after %(time)s.") % {
        "number": order.number, "time": timezone.localtime(order.pickup_locked_until).strftime("%H:%M"),
    }


def record_wrong_code(order_id: int) -> int | None:
    """Count one wrong try in one guarded UPDATE; the try that reaches the limit locks the order.

    Returns the failures now recorded, or None when the order was already
    locked (the try is not counted). Runs outside any transaction the move
    takes, so the count survives the refusal.
    """
    now = timezone.now()
    limit = max_failures()
    unlocked = Q(pickup_locked_until__isnull=True) | Q(pickup_locked_until__lte=now)
    # After a lock ran out, the next wrong try starts counting again from one.
    updated = Order.objects.filter(unlocked, pk=order_id, status=S.READY_FOR_PICKUP).update(
        pickup_code_failures=Case(When(pickup_code_failures__gte=limit, then=Value(1)), default=F("pickup_code_failures") + 1),
        pickup_locked_until=Case(
            When(pickup_code_failures=limit - 1, then=Value(now + timedelta(minutes=lock_minutes()))),
            default=Value(None),
        ),
    )
    if not updated:
        return None
    return Order.objects.values_list("pickup_code_failures", flat=True).get(pk=order_id)


def waiting_pickups_for(actor):
    """Ready pick-up orders this staff actor may hand over: their stores', or every store's for HQ."""
    from orders.workflow import ActorKind

    queryset = Order.objects.filter(status=S.READY_FOR_PICKUP, fulfilment=Order.Fulfilment.PICKUP)
    if actor is None:
        return queryset.none()
    if actor.kind == ActorKind.STORE_STAFF:
        queryset = queryset.filter(store_id__in=actor.store_ids)
    return queryset


def _lookup_misses_key(actor) -> str:
    return f"pickup:code-misses:{getattr(actor.user, 'pk', 'system')}"


def find_pickup_order(*, actor, number: str = "", code: str = "") -> Order:
    """The waiting order a clerk means: by number, or by its code alone within their stores.

    Another store's order is as unknown as a missing one. A code alone that
    matches no order counts against the staff member (there is no order to
    count it on): after ORDER_PICKUP_MAX_LOOKUP_MISSES in a lock period they
    must give the order number, so nobody can walk through the codes.
    Raises PickupOrderNotFound.
    """
    from django.core.cache import cache

    queryset = waiting_pickups_for(actor).select_related("store", "user")
    number = (number or "").strip()
    if number:
        order = queryset.filter(number__iexact=number).first()
    else:
        key, limit = _lookup_misses_key(actor), int(getattr(settings, "ORDER_PICKUP_MAX_LOOKUP_MISSES", 20))
        if (cache.get(key) or 0) >= limit:
            raise PickupOrderNotFound(_("Too many codes that matched no order: enter the order number with the code."))
        matches = list(queryset.filter(pickup_code=code)[:2]) if re.fullmatch(r"\d{6}", code or "") else []
        if len(matches) > 1:
            raise PickupOrderNotFound(_("More than one order waits with this code: enter the order number too."))
        order = matches[0] if matches else None
        if order is None:
            cache.add(key, 0, timeout=lock_minutes() * 60)
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr: start again
                cache.set(key, 1, timeout=lock_minutes() * 60)
    if order is None:
        raise PickupOrderNotFound(_("No order waiting for pick-up matches this in your stores."))
    return order


def hand_over_with_code(*, order_id: int, code: str, actor, note: str = "") -> Order:
    """Complete a pick-up order with the code the shopper shows; refusals change nothing but the wrong-try count.

    Raises PickupOrderNotFound (not in this person's stores), WrongPickupCode
    (counted; locked at the limit) and workflow.ActionRefused.
    """
    from orders.workflow import ActionRefused, move_order

    order = waiting_pickups_for(actor).filter(pk=order_id).first()
    if order is None:
        raise PickupOrderNotFound(_("No order waiting for pick-up matches this in your stores."))
    code = (code or "").strip()
    if is_locked(order):
        raise WrongPickupCode(locked_message(order))
    if not order.pickup_code or not constant_time_compare(code, order.pickup_code):
        failures = record_wrong_code(order.pk)
        order.refresh_from_db(fields=["pickup_code_failures", "pickup_locked_until"])
        if failures is None or is_locked(order):
            raise WrongPickupCode(locked_message(order))
        raise WrongPickupCode(
            _("That is not the pick-up code of order %(number)s (%(left)s tries left).")
            % {"number": order.number, "left": max(max_failures() - failures, 0)}
        )
    try:
        return move_order(order_id=order.pk, action="hand_over", actor=actor, pickup_code=code, note=note)
    except ActionRefused as err:
        raise WrongPickupCode(err.message) from err


def uncollected_refund_key(order: Order) -> str:
    """The one refund key of an uncollected order, so the beat task refunds it once however often it runs."""
    return f"pickup-expired-{order.pk}"


def cancel_uncollected_pickups(*, limit: int = 200) -> int:
    """Cancel and refund pick-up orders nobody collected by their deadline; safe to run twice or concurrently.

    Each order goes through refund_order (lock, refund_cancel edge, stock
    freed) under a key derived from it; an order with nothing paid to refund
    is cancelled through the same edge. Returns how many were given up.
    """
    from orders.locks import lock_order
    from orders.services.refunds import refund_order
    from orders.workflow import ActionRefused, Actor, apply_action
    from django.db import transaction

    now = timezone.now()
    ids = list(
        Order.objects.filter(status=S.READY_FOR_PICKUP, pickup_deadline__lte=now)
        .order_by("pickup_deadline").values_list("pk", flat=True)[:limit]
    )
    reason = _("Not collected by the pick-up deadline")
    done = 0
    for order_id in ids:
        order = Order.objects.get(pk=order_id)
        try:
            if order.total - order.refunded_total > 0:
                refund = refund_order(order_id=order_id, by=None, reason=reason, key=uncollected_refund_key(order))
                done += refund.order_id == order_id
                continue
            with transaction.atomic():
                order = lock_order(order_id)
                if order.status != S.READY_FOR_PICKUP:
                    continue
                apply_action(order, "refund_cancel", Actor.system(), note=reason)
                done += 1
        except (OrderError, ActionRefused) as err:
            # Collected or refunded since we looked, or nothing to refund: the next run sees its new state.
            logger.info("uncollected pick-up %s left as it is: %s", order_id, err)
    return done
