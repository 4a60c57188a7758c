"""Reports written to CSV or XLSX: the same tables the report page shows, one sheet (or CSV section) per table.

Small exports answer the request directly; a long date range runs as a Celery task (``run_export``)
that records its progress on the ExportJob, so the progress page can show a bar and then the link.
"""

import csv
import io
from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from openpyxl import Workbook

from analytics import selectors
from analytics.models import ExportJob

# A range longer than this goes to the background: the products report over years reads many fact rows.
INLINE_EXPORT_DAYS = 92
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheetml.sheet",
}


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return value  # openpyxl writes Decimal as a number; csv writes its exact text
    return value if isinstance(value, (int, date)) else str(value)


def write_csv(tables) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for index, table in enumerate(tables):
        if index:
            writer.writerow([])
        writer.writerow([table.title])
        writer.writerow(table.columns)
        writer.writerows([[_cell(value) for value in row] for row in table.rows])
    # A byte-order mark so Excel opens the Chinese names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(tables) -> bytes:
    book = Workbook()
    book.remove(book.active)
    used = set()
    for table in tables:
        # Sheet names: at most 31 characters, none of []:*?/\ and unique.
        name = "".join(ch for ch in table.title if ch not in "[]:*?/\\")[:28] or "Sheet"
        base, n = name, 2
        while name in used:
            name, n = f"{base[:26]}-{n}", n + 1
        used.add(name)
        sheet = book.create_sheet(name)
        sheet.append(table.columns)
        for row in table.rows:
            sheet.append([_cell(value) for value in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


WRITERS = {"csv": write_csv, "xlsx": write_xlsx}


def file_name(report: str, start: date, end: date, file_format: str) -> str:
    return f"{report}-{start:%Y%m%d}-{end:%Y%m%d}.{file_format}"


def render(report, store_ids, start, end, *, period, hq, file_format) -> bytes:
    tables = selectors.build_report(report, store_ids, start, end, period=period, hq=hq)
    return WRITERS[file_format](tables)


def needs_background(start: date, end: date) -> bool:
    return (end - start).days + 1 > INLINE_EXPORT_DAYS


def queue_export(*, user, report, store_ids, start, end, period, hq, file_format) -> ExportJob:
    """Record the job and queue the task once the row is committed (the worker must find it)."""
    job = ExportJob.objects.create(
        user=user, report=report, file_format=file_format,
        params={"store_ids": list(store_ids), "start": start.isoformat(), "end": end.isoformat(),
                "period": period, "hq": hq},
    )
    from analytics.tasks import run_export_job

    transaction.on_commit(lambda: run_export_job.delay(job.pk))
    return job


def run_export(job_id: int) -> None:
    """Build the file of one job; a job already done or running elsewhere is left alone (idempotent)."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING, progress=10)
    if not claimed:
        return
    job = ExportJob.objects.get(pk=job_id)
    params = job.params
    try:
        # Store ids were narrowed by stores_for when the job was queued; narrow again, as access may have changed.
        allowed = set(selectors.visible_store_ids(job.user))
        store_ids = [pk for pk in params["store_ids"] if pk in allowed]
        start, end = date.fromisoformat(params["start"]), date.fromisoformat(params["end"])
        tables = selectors.build_report(job.report, store_ids, start, end, period=params.get("period", "day"),
                                        hq=params.get("hq", False) and selectors.is_hq(job.user))
        ExportJob.objects.filter(pk=job_id).update(progress=60)
        content = WRITERS[job.file_format](tables)
        job.file.save(file_name(job.report, start, end, job.file_format), ContentFile(content), save=False)
        ExportJob.objects.filter(pk=job_id).update(file=job.file.name, status=ExportJob.Status.DONE, progress=100,
                                                   finished_at=timezone.now())
    except Exception as error:  # any failure is recorded on the job for its owner, then re-raised for the logs
        ExportJob.objects.filter(pk=job_id).update(status=ExportJob.Status.FAILED, error=str(error)[:500],
                                                   finished_at=timezone.now())
        raise
