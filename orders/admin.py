"""The staff back office for orders.

Staff never edit an order's fields: every change is an action that calls a
service, and the service writes the ``OrderEvent`` (with ``actor`` = the
staff member) that is the audit trail. Domain errors come back as error
messages on the page, never as a server error.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders import services
from orders.admin_forms import BankTransferForm, EmptyForm, NoteForm, RefundForm, ShipForm
from orders.exceptions import OrderError
from orders.models import (
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    OutboxMessage,
    Payment,
    Refund,
    RefundLine,
    ReturnRequest,
    ShippingMethod,
)
from shop.money import format_money as money
from stores.exceptions import StockError

# What a service may refuse with a message fit for the page.
DOMAIN_ERRORS = (OrderError, StockError)


def status_label(value: str) -> str:
    return Order.Status(value).label if value in Order.Status.values else value


class ReadOnlyAdminMixin:
    """Rows written only by services: staff may look, never add, edit or delete."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class OrderInline(ReadOnlyAdminMixin, admin.TabularInline):
    """A read-only part of the order page, visible to whoever may see the order."""

    extra = 0
    max_num = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("orders.view_order") or request.user.has_perm("orders.change_order")


class OrderLineInline(OrderInline):
    model = OrderLine
    fields = ["product_name", "options", "sku", "unit_price", "quantity", "refunded_quantity", "line_total"]


class OrderAdjustmentInline(OrderInline):
    model = OrderAdjustment
    fields = ["kind", "label", "amount", "reference"]


class OrderEventInline(OrderInline):
    model = OrderEvent
    fields = ["created_at", "from_label", "to_label", "actor", "note"]

    @admin.display(description=_("from"))
    def from_label(self, event):
        return status_label(event.from_status)

    @admin.display(description=_("to"))
    def to_label(self, event):
        return status_label(event.to_status)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class PaymentInline(OrderInline):
    model = Payment
    fields = ["created_at", "provider", "amount", "status", "transaction_id", "needs_refund", "refunded_at", "confirmed_by_"]

    @admin.display(description=_("by"))
    def confirmed_by_(self, payment):
        return payment.confirmed_by or ""


class RefundInline(OrderInline):
    model = Refund
    fields = ["created_at", "amount", "reason", "restock", "provider_reference", "created_by_"]

    @admin.display(description=_("by"))
    def created_by_(self, refund):
        return refund.created_by or ""


class ReturnRequestInline(OrderInline):
    model = ReturnRequest
    fields = ["created_at", "reason", "status", "staff_note", "decided_at", "decided_by_"]

    @admin.display(description=_("by"))
    def decided_by_(self, return_request):
        return return_request.decided_by or ""


# (url name suffix, path, button label, is it offered for this order?)
ORDER_PAGES = [
    ("confirm_transfer", "confirm-transfer", _("Confirm bank transfer"),
     lambda o: o.payment_method == Order.PaymentMethod.BANK_TRANSFER and o.status == Order.Status.PENDING_PAYMENT),
    ("ship", "ship", _("Ship"),
     lambda o: o.fulfilment == Order.Fulfilment.DELIVERY and o.status in (Order.Status.PAID, Order.Status.PLACED)),
    ("ready_for_pickup", "ready-for-pickup", _("Mark ready for pick-up"),
     lambda o: o.fulfilment == Order.Fulfilment.PICKUP and o.status == Order.Status.PAID),
    ("picked_up", "picked-up", _("Mark picked up"),
     lambda o: o.fulfilment == Order.Fulfilment.PICKUP and o.status == Order.Status.READY_FOR_PICKUP),
    ("complete", "complete", _("Mark delivered (completed)"),
     lambda o: o.fulfilment == Order.Fulfilment.DELIVERY and o.status == Order.Status.SHIPPED),
    ("cancel", "cancel", _("Cancel"),
     lambda o: o.status in (Order.Status.PENDING_PAYMENT, Order.Status.PLACED)),
    ("refund", "refund", _("Refund"),
     lambda o: o.refundable_amount > 0 and (
         o.status in (Order.Status.PAID, Order.Status.READY_FOR_PICKUP, Order.Status.SHIPPED, Order.Status.COMPLETED)
         and (o.payment_method != Order.PaymentMethod.CASH_ON_DELIVERY or o.status == Order.Status.COMPLETED)
     )),
]
# cancel_order does not give money back: a paid order is cancelled by refunding it in full.
PAID_STATUSES = {Order.Status.PAID, Order.Status.READY_FOR_PICKUP}


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "member", "status", "fulfilment", "payment_method", "store", "total_display", "placed_at"]
    list_filter = ["status", "store", "fulfilment", "payment_method", ("placed_at", admin.DateFieldListFilter)]
    list_select_related = ["user", "store"]
    search_fields = ["number", "user__email", "phone", "tracking_number"]
    search_help_text = _("Search by order number, member email, phone or tracking number.")
    date_hierarchy = "placed_at"
    list_per_page = 50
    view_on_site = False  # the order page on the site is the shopper's own
    inlines = [
        OrderLineInline,
        OrderAdjustmentInline,
        PaymentInline,
        RefundInline,
        ReturnRequestInline,
        OrderEventInline,
    ]
    fieldsets = [
        (None, {"fields": ["number", "status", "user", "store", "fulfilment", "payment_method", "placed_at", "expires_at"]}),
        (_("recipient"), {"fields": ["recipient", "phone", "province", "city", "district", "address_detail", "note"]}),
        (_("shipping method"), {"fields": ["shipping_method_name", "carrier", "tracking_number"]}),
        (None, {"fields": ["currency", "subtotal", "discount_total", "shipping_fee", "total", "refunded_total"]}),
        (None, {"fields": ["paid_at", "shipped_at", "ready_at", "completed_at", "cancelled_at"]}),
    ]
    actions = [
        "confirm_bank_transfer",
        "ship",
        "mark_ready_for_pickup",
        "mark_picked_up",
        "complete_delivery",
        "cancel",
        "refund",
    ]

    @admin.display(description=_("member"), ordering="user__email")
    def member(self, order):
        return order.user.email or order.user.get_username()

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, order):
        return money(order.total)

    # --- the change page: all read-only, actions as buttons -------------------------

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        # Never save the loaded row: a full save could undo a concurrent service's change.
        pass

    def save_related(self, request, form, formsets, change):
        pass

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseRedirect(request.path)
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
            "show_delete": False,
            "title": gettext("View %s") % self.opts.verbose_name,  # Django's own catalogue translates it
        }
        order = self.get_object(request, unquote(object_id))
        if order is not None and self.has_change_permission(request, order):
            extra_context["order_actions"] = self.order_actions(order)
        return super().change_view(request, object_id, form_url, extra_context)

    def order_actions(self, order) -> list[tuple[str, str]]:
        """(url, label) of each action valid in the order's current status."""
        return [
            (reverse(f"admin:orders_order_{name}", args=[order.pk]), label)
            for name, _path, label, offered in ORDER_PAGES
            if offered(order)
        ]

    # --- one-order pages --------------------------------------------------------------

    def get_urls(self):
        views = {
            "confirm_transfer": self.confirm_transfer_view,
            "ship": self.ship_view,
            "ready_for_pickup": self.ready_for_pickup_view,
            "picked_up": self.picked_up_view,
            "complete": self.complete_view,
            "cancel": self.cancel_view,
            "refund": self.refund_view,
        }
        custom = [
            path(f"<path:object_id>/{url}/", self.admin_site.admin_view(views[name]), name=f"orders_order_{name}")
            for name, url, _label, _offered in ORDER_PAGES
        ]
        return custom + super().get_urls()

    def _order_page(self, request, object_id, *, title, make_form, perform, template="admin/orders/order/action_form.html"):
        """GET shows the form; POST validates it and calls ``perform(order, form)`` (a service).

        On success, back to the order with a message; a domain error is shown
        on the same page with the input kept.
        """
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_change_permission(request, order):
            raise PermissionDenied
        form = make_form(request.POST if request.method == "POST" else None, order)
        if request.method == "POST" and form.is_valid():
            try:
                message = perform(order, form)
            except DOMAIN_ERRORS as err:
                self.message_user(request, err.message, messages.ERROR)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:orders_order_change", order.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": order.number,
            "opts": self.opts,
            "order": order,
            "form": form,
            "media": self.media + form.media,
            "submit_label": title,
        }
        return TemplateResponse(request, template, context)

    def confirm_transfer_view(self, request, object_id):
        def perform(order, form):
            (_order, reference), = form.references()
            return self._confirm_transfer(order, reference, request.user)

        return self._order_page(
            request, object_id, title=gettext("Confirm bank transfer"),
            make_form=lambda data, order: BankTransferForm(data, orders=[order]), perform=perform,
        )

    def ship_view(self, request, object_id):
        def perform(order, form):
            services.ship_order(order_id=order.pk, by=request.user, **form.cleaned_data)
            return gettext("Order %(number)s shipped.") % {"number": order.number}

        return self._order_page(
            request, object_id, title=gettext("Ship"), make_form=lambda data, order: ShipForm(data), perform=perform
        )

    def ready_for_pickup_view(self, request, object_id):
        def perform(order, form):
            services.mark_ready_for_pickup(order_id=order.pk, by=request.user)
            return gettext("Order %(number)s is ready for pick-up.") % {"number": order.number}

        return self._order_page(
            request, object_id, title=gettext("Mark ready for pick-up"),
            make_form=lambda data, order: EmptyForm(data), perform=perform,
        )

    def picked_up_view(self, request, object_id):
        def perform(order, form):
            self._guard_picked_up(order)
            services.mark_picked_up(order_id=order.pk, by=request.user)
            return gettext("Order %(number)s was picked up.") % {"number": order.number}

        return self._order_page(
            request, object_id, title=gettext("Mark picked up"),
            make_form=lambda data, order: EmptyForm(data), perform=perform,
        )

    def complete_view(self, request, object_id):
        def perform(order, form):
            self._guard_complete(order)
            services.complete_delivery(order_id=order.pk, by=request.user, note=form.cleaned_data["note"])
            return gettext("Order %(number)s is completed.") % {"number": order.number}

        return self._order_page(
            request, object_id, title=gettext("Mark delivered (completed)"),
            make_form=lambda data, order: NoteForm(data), perform=perform,
        )

    def cancel_view(self, request, object_id):
        def perform(order, form):
            self._guard_cancel(order)
            services.cancel_order(order_id=order.pk, by=request.user, note=form.cleaned_data["note"])
            return gettext("Order %(number)s cancelled.") % {"number": order.number}

        return self._order_page(
            request, object_id, title=gettext("Cancel"), make_form=lambda data, order: NoteForm(data), perform=perform
        )

    def refund_view(self, request, object_id):
        def perform(order, form):
            refund = services.refund_order(
                order_id=order.pk,
                by=request.user,
                reason=form.cleaned_data["reason"],
                quantities=form.quantities(),
                restock=form.cleaned_data["restock"],
            )
            return gettext("Refunded %(amount)s on order %(number)s.") % {
                "amount": money(refund.amount), "number": order.number,
            }

        return self._order_page(
            request, object_id, title=gettext("Refund"), make_form=lambda data, order: RefundForm(data, order=order),
            perform=perform, template="admin/orders/order/refund.html",
        )

    # --- rules the admin adds on top of the services ------------------------------------

    @staticmethod
    def _guard_cancel(order):
        if order.status in PAID_STATUSES:
            raise OrderError(
                gettext("Order %(number)s is paid: refund it in full instead, which cancels it and pays the money back.")
                % {"number": order.number}
            )

    @staticmethod
    def _guard_complete(order):
        # complete_delivery would close a pick-up order without deducting its reserved stock.
        if order.fulfilment != Order.Fulfilment.DELIVERY:
            raise OrderError(
                gettext("Order %(number)s is a pick-up order: use “Mark picked up”.") % {"number": order.number}
            )

    @staticmethod
    def _guard_picked_up(order):
        # mark_picked_up would also "complete" a shipped delivery order and deduct its stock twice.
        if order.fulfilment != Order.Fulfilment.PICKUP:
            raise OrderError(gettext("Order %(number)s is not a pick-up order.") % {"number": order.number})

    @staticmethod
    def _confirm_transfer(order, reference, by) -> str:
        payment = services.confirm_bank_transfer(order_id=order.pk, reference=reference, by=by)
        if payment.order_id != order.pk:
            # record_payment is idempotent on (provider, reference) across orders: the reference was used.
            raise OrderError(
                gettext("The bank reference %(reference)s was already recorded for order %(other)s; nothing was recorded for %(number)s.")
                % {"reference": payment.transaction_id, "other": payment.order.number, "number": order.number}
            )
        if payment.needs_refund:
            raise OrderError(
                gettext("Order %(number)s was not awaiting payment: the transfer was recorded and flagged for refund.")
                % {"number": order.number}
            )
        return gettext("Bank transfer confirmed for order %(number)s.") % {"number": order.number}

    # --- changelist actions -----------------------------------------------------------

    def _each(self, request, queryset, call) -> None:
        """Run ``call(order)`` for each order on its own, reporting successes and refusals."""
        done = []
        for order in queryset.order_by("pk"):
            try:
                call(order)
            except DOMAIN_ERRORS as err:
                self.message_user(request, f"{order.number}: {err.message}", messages.ERROR)
            else:
                done.append(order.number)
        if done:
            self.message_user(
                request, gettext("Done for: %(numbers)s") % {"numbers": ", ".join(done)}, messages.SUCCESS
            )

    def _bulk_page(self, request, queryset, form, *, title, action, intro=""):
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.opts,
            "objects": list(queryset.order_by("pk")),
            "form": form,
            "action": action,
            "intro": intro,
            "submit_label": title,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        return TemplateResponse(request, "admin/orders/bulk_action.html", context)

    @admin.action(description=_("Confirm bank transfer"), permissions=["change"])
    def confirm_bank_transfer(self, request, queryset):
        orders = list(queryset.order_by("pk"))
        form = BankTransferForm(request.POST if "apply" in request.POST else None, orders=orders)
        if form.is_bound and form.is_valid():
            references = dict(form.references())
            self._each(request, queryset, lambda order: self._confirm_transfer(order, references[order], request.user))
            return None
        return self._bulk_page(
            request, queryset, form, title=gettext("Confirm bank transfer"), action="confirm_bank_transfer",
            intro=gettext("Record the money that arrived for these orders."),
        )

    def _one_order_page(self, request, queryset, name):
        if queryset.count() != 1:
            self.message_user(request, gettext("Choose exactly one order for this action."), messages.ERROR)
            return None
        return redirect(f"admin:orders_order_{name}", queryset.get().pk)

    @admin.action(description=_("Ship"), permissions=["change"])
    def ship(self, request, queryset):
        return self._one_order_page(request, queryset, "ship")

    @admin.action(description=_("Refund"), permissions=["change"])
    def refund(self, request, queryset):
        return self._one_order_page(request, queryset, "refund")

    @admin.action(description=_("Mark ready for pick-up"), permissions=["change"])
    def mark_ready_for_pickup(self, request, queryset):
        self._each(request, queryset, lambda order: services.mark_ready_for_pickup(order_id=order.pk, by=request.user))

    @admin.action(description=_("Mark picked up"), permissions=["change"])
    def mark_picked_up(self, request, queryset):
        def picked_up(order):
            self._guard_picked_up(order)
            services.mark_picked_up(order_id=order.pk, by=request.user)

        self._each(request, queryset, picked_up)

    @admin.action(description=_("Mark delivered (completed)"), permissions=["change"])
    def complete_delivery(self, request, queryset):
        def complete(order):
            self._guard_complete(order)
            services.complete_delivery(order_id=order.pk, by=request.user)

        self._each(request, queryset, complete)

    @admin.action(description=_("Cancel"), permissions=["change"])
    def cancel(self, request, queryset):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            def cancel(order):
                self._guard_cancel(order)
                services.cancel_order(order_id=order.pk, by=request.user, note=form.cleaned_data["note"])

            self._each(request, queryset, cancel)
            return None
        return self._bulk_page(
            request, queryset, form, title=gettext("Cancel"), action="cancel",
            intro=gettext("Cancel these orders and give their reserved stock back. Paid orders are refunded instead."),
        )


@admin.register(ReturnRequest)
class ReturnRequestAdmin(admin.ModelAdmin):
    list_display = ["order", "status", "created_at", "short_reason", "decided_by_", "decided_at"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), "order__store"]
    list_select_related = ["order", "decided_by"]
    search_fields = ["order__number", "order__user__email", "reason"]
    date_hierarchy = "created_at"
    readonly_fields = ["order", "reason", "status", "staff_note", "created_at", "decided_at", "decided_by"]
    actions = ["approve", "reject"]

    @admin.display(description=_("by"), ordering="decided_by")
    def decided_by_(self, return_request):
        return return_request.decided_by or ""

    @admin.display(description=_("reason"))
    def short_reason(self, request_):
        return request_.reason if len(request_.reason) <= 40 else request_.reason[:40] + "…"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        pass  # decided only through the actions, which call decide_return

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if request.method == "POST":
            return HttpResponseRedirect(request.path)
        extra_context = {**(extra_context or {}), "show_save": False, "show_save_and_continue": False,
                         "show_save_and_add_another": False, "show_delete": False}
        return super().change_view(request, object_id, form_url, extra_context)

    def _decide(self, request, queryset, *, approve: bool, action: str, title: str):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "opts": self.opts,
                "objects": list(queryset.select_related("order").order_by("pk")),
                "form": form,
                "action": action,
                "submit_label": title,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "media": self.media + form.media,
            }
            return TemplateResponse(request, "admin/orders/bulk_action.html", context)
        decided = 0
        for return_request in queryset.order_by("pk"):
            try:
                services.decide_return(
                    request_id=return_request.pk, approve=approve, by=request.user, note=form.cleaned_data["note"]
                )
            except DOMAIN_ERRORS as err:
                self.message_user(request, f"{return_request.order}: {err.message}", messages.ERROR)
            else:
                decided += 1
        if decided:
            self.message_user(request, gettext("%(count)d return requests decided.") % {"count": decided}, messages.SUCCESS)
        return None

    @admin.action(description=_("Approve the selected return requests"), permissions=["change"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, approve=True, action="approve", title=gettext("Approve returns"))

    @admin.action(description=_("Reject the selected return requests"), permissions=["change"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, approve=False, action="reject", title=gettext("Reject returns"))


class NeedsRefundFilter(admin.SimpleListFilter):
    title = _("needs refund")
    parameter_name = "to_refund"

    def lookups(self, request, model_admin):
        return [("open", _("Not yet refunded")), ("all", _("All flagged"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(needs_refund=True, refunded_at__isnull=True)
        if self.value() == "all":
            return queryset.filter(needs_refund=True)
        return queryset


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Late payments (money for an order that had expired or was cancelled) are flagged: staff refund them."""

    list_display = ["refund_flag", "order", "provider", "amount", "status", "transaction_id", "created_at", "refunded_at"]
    list_display_links = ["order"]
    list_filter = [NeedsRefundFilter, "status", "provider", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["order"]
    search_fields = ["order__number", "transaction_id"]
    date_hierarchy = "created_at"

    @admin.display(description=_("needs refund"), ordering="needs_refund")
    def refund_flag(self, payment):
        if payment.needs_refund and payment.refunded_at is None:
            return format_html('<strong style="color:#ba2121">⚠ {}</strong>', gettext("needs refund"))
        if payment.needs_refund:
            return gettext("refunded")
        return ""


class RefundLineInline(OrderInline):
    model = RefundLine
    fields = ["order_line", "quantity", "amount"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["order", "amount", "reason", "restock", "created_by_", "created_at"]
    list_filter = ["restock", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["order", "created_by"]
    search_fields = ["order__number", "reason", "provider_reference"]
    date_hierarchy = "created_at"
    inlines = [RefundLineInline]

    @admin.display(description=_("by"), ordering="created_by")
    def created_by_(self, refund):
        return refund.created_by or ""


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "base_fee", "fee_per_extra_kg", "free_over", "provinces", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "provinces"]
    fields = ["name", "code", "base_fee", "included_weight_grams", "fee_per_extra_kg", "free_over", "provinces",
              "is_active", "position"]


class UnsentFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("no", _("Not sent yet")), ("failed", _("Failed at least once")), ("yes", _("Sent"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(sent_at__isnull=True)
        if self.value() == "failed":
            return queryset.filter(sent_at__isnull=True).exclude(Q(last_error=""))
        if self.value() == "yes":
            return queryset.filter(sent_at__isnull=False)
        return queryset


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["kind", "order", "created_at", "sent_at", "attempts", "last_error"]
    list_filter = [UnsentFilter, "kind"]
    list_select_related = ["order"]
    search_fields = ["order__number", "kind"]
    date_hierarchy = "created_at"
