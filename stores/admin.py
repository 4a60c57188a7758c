"""The stores back office: stores and their staff, stock figures, the ledger, low-stock notices.

Stock figures are never edited in a form: receipts and adjustments go
through the stock services, which lock the row and write the ledger with
the staff member who did it.
"""

from django import forms as django_forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from shop.admin_mixins import ReadOnlyAdminMixin
from stores import services
from stores.admin_forms import AdjustStockForm, ReceiveStockForm
from stores.admin_scoping import StoreListScopedAdminMixin, StoreScopedAdminMixin
from stores.exceptions import StockError
from stores.forms import (
    CountForm,
    CountsCsvForm,
    DispatchTransferForm,
    OpenStocktakeForm,
    ReceiveTransferForm,
    TransferRequestForm,
)
from stores.models import (
    LowStockAlert,
    Stock,
    StockMovement,
    Stocktake,
    Store,
    StoreStaff,
    Transfer,
    TransferLine,
)
from stores.selectors import (
    can_manage_store,
    is_head_office,
    spare_stock_elsewhere,
    stores_for,
)
from stores.services import stocktakes as stocktake_services
from stores.services import transfers as transfer_services


class HeadOfficeOnlyMixin:
    """Who works where is head office's to decide: store staff neither see nor change assignments here."""

    def has_view_permission(self, request, obj=None):
        return is_head_office(request.user) and super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return is_head_office(request.user) and super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return is_head_office(request.user) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return is_head_office(request.user) and super().has_delete_permission(request, obj)


class StoreStaffInline(HeadOfficeOnlyMixin, admin.TabularInline):
    model = StoreStaff
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Store)
class StoreAdmin(StoreListScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "kind", "region", "is_pickup_enabled", "is_delivery_source", "is_active", "priority"]
    list_filter = ["kind", "is_active", "is_pickup_enabled", "is_delivery_source", "region"]
    search_fields = ["name", "code", "address", "region"]
    inlines = [StoreStaffInline]


@admin.register(StoreStaff)
class StoreStaffAdmin(HeadOfficeOnlyMixin, admin.ModelAdmin):
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
class StockAdmin(StoreScopedAdminMixin, admin.ModelAdmin):
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
        if self.scope(request) is not None:
            form.fields["store"].queryset = stores_for(request.user).filter(is_active=True)  # goods come in at one's own store only
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
class StockMovementAdmin(StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    store_fields = ("stock__store",)
    list_display = ["created_at", "stock", "reason", "on_hand_change", "reserved_change", "reference", "note", "created_by_"]
    list_filter = ["reason", "stock__store"]
    list_select_related = ["stock__store", "stock__variant", "created_by"]
    search_fields = ["reference", "stock__variant__sku"]
    date_hierarchy = "created_at"

    @admin.display(description=_("by"), ordering="created_by")
    def created_by_(self, movement):
        return movement.created_by or ""


@admin.register(LowStockAlert)
class LowStockAlertAdmin(StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    store_fields = ("stock__store",)
    """The admin notice: which rows fell to their threshold, when, and who was mailed."""

    list_display = ["created_at", "store", "sku", "product_name", "available", "threshold", "emailed_to",
                    "transfer_offer"]
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

    @admin.display(description=_("transfer"))
    def transfer_offer(self, alert):
        """A link that fills in a transfer request from the store with the most to spare, if any has it."""
        spare = spare_stock_elsewhere(variant_id=alert.stock.variant_id, exclude_store_id=alert.stock.store_id)
        if spare is None:
            return ""
        wanted = max(alert.threshold * 2 - alert.available, 1)
        quantity = min(wanted, spare.available - spare.low_stock_threshold)
        query = urlencode({"from_store": spare.store_id, "to_store": alert.stock.store_id,
                           "sku": alert.stock.variant.sku, "quantity": quantity})
        return format_html('<a href="{}?{}">{}</a>', reverse("admin:stores_transfer_request"), query,
                           gettext("Request a transfer from %(store)s") % {"store": spare.store})


# --- transfers and stocktakes --------------------------------------------------------------
# Plain admin pages (a later theme restyles them). Each store-bound page sees only the stores
# stores_for(user) answers; another store's transfer or stocktake is a 404, not a redirect.
# Who may take which step is stores.services.transfers / stocktakes; these views only ask.

class StoreStepPagesMixin(StoreScopedAdminMixin):
    """The shared scoping (stores.admin_scoping) plus the step pages of transfers and stocktakes."""

    def _scoped_object(self, request, object_id):
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        return obj

    def _page(self, request, *, title, form, template="admin/stores/step_page.html", **context):
        return TemplateResponse(request, template, {
            **self.admin_site.each_context(request), "title": title, "opts": self.opts, "form": form,
            "media": self.media + form.media, "submit_label": title, **context,
        })


class TransferLineInline(admin.TabularInline):
    model = TransferLine
    extra = 0
    can_delete = False
    fields = ["variant", "quantity", "dispatched_quantity", "received_quantity", "discrepancy_reason",
              "discrepancy_note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Transfer)
class TransferAdmin(StoreStepPagesMixin, admin.ModelAdmin):
    store_fields = ("from_store", "to_store")
    list_display = ["reference_", "from_store", "to_store", "status", "requested_at", "dispatched_at", "received_at"]
    list_filter = ["status", "from_store", "to_store"]
    list_select_related = ["from_store", "to_store"]
    search_fields = ["lines__variant__sku", "note"]
    inlines = [TransferLineInline]
    fields = ["from_store", "to_store", "status", "note", "requested_by", "requested_at", "approved_by", "approved_at",
              "dispatched_by", "dispatched_at", "received_by", "received_at", "cancelled_at"]
    readonly_fields = fields

    STEP_VIEWS = {"approve": "approve", "dispatch": "dispatch", "receive": "receive", "cancel": "cancel"}

    @admin.display(description=_("transfer"), ordering="pk")
    def reference_(self, transfer):
        return transfer.reference

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:stores_transfer_request")

    def save_model(self, request, obj, form, change):
        # Every field is read-only: a transfer changes only through its steps, which lock it first.
        pass

    def save_related(self, request, form, formsets, change):
        pass

    def get_urls(self):
        return [
            path("request/", self.admin_site.admin_view(self.request_view), name="stores_transfer_request"),
            path("<path:object_id>/step/<str:step>/", self.admin_site.admin_view(self.step_view),
                 name="stores_transfer_step"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        transfer = self._scoped_object(request, object_id)
        steps = [(reverse("admin:stores_transfer_step", args=[transfer.pk, name]), transfer_services.STEPS[name].label)
                 for name in transfer_services.available_steps(transfer, request.user)]
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), "transfer_steps": steps})

    def request_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        to_stores = None if is_head_office(request.user) else stores_for(request.user)
        form = TransferRequestForm(request.POST if request.method == "POST" else None, to_stores=to_stores,
                                   initial=self._prefill(request))
        if request.method == "POST" and form.is_valid():
            try:
                transfer = transfer_services.request_transfer(
                    from_store_id=form.cleaned_data["from_store"].pk, to_store_id=form.cleaned_data["to_store"].pk,
                    lines=form.variant_lines, by=request.user, note=form.cleaned_data["note"],
                )
            except transfer_services.TransferError as err:
                form.add_error(None, err.message)
            else:
                self.message_user(request, gettext("Transfer %(reference)s requested.") % {"reference": transfer.reference},
                                  messages.SUCCESS)
                return redirect("admin:stores_transfer_change", transfer.pk)
        return self._page(request, title=gettext("Request a transfer"), form=form)

    @staticmethod
    def _prefill(request) -> dict:
        """A low-stock alert's link fills in the stores and the SKU line."""
        initial = {}
        for name in ("from_store", "to_store"):
            if request.GET.get(name, "").isdigit():
                initial[name] = int(request.GET[name])
        sku, quantity = request.GET.get("sku", "").strip(), request.GET.get("quantity", "").strip()
        if sku:
            initial["lines"] = f"{sku} {quantity if quantity.isdigit() else 1}"
        return initial

    def step_view(self, request, object_id, step):
        transfer = self._scoped_object(request, object_id)
        if step not in transfer_services.STEPS:
            raise Http404
        if not self.has_change_permission(request, transfer):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = {"dispatch": lambda: DispatchTransferForm(data, transfer=transfer),
                "receive": lambda: ReceiveTransferForm(data, transfer=transfer)}.get(step, lambda: django_forms.Form(data))()
        if request.method == "POST" and form.is_valid():
            try:
                if step == "approve":
                    transfer_services.approve_transfer(transfer_id=transfer.pk, by=request.user)
                elif step == "cancel":
                    transfer_services.cancel_transfer(transfer_id=transfer.pk, by=request.user)
                elif step == "dispatch":
                    transfer_services.dispatch_transfer(transfer_id=transfer.pk, by=request.user,
                                                        quantities=form.quantities())
                else:
                    transfer_services.receive_transfer(transfer_id=transfer.pk, by=request.user, counts=form.counts(),
                                                       reasons=form.reasons())
            except transfer_services.TransferError as err:
                form.add_error(None, err.message)
            else:
                transfer.refresh_from_db()
                self.message_user(request, gettext("Transfer %(reference)s is %(status)s now.")
                                  % {"reference": transfer.reference, "status": transfer.get_status_display()},
                                  messages.SUCCESS)
                return redirect("admin:stores_transfer_change", transfer.pk)
        return self._page(request, title=f"{transfer_services.STEPS[step].label} · {transfer.reference}", form=form,
                          transfer=transfer, submit_label=transfer_services.STEPS[step].label,
                          cancel_url=reverse("admin:stores_transfer_change", args=[transfer.pk]))


@admin.register(Stocktake)
class StocktakeAdmin(StoreStepPagesMixin, admin.ModelAdmin):
    list_display = ["reference_", "store", "category", "status", "opened_at", "applied_at"]
    list_filter = ["status", "store"]
    list_select_related = ["store", "category"]

    @admin.display(description=_("stocktake"), ordering="pk")
    def reference_(self, stocktake):
        return stocktake.reference

    def has_delete_permission(self, request, obj=None):
        return False

    def add_view(self, request, form_url="", extra_context=None):
        return redirect("admin:stores_stocktake_open")

    def get_urls(self):
        return [
            path("open/", self.admin_site.admin_view(self.open_view), name="stores_stocktake_open"),
            path("<path:object_id>/count/", self.admin_site.admin_view(self.count_view), name="stores_stocktake_count"),
            path("<path:object_id>/upload/", self.admin_site.admin_view(self.upload_view),
                 name="stores_stocktake_upload"),
            path("<path:object_id>/apply/", self.admin_site.admin_view(self.apply_view), name="stores_stocktake_apply"),
            path("<path:object_id>/cancel/", self.admin_site.admin_view(self.cancel_view),
                 name="stores_stocktake_cancel"),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # The session's page is its count sheet: counts, variance, upload and apply.
        stocktake = self._scoped_object(request, object_id)
        return redirect("admin:stores_stocktake_count", stocktake.pk)

    def open_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        stores = None if is_head_office(request.user) else stores_for(request.user)
        form = OpenStocktakeForm(request.POST if request.method == "POST" else None, stores=stores)
        if request.method == "POST" and form.is_valid():
            try:
                stocktake = stocktake_services.open_stocktake(
                    store_id=form.cleaned_data["store"].pk, category=form.cleaned_data["category"], by=request.user,
                    note=form.cleaned_data["note"],
                )
            except stocktake_services.StocktakeError as err:
                form.add_error(None, err.message)
            else:
                return redirect("admin:stores_stocktake_count", stocktake.pk)
        return self._page(request, title=gettext("Open a stocktake"), form=form)

    def _sheet(self, request, stocktake, *, form=None, upload_form=None, status=200):
        rows = stocktake_services.variances(stocktake)
        response = self._page(
            request, title=gettext("Stocktake %(reference)s · %(store)s") % {"reference": stocktake.reference,
                                                                              "store": stocktake.store},
            form=form or CountForm(), upload_form=upload_form or CountsCsvForm(), stocktake=stocktake, rows=rows,
            totals=stocktake_services.variance_totals(rows), template="admin/stores/stocktake/count.html",
            can_apply=stocktake.status == Stocktake.Status.OPEN
            and can_manage_store(request.user, stocktake.store_id),
        )
        response.status_code = status
        return response

    def count_view(self, request, object_id):
        stocktake = self._scoped_object(request, object_id)
        if request.method != "POST":
            return self._sheet(request, stocktake)
        if not self.has_change_permission(request, stocktake):
            raise PermissionDenied
        form = CountForm(request.POST)
        if form.is_valid():
            try:
                line = stocktake_services.record_count(
                    stocktake_id=stocktake.pk, sku=form.cleaned_data["sku"], by=request.user,
                    count=form.cleaned_data["count"], add=1,
                )
            except stocktake_services.StocktakeError as err:
                form.add_error(None, err.message)
            else:
                self.message_user(request, gettext("%(sku)s: %(count)s counted.") % {"sku": line.variant.sku,
                                                                                     "count": line.counted},
                                  messages.SUCCESS)
                return redirect("admin:stores_stocktake_count", stocktake.pk)
        return self._sheet(request, stocktake, form=form)

    def upload_view(self, request, object_id):
        stocktake = self._scoped_object(request, object_id)
        if request.method != "POST":
            return redirect("admin:stores_stocktake_count", stocktake.pk)
        if not self.has_change_permission(request, stocktake):
            raise PermissionDenied
        upload_form = CountsCsvForm(request.POST, request.FILES)
        if upload_form.is_valid():
            rows, errors = stocktake_services.parse_counts_csv(upload_form.cleaned_data["file"].read())
            for error in errors[:20]:
                upload_form.add_error("file", error)
            if not errors:
                try:
                    imported = stocktake_services.import_counts(stocktake_id=stocktake.pk, rows=rows, by=request.user)
                except stocktake_services.StocktakeError as err:
                    upload_form.add_error("file", err.message)
                else:
                    self.message_user(request, gettext("%(count)s counts imported.") % {"count": imported},
                                      messages.SUCCESS)
                    return redirect("admin:stores_stocktake_count", stocktake.pk)
        return self._sheet(request, stocktake, upload_form=upload_form)

    def _manager_step(self, request, object_id, call, done):
        stocktake = self._scoped_object(request, object_id)
        if request.method != "POST":
            return redirect("admin:stores_stocktake_count", stocktake.pk)
        if not self.has_change_permission(request, stocktake):
            raise PermissionDenied
        try:
            call(stocktake_id=stocktake.pk, by=request.user)
        except stocktake_services.StocktakeError as err:
            self.message_user(request, err.message, messages.ERROR)
        else:
            self.message_user(request, done % {"reference": stocktake.reference}, messages.SUCCESS)
        return redirect("admin:stores_stocktake_count", stocktake.pk)

    def apply_view(self, request, object_id):
        return self._manager_step(request, object_id, stocktake_services.apply_stocktake,
                                  gettext("Stocktake %(reference)s applied to the stock."))

    def cancel_view(self, request, object_id):
        return self._manager_step(request, object_id, stocktake_services.cancel_stocktake,
                                  gettext("Stocktake %(reference)s cancelled."))
