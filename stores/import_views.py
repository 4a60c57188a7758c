"""Import and export pages for head office (catalogue) and store managers (their stores' stock).

Thin: the upload is handed to stores.services.import_jobs (a Celery task
previews it), the job page polls the job's progress while the task runs
(static/js/stores/import_job.js; without JavaScript a meta refresh reloads
it), and applying is one more form post. A job is a stores.ImportJob row of
the person who uploaded it; anyone else gets a 404.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from stores.import_forms import ImportForm
from stores.models import Store
from stores.selectors import assigned_store_ids, can_manage_store, stores_for
from stores.services.import_jobs import ImportJobError, confirm_import, job_for, recent_jobs_for, start_import
from stores.services.imports import export_table


def may_edit_catalogue(user) -> bool:
    """Catalogue and prices are head office's: a superuser, or catalogue staff not tied to a store."""
    if not (user.is_authenticated and user.is_active):
        return False
    return user.is_superuser or (user.is_staff and user.has_perm("catalog.change_product")
                                 and not assigned_store_ids(user))


def stock_stores(user) -> list[Store]:
    """The stores whose stock this person may import: head office all, a manager theirs (not clerks)."""
    return [store for store in stores_for(user) if can_manage_store(user, store.pk)]


def _allowed(request) -> tuple[bool, list[Store]]:
    catalogue, stores = may_edit_catalogue(request.user), stock_stores(request.user)
    if not catalogue and not stores:
        raise PermissionDenied
    return catalogue, stores


@login_required
def data_home(request):
    catalogue, stores = _allowed(request)
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if (kind == "products" and not catalogue) or (kind == "stock" and not stores):
            form.add_error("kind", _("You may not import this kind of file."))
        else:
            upload = form.cleaned_data["file"]
            try:
                job = start_import(kind=kind, data=upload.read(), filename=upload.name, user=request.user,
                                   store_ids=[s.pk for s in stores], reason=form.cleaned_data["reason"])
            except ImportJobError as err:
                form.add_error("file", err.message)
            else:
                return redirect("storedata:job", job_id=job.pk.hex)
    return render(request, "stores/data/home.html", {"form": form, "catalogue": catalogue, "stores": stores,
                                                     "may_export_stock": bool(stores_for(request.user)),
                                                     "jobs": recent_jobs_for(request.user)})


@login_required
def job_page(request, job_id: str):
    job = job_for(job_id, user=request.user)
    if job is None:
        raise Http404
    return render(request, "stores/data/job.html", {"job": job, "running": job.is_running, "percent": job.percent})


@login_required
def job_progress(request, job_id: str):
    """What the progress bar polls: the job's state as JSON (404 for someone else's job, like the page)."""
    job = job_for(job_id, user=request.user)
    if job is None:
        raise Http404
    return JsonResponse({"status": job.status, "label": job.get_status_display(), "running": job.is_running,
                         "processed": job.processed_rows, "total": job.total_rows, "percent": job.percent})


@login_required
@require_POST
def job_apply(request, job_id: str):
    try:
        confirm_import(job_id=job_id, user=request.user)
    except ImportJobError as err:
        messages.error(request, err.message)
    return redirect("storedata:job", job_id=job_id)


@login_required
def export(request, kind: str, fmt: str):
    if fmt not in ("csv", "xlsx") or kind not in ("products", "stock"):
        raise Http404
    if kind == "products" and not may_edit_catalogue(request.user):
        raise PermissionDenied
    stores = stores_for(request.user)
    if kind == "stock" and not stores.exists():
        raise PermissionDenied
    data, filename, content_type = export_table(kind, fmt, stores=stores)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
