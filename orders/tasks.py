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
