from celery import shared_task


@shared_task(time_limit=300, soft_time_limit=240, autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def check_low_stock_task() -> int:
    """Alert store managers once per threshold crossing (claimed with a conditional update)."""
    from stores.services import claim_low_stock_alerts, send_low_stock_alerts

    claimed = claim_low_stock_alerts()
    if claimed:
        send_low_stock_alerts(stock_ids=claimed)
    return len(claimed)


@shared_task(time_limit=600, soft_time_limit=540)
def preview_import_task(job_id: str) -> None:
    """Preview an uploaded catalogue or stock file (stores/services/import_jobs.py); a repeat finds it done."""
    from stores.services.import_jobs import run_preview

    run_preview(job_id=job_id)


@shared_task(time_limit=600, soft_time_limit=540)
def apply_import_task(job_id: str) -> None:
    """Apply a previewed file all or nothing; a repeat finds the job applied and does nothing."""
    from stores.services.import_jobs import run_apply

    run_apply(job_id=job_id)


@shared_task(time_limit=120, soft_time_limit=100)
def resume_stalled_import_jobs_task() -> int:
    """Queue again the import steps whose task was lost (stores/services/import_jobs.py)."""
    from stores.services.import_jobs import resume_stalled_import_jobs

    return resume_stalled_import_jobs()
