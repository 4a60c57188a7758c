"""Celery tasks of the analytics app: thin, each calls a service."""

from celery import shared_task

from analytics.services import facts, reports, segments, traffic


@shared_task
def build_recent_facts_task():
    """Nightly: the last few days, days the scheduler missed, days touched since the last build."""
    return [day.isoformat() for day in facts.build_recent_facts()]


@shared_task
def build_today_facts_task():
    """Every few minutes: today so far, for the dashboards."""
    today = facts.shop_today()
    return facts.build_facts(first_day=today)


@shared_task
def send_sales_reports_task():
    """Nightly: yesterday's reports and any missed night's, queued once each; the outbox sends and retries the mails."""
    return [day.isoformat() for day in reports.send_due_reports()]


@shared_task
def flush_traffic_task():
    return traffic.flush_traffic()


@shared_task
def tag_member_segments_task():
    return segments.tag_member_segments()


@shared_task(name="analytics.run_export_job")
def run_export_job(job_id: int) -> None:
    """Build one report export (ExportJob); running it twice builds the file once."""
    from analytics.exports import run_export

    run_export(job_id)
