"""Celery wrappers for orders: load by id, call one service. Tasks import services; services queue tasks by name."""

from celery import shared_task


@shared_task(acks_late=True, time_limit=60, soft_time_limit=50, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_outbox_message_task(message_id: int) -> bool:
    from orders.services.notifications import send_outbox_message

    return send_outbox_message(message_id=message_id)


@shared_task(time_limit=300, soft_time_limit=240)
def flush_outbox_task() -> int:
    from orders.services.notifications import flush_outbox

    return flush_outbox()


@shared_task(time_limit=300, soft_time_limit=240)
def expire_unpaid_orders_task() -> int:
    from orders.services.payments import expire_unpaid_orders

    return expire_unpaid_orders()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def count_order_task(order_id: int) -> bool:
    """Credit a completed order to its member; claimed once, so a repeat or a late run does nothing."""
    from orders.services.membership import count_order

    return count_order(order_id=order_id)


@shared_task(time_limit=300, soft_time_limit=240)
def count_uncounted_orders_task() -> int:
    """Count recent completions whose counting task was lost; each order is claimed once, so repeats are harmless."""
    from orders.services.membership import catch_up_completed_orders

    return catch_up_completed_orders()


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def order_completed_task(order_id: int) -> bool:
    """The old name of count_order_task, for messages queued before it was renamed."""
    from orders.services.membership import count_order

    return count_order(order_id=order_id)


@shared_task(time_limit=600, soft_time_limit=540)
def auto_confirm_receipts_task() -> int:
    """Complete delivery orders ORDER_AUTO_COMPLETE_DAYS after shipping; each order moves once."""
    from orders.workflow import auto_confirm_receipts

    return auto_confirm_receipts()


@shared_task(time_limit=600, soft_time_limit=570)
def cancel_uncollected_pickups_task() -> int:
    """Cancel and refund pick-up orders past their collect-by deadline; each order once (a derived refund key)."""
    from orders.services.pickup import cancel_uncollected_pickups

    return cancel_uncollected_pickups()


@shared_task(time_limit=3600, soft_time_limit=3500)
def nightly_membership_task() -> int:
    """Count completions nobody counted, then re-evaluate every member's tier."""
    from orders.services.membership import catch_up_completed_orders, reevaluate_tiers

    catch_up_completed_orders()
    return reevaluate_tiers()


# --- refunds (orders/services/refunds.py): the provider is called here, after commit, never under a lock ---

REFUND_RETRY_COUNTDOWNS = (30, 120, 600, 1800)  # seconds before the 2nd … 5th attempt at paying out a leg


@shared_task(bind=True, acks_late=True, time_limit=120, soft_time_limit=100, max_retries=len(REFUND_RETRY_COUNTDOWNS))
def settle_refund_payment_task(self, leg_id: int) -> str | None:
    """Pay out one refund leg through its provider; retried with backoff while the provider is unreachable."""
    from orders.services.refunds import SettleLater, settle_refund_payment

    try:
        leg = settle_refund_payment(leg_id=leg_id)
    except SettleLater as err:
        countdown = REFUND_RETRY_COUNTDOWNS[min(self.request.retries, len(REFUND_RETRY_COUNTDOWNS) - 1)]
        raise self.retry(exc=err, countdown=countdown) from err
    return leg.status if leg is not None else None


@shared_task(acks_late=True, time_limit=120, soft_time_limit=100)
def refund_flagged_payment_task(payment_id: int) -> int | None:
    """Pay back a late or duplicate payment the system flagged; keyed on the payment, so once only."""
    from orders.services.refunds import refund_flagged_payment

    refund = refund_flagged_payment(payment_id=payment_id)
    return refund.pk if refund is not None else None


@shared_task(time_limit=600, soft_time_limit=540)
def retry_pending_refund_payments_task() -> int:
    """Re-queue refund legs whose task was lost (the broker was down when they were written)."""
    from orders.services.refunds import retry_pending_refund_payments

    return retry_pending_refund_payments()


@shared_task(time_limit=600, soft_time_limit=540)
def close_overdue_groups_task() -> int:
    """Fail group buys whose time ran out and refund or cancel their orders; once per order, safe to repeat."""
    from orders.services.group_orders import close_overdue_groups

    return close_overdue_groups()


@shared_task(time_limit=300, soft_time_limit=240)
def send_back_in_stock_notices_task() -> int:
    """到货通知: each waiting request is claimed once, so a repeat or an overlapping run mails nobody twice."""
    from orders.services.notifications import send_back_in_stock_notices

    return send_back_in_stock_notices()
