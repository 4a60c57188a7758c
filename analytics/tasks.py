"""Celery tasks of the analytics app: thin, each calls a service."""

from celery import shared_task


@shared_task(name="analytics.run_export_job")
def run_export_job(job_id: int) -> None:
    """Build one report export (ExportJob); running it twice builds the file once."""
    from analytics.exports import run_export

    run_export(job_id)
