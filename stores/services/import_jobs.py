"""Import jobs: the uploaded file, its preview and its application, run by Celery with progress to poll.

A job is a small record in the shared cache (Redis in production, so every
web process and worker sees it) beside the uploaded file in default
storage. ``start_import`` saves the file and queues the preview; the job
page polls ``job_for``; ``confirm_import`` queues the application once, and
only after a preview without errors. The rules themselves are in
stores/services/imports.py; this module only runs them and records progress.
"""

import logging
import uuid
from dataclasses import asdict

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError
from django.utils.translation import gettext as _

from shop.queue import queue_task
from stores.services.imports import ImportRefused, apply_products, apply_stock, plan_products, plan_stock
from stores.tabular import TableError, read_table

logger = logging.getLogger(__name__)

KINDS = ("products", "stock")
TIMEOUT = 24 * 3600
SHOWN = 200  # rows of changes and errors kept for the page; the counts cover every row


class ImportJobError(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _key(job_id: str) -> str:
    return f"stores:import-job:{job_id}"


def _save(job: dict) -> dict:
    cache.set(_key(job["id"]), job, TIMEOUT)
    return job


def job_for(job_id: str, *, user) -> dict | None:
    """The job if it is this person's, else None (the page answers 404)."""
    job = cache.get(_key(str(job_id)))
    if job is None or job["user_id"] != user.pk:
        return None
    return job


def start_import(*, kind: str, data: bytes, filename: str, user, store_ids: list[int], reason: str = "") -> dict:
    """Keep the file and queue its preview; returns the job. Raises ImportJobError for an unknown kind or file type."""
    if kind not in KINDS:
        raise ImportJobError(_("Choose what the file holds."))
    extension = filename.lower().rsplit(".", 1)[-1] if "." in filename else ""
    if extension not in ("csv", "xlsx"):
        raise ImportJobError(_("Upload a .csv or .xlsx file."))
    job_id = uuid.uuid4().hex
    path = default_storage.save(f"imports/{job_id}.{extension}", ContentFile(data))
    job = _save({
        "id": job_id, "kind": kind, "path": path, "filename": filename[:200], "user_id": user.pk,
        "store_ids": list(store_ids), "reason": reason[:200], "status": "queued", "done": 0, "total": 0,
        "counts": {}, "changes": [], "errors": [], "error_count": 0, "message": "",
    })
    queue_task("stores.tasks.preview_import_task", job_id)
    return job


def _load(job: dict) -> tuple[list[str], list[dict]]:
    with default_storage.open(job["path"], "rb") as handle:
        data = handle.read()
    return read_table(data, job["path"])


def _progress(job: dict):
    def report(done: int, total: int) -> None:
        job["done"], job["total"] = done, total
        _save(job)

    return report


def _stores(job: dict):
    from stores.models import Store

    return list(Store.objects.filter(pk__in=job["store_ids"]))


def run_preview(*, job_id: str) -> dict | None:
    """Read the file and plan it (nothing written); the job holds the counts, the first changes and the errors."""
    job = cache.get(_key(job_id))
    if job is None or job["status"] not in ("queued", "previewing"):
        return job  # gone, or a repeat of a preview that finished
    job["status"] = "previewing"
    _save(job)
    try:
        header, rows = _load(job)
    except TableError as err:
        job.update(status="failed", message=err.message)
        return _save(job)
    if job["kind"] == "products":
        plan = plan_products(header, rows, progress=_progress(job))
    else:
        plan = plan_stock(header, rows, stores=_stores(job), progress=_progress(job))
    job.update(
        status="previewed" if not plan.errors else "refused", counts=plan.counts, total=len(rows), done=len(rows),
        changes=[asdict(c) for c in plan.changes if c.action != "unchanged"][:SHOWN],
        errors=[asdict(e) for e in plan.errors[:SHOWN]], error_count=len(plan.errors),
    )
    return _save(job)


def confirm_import(*, job_id: str, user) -> dict:
    """Queue the application of a clean preview, once however often the button is pressed. Raises ImportJobError."""
    job = job_for(job_id, user=user)
    if job is None:
        raise ImportJobError(_("This import is no longer available; upload the file again."))
    if job["status"] in ("applying", "applied"):
        return job
    if job["status"] != "previewed":
        raise ImportJobError(_("Only a file whose preview shows no errors can be applied."))
    # cache.add is atomic (Redis SETNX): two clicks queue one application.
    if not cache.add(f"{_key(job_id)}:claimed", 1, TIMEOUT):
        return job
    job.update(status="applying", done=0)
    _save(job)
    queue_task("stores.tasks.apply_import_task", job_id)
    return job_for(job_id, user=user) or job


def run_apply(*, job_id: str) -> dict | None:
    """Apply the file all or nothing; a row that turned wrong since the preview refuses the whole file."""
    from django.contrib.auth import get_user_model

    job = cache.get(_key(job_id))
    if job is None or job["status"] != "applying":
        return job
    header, rows = _load(job)
    try:
        if job["kind"] == "products":
            plan = apply_products(header, rows, progress=_progress(job))
        else:
            by = get_user_model().objects.filter(pk=job["user_id"]).first()
            plan = apply_stock(header, rows, stores=_stores(job), reason=job["reason"] or _("Stock import"), by=by,
                               reference=f"import-{job_id[:12]}", progress=_progress(job))
    except DatabaseError:
        # A row written by someone else meanwhile (the same new SKU, say): the transaction rolled back whole.
        logger.warning("import %s could not be applied", job_id, exc_info=True)
        job.update(status="failed", message=_("Nothing was imported: the data changed while the file was applied. "
                                              "Upload it again to see a fresh preview."))
        return _save(job)
    except ImportRefused as refused:
        job.update(status="refused", errors=[asdict(e) for e in refused.errors[:SHOWN]],
                   error_count=len(refused.errors), message=_("Nothing was imported: the data changed since the "
                                                              "preview. Check the rows below and upload again."))
        cache.delete(f"{_key(job_id)}:claimed")
        return _save(job)
    job.update(status="applied", counts=plan.counts, done=len(rows), total=len(rows))
    default_storage.delete(job["path"])
    return _save(job)
