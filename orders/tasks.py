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
def order_completed_task(order_id: int) -> None:
    from orders.services.membership import on_order_completed

    on_order_completed(order_id=order_id)


@shared_task(time_limit=3600, soft_time_limit=3500)
def nightly_membership_task() -> int:
    """Catch up lost completions, then re-evaluate every member's tier."""
    from orders.services.membership import catch_up_completed_orders, reevaluate_tiers

    catch_up_completed_orders()
    return reevaluate_tiers()
