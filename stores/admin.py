"""The stores back office: stores and their staff, stock figures, the ledger, low-stock notices.

Stock figures are never edited in a form: receipts and adjustments go
through the stock services, which lock the row and write the ledger with
the staff member who did it.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from stores import services
from stores.admin_forms import AdjustStockForm, ReceiveStockForm
from stores.exceptions import StockError
from stores.models import LowStockAlert, Stock, StockMovement, Store, StoreStaff


class StoreStaffInline(admin.TabularInline):
    model = StoreStaff
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "region", "is_pickup_enabled", "is_delivery_source", "is_active", "priority"]
    list_filter = ["kind", "is_active", "is_pickup_enabled", "is_delivery_source", "region"]
    search_fields = ["name", "code", "address", "region"]
    inlines = [StoreStaffInline]


@admin.register(StoreStaff)
class StoreStaffAdmin(admin.ModelAdmin):
    list_display = ["user", "store", "role"]
    list_filter = ["role", "store"]
    list_select_related = ["user", "store"]
    search_fields = ["user__username", "user__email", "store__name"]
    autocomplete_fields = ["user", "store"]


class LowStockFilter(admin.SimpleListFilter):
    title = _("low stock")
    parameter_name = "low"

    def lookups(self, request, model_admin):
        return [("yes", _("At or below the threshold")), ("no", _("Above the threshold"))]

    def queryset(self, request, queryset):
        # available (on_hand − reserved) ≤ threshold, written so the database compares columns
        low = {"on_hand__lte": F("reserved") + F("low_stock_threshold")}
        if self.value() == "yes":
            return queryset.filter(**low)
        if self.value() == "no":
            return queryset.exclude(**low)
        return queryset


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    """Counts are read-only here; only the low-stock threshold, a setting, is edited directly."""

    list_display = ["variant", "store", "on_hand", "reserved", "available_display",
                    "low_stock_threshold", "adjust_link"]
    list_editable = ["low_stock_threshold"]
    list_filter = [LowStockFilter, "store"]
    list_select_related = ["variant__product", "store"]
    search_fields = ["variant__sku", "variant__product__name"]
    search_help_text = _("Search by SKU code or product name.")
    fields = ["store", "variant", "on_hand", "reserved", "available_display", "low_stock_threshold", "low_stock_alerted_at"]
    readonly_fields = ["store", "variant", "on_hand", "reserved", "available_display", "low_stock_alerted_at"]

    @admin.display(description=_("available"))
    def available_display(self, stock):
        if stock.available <= stock.low_stock_threshold:
            return format_html('<strong style="color:#ba2121">{}</strong>', stock.available)
        return stock.available

    @admin.display(description=_("adjust"))
    def adjust_link(self, stock):
        return format_html('<a href="{}">{}</a>', reverse("admin:stores_stock_adjust", args=[stock.pk]), gettext("Adjust"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Only the threshold: a full save would write back counts a checkout changed meanwhile.
        obj.save(update_fields=["low_stock_threshold"])

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_receive": self.has_change_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        return [
            path("receive/", self.admin_site.admin_view(self.receive_view), name="stores_stock_receive"),
            path("<path:object_id>/adjust/", self.admin_site.admin_view(self.adjust_view), name="stores_stock_adjust"),
        ] + super().get_urls()

    def _form_page(self, request, *, title, form, stock=None):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "form": form,
            "stock": stock,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/stores/stock/form_page.html", context)

    def receive_view(self, request):
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ReceiveStockForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            stock = services.receive_stock(
                store_id=form.cleaned_data["store"].pk,
                variant_id=form.variant.pk,
                quantity=form.cleaned_data["quantity"],
                reference=form.cleaned_data["reference"],
                by=request.user,
            )
            self.message_user(
                request,
                gettext("Received %(quantity)s × %(sku)s at %(store)s; %(on_hand)s on hand now.")
                % {"quantity": form.cleaned_data["quantity"], "sku": form.variant.sku, "store": stock.store,
                   "on_hand": stock.on_hand},
                messages.SUCCESS,
            )
            return redirect(f"{reverse('admin:stores_stock_changelist')}?q={form.variant.sku}")
        return self._form_page(request, title=gettext("Receive stock"), form=form)

    def adjust_view(self, request, object_id):
        stock = self.get_object(request, unquote(object_id))
        if stock is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, stock):
            raise PermissionDenied
        form = AdjustStockForm(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                stock = services.adjust_stock(
                    stock_id=stock.pk, change=form.cleaned_data["change"], note=form.cleaned_data["note"], by=request.user
                )
            except StockError as err:
                form.add_error("change", err.message)
            else:
                self.message_user(
                    request,
                    gettext("Stock adjusted by %(change)+d; %(on_hand)s on hand now.")
                    % {"change": form.cleaned_data["change"], "on_hand": stock.on_hand},
                    messages.SUCCESS,
                )
                return redirect("admin:stores_stock_change", stock.pk)
        return self._form_page(request, title=gettext("Adjust stock"), form=form, stock=stock)


@admin.register(StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    list_display = ["created_at", "stock", "reason", "on_hand_change", "reserved_change", "reference", "note", "created_by_"]
    list_filter = ["reason", "stock__store"]
    list_select_related = ["stock__store", "stock__variant", "created_by"]
    search_fields = ["reference", "stock__variant__sku"]
    date_hierarchy = "created_at"

    @admin.display(description=_("by"), ordering="created_by")
    def created_by_(self, movement):
        return movement.created_by or ""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LowStockAlert)
class LowStockAlertAdmin(admin.ModelAdmin):
    """The admin notice: which rows fell to their threshold, when, and who was mailed."""

    list_display = ["created_at", "store", "sku", "product_name", "available", "threshold", "emailed_to"]
    list_filter = ["stock__store", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["stock__store", "stock__variant__product"]
    search_fields = ["stock__variant__sku", "stock__variant__product__name"]
    ordering = ["-created_at", "-id"]
    date_hierarchy = "created_at"

    @admin.display(description=_("store"), ordering="stock__store__name")
    def store(self, alert):
        return alert.stock.store

    @admin.display(description=_("SKU"), ordering="stock__variant__sku")
    def sku(self, alert):
        return alert.stock.variant.sku

    @admin.display(description=_("product"))
    def product_name(self, alert):
        return alert.stock.variant.product.name

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
