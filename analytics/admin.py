"""Back-office pages of the analytics app: the nightly sales reports and one's own exports, read-only.

Both are narrowed like every store-bound page: a store manager sees their stores' reports (never the
all-stores one), and anyone sees only the exports they asked for.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.models import ExportJob, SalesReport
from shop.admin_mixins import ReadOnlyAdminMixin


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    def has_view_permission(self, request, obj=None):
        return bool(selectors.visible_store_ids(request.user))

    def has_module_permission(self, request):
        return self.has_view_permission(request)


@admin.register(SalesReport)
class SalesReportAdmin(ReadOnlyAdmin):
    list_display = ["day", "store_label", "net_sales", "orders", "queued_at", "sent_at"]
    list_filter = ["store", ("day", admin.DateFieldListFilter)]
    date_hierarchy = "day"
    list_select_related = ["store"]
    # No workbook file is kept (the mail's is built from ``summary`` when sent): media URLs are not scoped.
    fields = ["day", "store", "summary", "recipients", "queued_at", "sent_at", "created_at"]

    def get_queryset(self, request):
        rows = super().get_queryset(request)
        if selectors.is_hq(request.user):
            return rows
        return rows.filter(store_id__in=selectors.visible_store_ids(request.user))

    @admin.display(description=_("store"), ordering="store")
    def store_label(self, obj):
        return obj.store or _("All stores")

    @admin.display(description=_("net sales"))
    def net_sales(self, obj):
        return ((obj.summary or {}).get("total") or {}).get("net", "")

    @admin.display(description=_("orders"))
    def orders(self, obj):
        return ((obj.summary or {}).get("total") or {}).get("orders", "")


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "report", "file_format", "status", "progress", "job_link"]
    list_filter = ["status", "report"]
    fields = ["report", "params", "file_format", "status", "progress", "error", "created_at", "finished_at"]

    def get_queryset(self, request):
        # Exports hold the figures of the stores their owner could see: nobody else's list shows them.
        return super().get_queryset(request).filter(user=request.user)

    @admin.display(description=_("file"))
    def job_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("analytics:export-job", args=[obj.pk]), _("Open"))
