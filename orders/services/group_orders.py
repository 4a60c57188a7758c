"""Group-buy orders (拼团): a group that fills sends its orders on; one that fails is refunded, once.

Marketing keeps groups and places by order number; this module is the orders
side: which member orders are paid, moving them on, refunding or cancelling
them. Locks follow orders/locks.py: the order (held by the pay edge), then the
group row (marketing, step 5).
"""

import logging

from django.db import transaction
from django.utils.translation import gettext as _

from marketing.services import groups as group_services
from orders.exceptions import OrderError
from orders.models import Order

logger = logging.getLogger(__name__)

WAITING_PAID = {Order.Status.PAID}


def settle_group_if_full(*, group_code: str) -> bool:
    """Close the group as succeeded when every slot is held by a paid order; its orders stop waiting.

    Called from the workflow's pay edge under the paying order's lock. The
    group row is locked next, so the last two members paying at once queue
    here and the second sees the first's payment: the group succeeds once.
    """
    group = group_services.lock_group(group_code)
    if group is None or group.status != group.Status.OPEN or group.joined < group.size:
        return False
    numbers = group_services.member_order_numbers(group)
    paid = Order.objects.filter(number__in=numbers, status__in=WAITING_PAID).count()
    if paid < group.size:
        return False  # someone still has to pay; their payment decides
    if not group_services.mark_group_succeeded(group_id=group.pk):
        return False
    Order.objects.filter(number__in=numbers, is_waiting_for_group=True).update(is_waiting_for_group=False)
    return True


def refund_key(order: Order) -> str:
    """The once-only key of a failed group's refund: a run repeated, late or on two workers refunds once."""
    return f"group-failed-{order.group_code}-{order.number}"


def close_overdue_groups(*, limit: int = 200) -> int:
    """Fail open groups whose deadline passed, then refund or cancel every order still waiting on a failed group.

    Safe to run twice or concurrently: the group is claimed by a conditional
    update, each paid member is refunded through refund_order with a key
    derived from group and order, an unpaid one is cancelled through the
    workflow; an order is done once it no longer waits for its group, so a run
    that crashed half way is finished by the next.
    """
    for group_id in group_services.overdue_group_ids(limit=limit):
        group_services.claim_failed_group(group_id=group_id)
    waiting_codes = set(
        Order.objects.filter(is_waiting_for_group=True).exclude(group_code="").values_list("group_code", flat=True)
    )
    failed = group_services.failed_group_codes(codes=waiting_codes)
    done = 0
    for order_id in Order.objects.filter(group_code__in=failed, is_waiting_for_group=True).values_list("pk", flat=True)[:limit]:
        try:
            close_failed_group_order(order_id=order_id)
            done += 1
        except OrderError as err:  # a refund that cannot be made now is left for staff, and logged
            logger.warning("failed group order %s not closed: %s", order_id, err.message)
    return done


def close_failed_group_order(*, order_id: int) -> None:
    """One order of a failed group: refunded in full if paid, cancelled if not; it then stops waiting."""
    from orders.services.refunds import refund_order
    from orders.workflow import ActionRefused, Actor, move_order

    order = Order.objects.get(pk=order_id)
    if order.status == Order.Status.PENDING_PAYMENT:
        try:
            move_order(order_id=order_id, action="cancel", actor=Actor.system(),
                       note=_("The group did not fill in time"))
        except ActionRefused:
            pass  # paid or cancelled since we looked: the next run sees its new state
    elif order.status in (Order.Status.PAID, Order.Status.READY_FOR_PICKUP):
        refund_order(order_id=order_id, by=None, reason=_("The group did not fill in time"), key=refund_key(order))
    order.refresh_from_db(fields=["status"])
    if order.status in (Order.Status.CANCELLED, Order.Status.REFUNDED):
        with transaction.atomic():
            Order.objects.filter(pk=order_id).update(is_waiting_for_group=False)
