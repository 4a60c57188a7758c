"""Dashboards, reports and exports for staff: parse the filters, narrow to the viewer's stores, render.

Every view starts from ``selectors.visible_store_ids(request.user)`` (stores.selectors.stores_for):
a store id outside it is answered 404, as if the store did not exist, so nobody learns another
store's figures by changing a number in the address.
"""

from datetime import timedelta

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from analytics import exports, selectors
from analytics.forms import ExportForm, FilterForm, ReportForm
from analytics.models import ExportJob


def _scope(request) -> list[int]:
    store_ids = selectors.visible_store_ids(request.user)
    if not store_ids:
        raise PermissionDenied(_("You are not assigned to a store."))
    return store_ids


def _form(form_class, request, data, store_ids):
    form = form_class(data, stores=selectors.visible_stores(store_ids))
    if not form.is_valid() and "store" in form.errors:
        raise Http404  # a store outside the viewer's own: as if it did not exist
    return form


def _page(request, template, context):
    # The admin's header without its full app list: each_context() asks every registered ModelAdmin for
    # permissions, which alone cost more than the facts the page reads (the 50 ms budget).
    site = admin.site
    return render(request, template, {
        "site_header": site.site_header, "site_title": site.site_title, "site_url": site.site_url,
        "has_permission": True, "is_nav_sidebar_enabled": False, "available_apps": [], "is_popup": False,
        "charts": {}, "is_hq_viewer": selectors.is_hq(request.user), **context,
    })


# --- charts: each is a small JSON block (json_script) that static/js/analytics/charts.js draws ---


def line_chart(rows, label_key, series, kind="line"):
    return {"kind": kind, "labels": [str(row[label_key]) for row in rows],
            "series": [{"name": str(name), "data": [row[key] for row in rows]} for key, name in series]}


def trend_chart(trend, by="day"):
    label = "%Y-%m" if by == "month" else "%m-%d"
    # A month only partly in the range is starred here and explained under the chart.
    return line_chart([{**row, "day": row["day"].strftime(label) + ("*" if row.get("is_partial") else "")}
                       for row in trend], "day", [("net", _("Net sales")), ("orders", _("Orders"))])


def hour_chart(hours):
    return line_chart([{**row, "hour": f"{row['hour']:02d}"} for row in hours], "hour",
                      [("net", _("Net sales"))], kind="bar")


def table_chart(table):
    """A bar chart of a report table: first column as labels, its chart column (or first money column) as bars."""
    money = table.chart_column or next((index for index, _c in enumerate(table.columns) if index and table.rows
                                        and isinstance(table.rows[0][index], type(selectors.ZERO))), 1)
    rows = table.rows[:30]
    return {"kind": "line" if table.chart == "sales" else "bar", "labels": [str(row[0]) for row in rows],
            "series": [{"name": str(table.columns[money]), "data": [row[money] for row in rows]}]}


# --- dashboards ---------------------------------------------------------------------------


@staff_member_required
def store_dashboard(request):
    store_ids = _scope(request)
    stores = list(selectors.visible_stores(store_ids))  # shops first: the default is a shop, not a warehouse
    raw = request.GET.get("store") or stores[0].pk
    try:
        store_id = int(raw)
    except (TypeError, ValueError):
        raise Http404 from None
    if store_id not in store_ids:
        raise Http404
    store = next(store for store in stores if store.pk == store_id)
    shops, warehouses = ([s for s in stores if not selectors.is_warehouse(s)],
                         [s for s in stores if selectors.is_warehouse(s)])
    data = selectors.store_dashboard(store_id)
    return _page(request, "analytics/store_dashboard.html", {
        "title": (_("Warehouse dashboard: %(store)s") if selectors.is_warehouse(store)
                  else _("Store dashboard: %(store)s")) % {"store": store},
        "store": store, "stores": stores, "shops": shops, "warehouses": warehouses,
        "is_warehouse": selectors.is_warehouse(store), "is_hq": selectors.is_hq(request.user), **data,
        "charts": {"chart-trend": trend_chart(data["trend"]), "chart-hours": hour_chart(data["hours"])},
    })


@staff_member_required
def hq_dashboard(request):
    store_ids = _scope(request)
    form = _form(FilterForm, request, request.GET, store_ids)
    if not form.is_valid():  # a wrong date range: show the form's error above the default range
        end = selectors.today() - timedelta(days=1)
        start, chosen = end - timedelta(days=29), store_ids
    else:
        start, end, chosen = form.cleaned_data["start"], form.cleaned_data["end"], form.store_ids()
    data = selectors.hq_dashboard(chosen, start, end)
    # Shops only: a warehouse ships online orders for the whole chain and would dwarf any shop beside it.
    stores_chart = line_chart([{"name": str(row["store"]), "net": row["net"]} for row in data["stores"][:20]],
                              "name", [("net", _("Net sales"))], kind="bar")
    return _page(request, "analytics/hq_dashboard.html", {
        "title": _("Head office dashboard"), "form": form, "start": start, "end": end, **data,
        "charts": {
            "chart-trend": trend_chart(data["trend"], data["trend_by"]), "chart-hours": hour_chart(data["hours"]),
            "chart-stores": stores_chart,
            "chart-regions": line_chart(data["regions"], "province", [("net", _("Net sales"))], kind="pie"),
            "chart-channels": line_chart([{**row, "label": str(row["label"])} for row in data["channels"]],
                                         "label", [("net", _("Net sales"))], kind="pie"),
        },
    })


# --- reports and exports -------------------------------------------------------------------


def _report_args(request, name, data, form_class=ReportForm):
    if name not in selectors.REPORTS or (name in selectors.HQ_ONLY_REPORTS and not selectors.is_hq(request.user)):
        raise Http404
    store_ids = _scope(request)
    form = _form(form_class, request, data, store_ids)
    return store_ids, form


@staff_member_required
def report_index(request):
    _scope(request)
    return _page(request, "analytics/report_index.html", {
        "title": _("Reports"), "reports": selectors.reports_for(request.user),
    })


@staff_member_required
def report(request, name):
    _store_ids, form = _report_args(request, name, request.GET)
    tables, start, end = [], None, None
    if form.is_valid():
        start, end = form.cleaned_data["start"], form.cleaned_data["end"]
        tables = selectors.build_report(name, form.store_ids(), start, end, period=form.cleaned_data["period"],
                                        hq=selectors.is_hq(request.user))
    charts = {f"chart-{table.chart}": table_chart(table) for table in tables if table.chart and table.rows}
    return _page(request, "analytics/report.html", {
        "title": selectors.REPORTS[name][0], "name": name, "form": form, "tables": tables, "start": start,
        "end": end, "charts": charts, "chart_ids": list(charts), "reports": selectors.reports_for(request.user),
        "query": request.GET.urlencode(),
    })


@staff_member_required
@require_POST
def export(request, name):
    _store_ids, form = _report_args(request, name, request.POST, ExportForm)
    if not form.is_valid():
        return redirect(reverse("analytics:report", args=[name]))
    data = form.cleaned_data
    args = {"report": name, "store_ids": form.store_ids(), "start": data["start"], "end": data["end"],
            "period": data["period"], "hq": selectors.is_hq(request.user), "file_format": data["file_format"]}
    if exports.needs_background(data["start"], data["end"]) or request.POST.get("background"):
        job = exports.queue_export(user=request.user, **args)
        return redirect("analytics:export-job", pk=job.pk)
    content = exports.render(name, args["store_ids"], args["start"], args["end"], period=args["period"],
                             hq=args["hq"], file_format=args["file_format"])
    response = HttpResponse(content, content_type=exports.CONTENT_TYPES[args["file_format"]])
    filename = exports.file_name(name, args["start"], args["end"], args["file_format"])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _own_job(request, pk) -> ExportJob:
    # Only the person who asked for an export may see or download it; anyone else gets a 404.
    return get_object_or_404(ExportJob, pk=pk, user=request.user)


@staff_member_required
def export_job(request, pk):
    job = _own_job(request, pk)
    return _page(request, "analytics/export_job.html", {
        "title": _("Export"), "job": job, "report_title": selectors.REPORTS.get(job.report, (job.report,))[0],
        "waiting": job.status in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING),
    })


@staff_member_required
def export_download(request, pk):
    job = _own_job(request, pk)
    if job.status != ExportJob.Status.DONE or not job.file:
        raise Http404
    return FileResponse(job.file.open("rb"), as_attachment=True, filename=job.file.name.rsplit("/", 1)[-1],
                        content_type=exports.CONTENT_TYPES.get(job.file_format, "application/octet-stream"))
