from celery import shared_task


@shared_task(time_limit=300, soft_time_limit=240, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def check_low_stock_task() -> int:
    """Alert store managers once per threshold crossing (claimed with a conditional update)."""
    from stores.services import claim_low_stock_alerts, send_low_stock_alerts

    claimed = claim_low_stock_alerts()
    if claimed:
        send_low_stock_alerts(stock_ids=claimed)
    return len(claimed)
