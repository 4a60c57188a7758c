"""Import jobs: the uploaded file, its preview and its application, run by Celery with progress to poll.

A job is a ``stores.ImportJob`` row (so it outlives a Redis restart, and every
web process and worker sees the same state) beside the uploaded file in
default storage. ``start_import`` saves the file and queues the preview; the
job page polls ``job_for``; ``confirm_import`` queues the application once,
and only after a preview without errors. Each step is claimed by a
conditional update on ``status``, so a task run twice, or a button pressed
twice, does the work once. The rules themselves are in
stores/services/imports.py; this module only runs them and records progress.
"""

import logging
import uuid
from dataclasses import asdict
from datetime import timedelta

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from shop.queue import queue_task
from stores.models import ImportJob
from stores.services.imports import ImportRefused, apply_products, apply_stock, plan_products, plan_stock
from stores.tabular import TableError, read_table

logger = logging.getLogger(__name__)

KINDS = tuple(ImportJob.Kind.values)
SHOWN = 200  # rows of changes and errors kept for the page; the counts cover every row
S = ImportJob.Status


class ImportJobError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _job_id(raw) -> uuid.UUID | None:
    try:
        return raw if isinstance(raw, uuid.UUID) else uuid.UUID(str(raw))
    except ValueError:
        return None


def job_for(job_id, *, user) -> ImportJob | None:
    """The job if this person uploaded it, else None (the page answers 404, even to another store's manager)."""
    pk = _job_id(job_id)
    if pk is None or user is None or not user.is_authenticated:
        return None
    return ImportJob.objects.filter(pk=pk, created_by=user).first()


def recent_jobs_for(user, *, limit: int = 10) -> list[ImportJob]:
    """This person's newest jobs, for the import page."""
    return list(ImportJob.objects.filter(created_by=user).order_by("-created_at")[:limit])


def start_import(*, kind: str, data: bytes, filename: str, user, store_ids: list[int], reason: str = "") -> ImportJob:
    """Keep the file and queue its preview; returns the job. Raises ImportJobError for an unknown kind or file type."""
    if kind not in KINDS:
        raise ImportJobError(_("Choose what the file holds."))
    extension = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if extension not in ("csv", "xlsx"):
        raise ImportJobError(_("Upload a .csv or .xlsx file."))
    job_id = uuid.uuid4()
    path = default_storage.save(f"imports/{job_id.hex}.{extension}", ContentFile(data))
    with transaction.atomic():
        job = ImportJob.objects.create(id=job_id, kind=kind, path=path, filename=filename[:200], created_by=user,
                                       reason=reason[:200], queued_at=timezone.now())
        job.stores.set(store_ids)
    # Queued once the row is written (the view runs in autocommit): the worker must find what it is asked to preview.
    queue_task("stores.tasks.preview_import_task", job_id.hex)
    return job


def _load(job: ImportJob) -> tuple[list[str], list[dict]]:
    with default_storage.open(job.path, "rb") as handle:
        data = handle.read()
    return read_table(data, job.path)


def _progress(job: ImportJob):
    def report(done: int, total: int) -> None:
        # One UPDATE outside any transaction, so the page polling the job sees it at once.
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=min(done, total), total_rows=total)

    return report


def _finish(job: ImportJob, **fields) -> ImportJob:
    fields.setdefault("finished_at", timezone.now())
    for name, value in fields.items():
        setattr(job, name, value)
    job.save(update_fields=list(fields))
    return job


def _claim(job_id, *, sources, target) -> ImportJob | None:
    """Move the job from one of ``sources`` to ``target`` in one statement; None if someone else moved it."""
    pk = _job_id(job_id)
    if pk is None or not ImportJob.objects.filter(pk=pk, status__in=sources).update(status=target):
        return None
    return ImportJob.objects.get(pk=pk)


def run_preview(*, job_id) -> ImportJob | None:
    """Read the file and plan it (nothing written); the job holds the counts, the first changes and the errors.

    A repeat of a finished preview does nothing; one that finds the preview
    still marked running (a worker that died) runs it again, which is safe as
    a preview writes nothing but the job.
    """
    job = _claim(job_id, sources=[S.QUEUED, S.PREVIEWING], target=S.PREVIEWING)
    if job is None:
        return ImportJob.objects.filter(pk=_job_id(job_id)).first() if _job_id(job_id) else None
    try:
        header, rows = _load(job)
    except (TableError, OSError) as err:
        return _finish(job, status=S.FAILED, message=getattr(err, "message", "") or _("The file could not be read."))
    ImportJob.objects.filter(pk=job.pk).update(total_rows=len(rows), processed_rows=0)
    stores = list(job.stores.all())
    if job.kind == ImportJob.Kind.PRODUCTS:
        plan = plan_products(header, rows, progress=_progress(job))
    else:
        plan = plan_stock(header, rows, stores=stores, progress=_progress(job))
    return _finish(
        job, status=S.PREVIEWED if not plan.errors else S.REFUSED, summary=plan.counts,
        total_rows=len(rows), processed_rows=len(rows),
        changes=[asdict(c) for c in plan.changes if c.action != "unchanged"][:SHOWN],
        errors=[asdict(e) for e in plan.errors[:SHOWN]], error_count=len(plan.errors),
    )


def confirm_import(*, job_id, user) -> ImportJob:
    """Queue the application of a clean preview, once however often the button is pressed. Raises ImportJobError."""
    job = job_for(job_id, user=user)
    if job is None:
        raise ImportJobError(_("This import is no longer available; upload the file again."))
    if job.status in (S.APPLYING, S.APPLIED):
        return job
    if job.status != S.PREVIEWED:
        raise ImportJobError(_("Only a file whose preview shows no errors can be applied."))
    # The conditional update is the claim: of two clicks, one moves the job and queues the application.
    claimed = ImportJob.objects.filter(pk=job.pk, status=S.PREVIEWED).update(
        status=S.APPLYING, processed_rows=0, finished_at=None, queued_at=timezone.now())
    if claimed:
        queue_task("stores.tasks.apply_import_task", job.pk.hex)
    job.refresh_from_db()
    return job


def run_apply(*, job_id) -> ImportJob | None:
    """Apply the file all or nothing; a row that turned wrong since the preview refuses the whole file."""
    pk = _job_id(job_id)
    job = ImportJob.objects.filter(pk=pk).select_related("created_by").first() if pk else None
    if job is None or job.status != S.APPLYING:
        return job  # gone, or a repeat of an application that finished
    try:
        header, rows = _load(job)
    except (TableError, OSError):
        return _finish(job, status=S.FAILED, message=_("Nothing was imported: the uploaded file is gone. "
                                                       "Upload it again."))
    try:
        # No progress inside the all-or-nothing transaction: the page shows "applying" until it commits.
        if job.kind == ImportJob.Kind.PRODUCTS:
            plan = apply_products(header, rows)
        else:
            plan = apply_stock(header, rows, stores=list(job.stores.all()), reason=job.reason or _("Stock import"),
                               by=job.created_by, reference=f"import-{job.pk.hex[:12]}")
    except DatabaseError:
        # A row written by someone else meanwhile (the same new SKU, say): the transaction rolled back whole.
        logger.warning("import %s could not be applied", job.pk, exc_info=True)
        return _finish(job, status=S.FAILED, message=_("Nothing was imported: the data changed while the file was "
                                                       "applied. Upload it again to see a fresh preview."))
    except ImportRefused as refused:
        return _finish(job, status=S.REFUSED, errors=[asdict(e) for e in refused.errors[:SHOWN]],
                       error_count=len(refused.errors),
                       message=_("Nothing was imported: the data changed since the preview. Check the rows below "
                                 "and upload again."))
    _finish(job, status=S.APPLIED, summary=plan.counts, processed_rows=len(rows), total_rows=len(rows))
    default_storage.delete(job.path)
    return job


# A step not started this long after it was queued lost its task (the broker was down); one still running
# after the tasks' time limit (stores/tasks.py) was killed, and its all-or-nothing transaction rolled back.
NOT_STARTED_AFTER = timedelta(minutes=2)
KILLED_AFTER = timedelta(minutes=15)


def resume_stalled_import_jobs(*, limit: int = 50) -> int:
    """Queue again the steps whose task was lost, so no upload waits for ever; safe to run at any time.

    A repeated preview writes only the job; a repeated application finds the
    job applied, or re-plans under the row locks, so nothing is written twice.
    """
    now = timezone.now()
    stalled = ImportJob.objects.filter(
        Q(status=S.QUEUED, queued_at__lt=now - NOT_STARTED_AFTER)
        | Q(status__in=[S.PREVIEWING, S.APPLYING], queued_at__lt=now - KILLED_AFTER)
    ).order_by("queued_at")[:limit]
    count = 0
    for job in stalled:
        # Claimed by moving queued_at on: two catch-ups at once queue each step once.
        if not ImportJob.objects.filter(pk=job.pk, status=job.status, queued_at=job.queued_at).update(queued_at=now):
            continue
        task = "stores.tasks.apply_import_task" if job.status == S.APPLYING else "stores.tasks.preview_import_task"
        queue_task(task, job.pk.hex)
        count += 1
    return count
