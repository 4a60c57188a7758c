"""The staff back office for orders: interface only.

Staff never edit an order's fields. What may happen to an order is the
workflow's answer (``orders.workflow.available_actions``): the order page
shows a button per action, each button opens a page that asks for what the
step needs and calls a service, and the service writes the ``OrderEvent``
(with the staff member as actor) that is the audit trail. Refusals come
back as messages on the page, never as a server error.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders import selectors, services, workflow
from orders.admin_forms import (
    BankTransferForm,
    EmptyForm,
    NoteForm,
    PickupCodeForm,
    RefundForm,
    ShipForm,
)
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
from orders.payments.providers import PROVIDER_LABELS, provider_label
from shop.admin_mixins import ReadOnlyAdminMixin
from shop.money import format_money as money
from stores.admin_scoping import StoreScopedAdminMixin
from stores.exceptions import StockError

# What a service may refuse with a message fit for the page.
DOMAIN_ERRORS = (OrderError, StockError)


def status_label(value: str) -> str:
    return Order.Status(value).label if value in Order.Status.values else value


def render_action_page(model_admin, request, *, title, form, template, **context):
    """The one page that asks staff for a step's input (a note, a carrier, refund lines) before a service runs."""
    return TemplateResponse(request, template, {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "opts": model_admin.opts,
        "form": form,
        "media": model_admin.media + form.media,
        "submit_label": title,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        **context,
    })


# --- the order page's inlines -------------------------------------------------------------


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
    fields = ["product_name", "options", "sku", "unit_price", "quantity", "line_total", "discount", "points_share",
              "net_total", "why", "refunded_quantity", "refunded_amount"]

    @admin.display(description=_("points share"))
    def points_share(self, line):
        return f"{line.points_used} ({money(line.points_value)})" if line.points_used else "—"

    @admin.display(description=_("why this price"))
    def why(self, line):
        explain = getattr(selectors, "line_explanation", None)
        parts = explain(line) if explain else []
        return "; ".join(f"{label} {money(amount)}" for label, amount in parts) or "—"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("allocations__adjustment")


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


class ProviderLabelMixin:
    @admin.display(description=_("provider"), ordering="provider")
    def provider_(self, payment):
        return provider_label(payment.provider)


class PaymentInline(ProviderLabelMixin, OrderInline):
    model = Payment
    fields = ["created_at", "provider_", "amount", "status", "transaction_id", "needs_refund", "refunded_amount",
              "confirmed_by_"]

    @admin.display(description=_("by"))
    def confirmed_by_(self, payment):
        return payment.confirmed_by or ""


class RefundInline(OrderInline):
    model = Refund
    fields = ["created_at", "amount", "points", "reason", "restock", "status", "created_by_"]

    @admin.display(description=_("by"))
    def created_by_(self, refund):
        return refund.created_by or ""


class ReturnRequestInline(OrderInline):
    model = ReturnRequest
    fields = ["created_at", "reason", "status", "staff_note", "decided_at", "decided_by_"]

    @admin.display(description=_("by"))
    def decided_by_(self, return_request):
        return return_request.decided_by or ""


# --- the pages behind the order's buttons ---------------------------------------------------


@dataclass(frozen=True)
class OrderPage:
    """One button of the order page: its url, the form it asks, what it does (returns the success message)."""

    name: str  # the workflow action, or a staff step that is not a move (confirm_transfer, refund)
    url: str
    make_form: Callable
    perform: Callable
    template: str = "admin/orders/order/action_form.html"


def _move(done):
    """Perform a workflow action with the form's data; ``done`` is the success message."""

    def perform(order_admin, request, order, form, action):
        workflow.move_order(order_id=order.pk, action=action, actor=order_admin.actor(request), **form.cleaned_data)
        return done % {"number": order.number}

    return perform


def _confirm_transfer(order_admin, request, order, form, action):
    (_order, reference), = form.references()
    return confirm_transfer(order, reference, request.user)


def _hand_over(order_admin, request, order, form, action):
    from orders.services.pickup import hand_over_with_code

    hand_over_with_code(order_id=order.pk, code=form.cleaned_data["pickup_code"], actor=order_admin.actor(request),
                        note=form.cleaned_data["note"])
    return gettext("Order %(number)s was picked up.") % {"number": order.number}


def _refund(order_admin, request, order, form, action):
    refund = services.refund_order(
        order_id=order.pk,
        by=request.user,
        reason=form.cleaned_data["reason"],
        key=str(form.cleaned_data["key"]),
        quantities=form.quantities(),
        restock=form.cleaned_data["restock"],
    )
    return gettext("Refunded %(amount)s on order %(number)s.") % {"amount": money(refund.amount), "number": order.number}


# The form each step asks for before it runs; which steps an order offers is the workflow's answer.
ACTION_FORMS = {
    page.name: page
    for page in [
        OrderPage("confirm_transfer", "confirm-transfer", lambda data, order: BankTransferForm(data, orders=[order]),
                  _confirm_transfer),
        OrderPage("ship", "ship", lambda data, order: ShipForm(data), _move(_("Order %(number)s shipped."))),
        OrderPage("ready_for_pickup", "ready-for-pickup", lambda data, order: EmptyForm(data),
                  _move(_("Order %(number)s is ready for pick-up."))),
        OrderPage("hand_over", "picked-up", lambda data, order: PickupCodeForm(data), _hand_over),
        OrderPage("complete_delivery", "complete", lambda data, order: NoteForm(data),
                  _move(_("Order %(number)s is completed."))),
        OrderPage("refuse_delivery", "refuse-delivery", lambda data, order: NoteForm(data),
                  _move(_("Order %(number)s was refused: cancelled, and the goods are back in stock."))),
        OrderPage("cancel", "cancel", lambda data, order: NoteForm(data), _move(_("Order %(number)s cancelled."))),
        OrderPage("refund", "refund", lambda data, order: RefundForm(data, order=order), _refund,
                  template="admin/orders/order/refund.html"),
    ]
}
WHEN_FIELDS = ("expires_at", "paid_at", "shipped_at", "ready_at", "completed_at", "cancelled_at", "counted_at")
PRINT_PAGES = {"packing-slip": _("Packing slip and pick list"), "receipt": _("Receipt")}
NOT_REFUNDED_HERE = {Order.Status.PENDING_PAYMENT, Order.Status.PLACED, Order.Status.CANCELLED}


def confirm_transfer(order, reference, by) -> str:
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


@admin.register(Order)
class OrderAdmin(StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["number", "member", "status", "channel", "fulfilment", "payment_method", "store", "total_display",
                    "placed_at"]
    list_filter = ["status", "channel", "store", "fulfilment", "payment_method", ("placed_at", admin.DateFieldListFilter)]
    list_select_related = ["user", "store"]
    search_fields = ["number", "user__email", "phone", "tracking_number"]
    search_help_text = _("Search by order number, member email, phone or tracking number.")
    date_hierarchy = "placed_at"
    list_per_page = 50
    view_on_site = False  # the order page on the site is the shopper's own
    inlines = [OrderLineInline, OrderAdjustmentInline, PaymentInline, RefundInline, ReturnRequestInline,
               OrderEventInline]
    fieldsets = [
        (None, {"fields": ["number", "status", "user", "store", "fulfilment", "payment_method", "placed_at", "expires_at"]}),
        (_("recipient"), {"fields": ["recipient", "phone", "province", "city", "district", "address_detail", "note"]}),
        (_("shipping method"), {"fields": ["shipping_method_name", "carrier", "tracking_number"]}),
        (None, {"fields": ["currency", "subtotal", "discount_total", "shipping_fee", "total", "refunded_total",
                           "points_used", "wallet_amount", "wallet_refunded"]}),
        (None, {"fields": ["paid_at", "shipped_at", "ready_at", "completed_at", "cancelled_at", "counted_at"]}),
    ]
    actions = ["confirm_bank_transfer", "ship", "mark_ready_for_pickup", "mark_picked_up", "complete_delivery",
               "cancel", "refund"]

    @admin.display(description=_("member"), ordering="user__email")
    def member(self, order):
        return order.user.email or order.user.get_username()

    @admin.display(description=_("total"), ordering="total")
    def total_display(self, order):
        return money(order.total)

    # --- who acts, and on which orders ---------------------------------------------------

    @staticmethod
    def staff(request):
        """Who this staff member is to the workflow (looked up once per request), or None."""
        if not hasattr(request, "_order_staff_actor"):
            request._order_staff_actor = workflow.staff_actor(request.user)
        return request._order_staff_actor

    def actor(self, request):
        """The workflow actor for this staff member, or None if they may only look."""
        if not request.user.has_perm("orders.change_order"):
            return None
        return self.staff(request)

    def has_act_permission(self, request):
        return self.actor(request) is not None

    # --- the change page: read-only, the workflow's actions as buttons ----------------------

    def get_readonly_fields(self, request, obj=None):
        return [name for _title, options in self.fieldsets for name in options["fields"]]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = dict(extra_context or {})
        order = self.get_object(request, unquote(object_id))
        if order is not None and self.has_act_permission(request):
            extra_context["order_actions"] = self.order_actions(request, order)
        if order is not None:
            extra_context["print_links"] = [
                (reverse(f"admin:orders_order_print_{kind.replace('-', '_')}", args=[order.pk]), label)
                for kind, label in PRINT_PAGES.items()
            ]
        return super().change_view(request, object_id, form_url, extra_context)

    def order_actions(self, request, order) -> list[tuple[str, str]]:
        """(url, label) of each step this staff member may take on the order now."""
        actor = self.actor(request)
        names = []
        if order.payment_method == Order.PaymentMethod.BANK_TRANSFER and workflow.EDGES_BY_NAME["pay"].fits(order):
            names.append(("confirm_transfer", _("Confirm bank transfer")))
        names += [(edge.name, edge.label) for edge in workflow.available_actions(order, actor) if edge.name in ACTION_FORMS]
        if self.offers_refund(order):
            names.append(("refund", _("Refund")))
        return [(reverse(f"admin:orders_order_{name}", args=[order.pk]), label) for name, label in names]

    @staticmethod
    def offers_refund(order) -> bool:
        # Unpaid orders are cancelled, not refunded; the ledger says whether money is there to give back.
        if order.status in NOT_REFUNDED_HERE:
            return False
        from orders.services.refunds import refundable_money

        return refundable_money(order) > 0

    # --- one-order pages ------------------------------------------------------------------

    def get_urls(self):
        from orders.admin_pickup import verify_pickup_view

        custom = [
            path("pickup/verify/", self.admin_site.admin_view(partial(verify_pickup_view, self)),
                 name="orders_order_verify_pickup"),
        ] + [
            path(f"<path:object_id>/{page.url}/", self.admin_site.admin_view(self._page_view(page)),
                 name=f"orders_order_{page.name}")
            for page in ACTION_FORMS.values()
        ] + [
            path(f"<path:object_id>/print/{kind}/", self.admin_site.admin_view(partial(self.print_view, kind=kind)),
                 name=f"orders_order_print_{kind.replace('-', '_')}")
            for kind in PRINT_PAGES
        ]
        return custom + super().get_urls()

    def print_view(self, request, object_id, *, kind):
        """A plain page for the printer: the packing slip / pick list, or the counter receipt (小票)."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            raise Http404
        return TemplateResponse(request, "admin/orders/order/print.html", {
            "order": order, "kind": kind, "title": PRINT_PAGES[kind], "shop_name": self.admin_site.site_header,
            "lines": order.lines.all(), "adjustments": order.adjustments.all(),
            "payments": [{"label": provider_label(p.provider), "amount": p.amount}
                         for p in order.payments.filter(status=Payment.Status.SUCCEEDED)],
            "is_pickup": order.fulfilment == Order.Fulfilment.PICKUP,
        })

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.fieldsets
        # The page is a workbench, not a form: a step that has not happened yet is no row of its own,
        # and a pick-up order has no address or parcel, so it shows whom to hand it to instead.
        hidden = {name for name in WHEN_FIELDS if getattr(obj, name) is None}
        if obj.fulfilment == Order.Fulfilment.PICKUP:
            hidden |= {"province", "city", "district", "address_detail", "shipping_method_name", "carrier",
                       "tracking_number"}
        fieldsets = []
        for index, (title, options) in enumerate(self.fieldsets):
            fields = [name for name in options["fields"] if name not in hidden]
            if index == 1 and obj.fulfilment == Order.Fulfilment.PICKUP:
                title = _("pick-up contact")
            if fields:
                fieldsets.append((title, {**options, "fields": fields}))
        return fieldsets

    def get_inline_instances(self, request, obj=None):
        inlines = super().get_inline_instances(request, obj)
        if obj is None:
            return inlines
        # Lines and the timeline always; payments, refunds, adjustments and returns only when there are any.
        return [inline for inline in inlines
                if inline.model in (OrderLine, OrderEvent) or inline.get_queryset(request).filter(order=obj).exists()]

    def _page_view(self, page: OrderPage):
        def view(request, object_id):
            return self.order_page(request, object_id, page)

        return view

    def order_page(self, request, object_id, page: OrderPage):
        """GET shows the step's form; POST validates it and performs the step, back to the order on success."""
        order = self.get_object(request, unquote(object_id))
        if order is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_act_permission(request):
            raise PermissionDenied
        form = page.make_form(request.POST if request.method == "POST" else None, order)
        if request.method == "POST" and form.is_valid():
            try:
                message = page.perform(self, request, order, form, page.name)
            except DOMAIN_ERRORS as err:
                self.message_user(request, err.message, messages.ERROR)
            else:
                self.message_user(request, message, messages.SUCCESS)
                return redirect("admin:orders_order_change", order.pk)
        edge = workflow.EDGES_BY_NAME.get(page.name)
        title = str(edge.label) if edge else {"confirm_transfer": gettext("Confirm bank transfer"),
                                              "refund": gettext("Refund")}[page.name]
        return render_action_page(self, request, title=title, form=form, template=page.template,
                                  subtitle=order.number, order=order)

    # --- changelist actions ---------------------------------------------------------------

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
            self.message_user(request, gettext("Done for: %(numbers)s") % {"numbers": ", ".join(done)}, messages.SUCCESS)

    def _move_each(self, request, queryset, action, **data) -> None:
        actor = self.actor(request)
        self._each(request, queryset,
                   lambda order: workflow.move_order(order_id=order.pk, action=action, actor=actor, **data))

    def _bulk_page(self, request, queryset, form, *, title, action, intro=""):
        return render_action_page(self, request, title=title, form=form, template="admin/orders/bulk_action.html",
                                  objects=list(queryset.order_by("pk")), action=action, intro=intro)

    def _one_order_page(self, request, queryset, name):
        if queryset.count() != 1:
            self.message_user(request, gettext("Choose exactly one order for this action."), messages.ERROR)
            return None
        return redirect(f"admin:orders_order_{name}", queryset.get().pk)

    @admin.action(description=_("Confirm bank transfer"), permissions=["act"])
    def confirm_bank_transfer(self, request, queryset):
        orders = list(queryset.order_by("pk"))
        form = BankTransferForm(request.POST if "apply" in request.POST else None, orders=orders)
        if form.is_bound and form.is_valid():
            references = dict(form.references())
            self._each(request, queryset, lambda order: confirm_transfer(order, references[order], request.user))
            return None
        return self._bulk_page(request, queryset, form, title=gettext("Confirm bank transfer"),
                               action="confirm_bank_transfer",
                               intro=gettext("Record the money that arrived for these orders."))

    @admin.action(description=_("Ship"), permissions=["act"])
    def ship(self, request, queryset):
        return self._one_order_page(request, queryset, "ship")

    @admin.action(description=_("Refund"), permissions=["act"])
    def refund(self, request, queryset):
        return self._one_order_page(request, queryset, "refund")

    @admin.action(description=_("Mark ready for pick-up"), permissions=["act"])
    def mark_ready_for_pickup(self, request, queryset):
        self._move_each(request, queryset, "ready_for_pickup")

    @admin.action(description=_("Hand over in store"), permissions=["act"])
    def mark_picked_up(self, request, queryset):
        # Each hand-over needs the code its shopper shows: one order at a time, on its page.
        return self._one_order_page(request, queryset, "hand_over")

    @admin.action(description=_("Mark delivered (completed)"), permissions=["act"])
    def complete_delivery(self, request, queryset):
        self._move_each(request, queryset, "complete_delivery")

    @admin.action(description=_("Cancel"), permissions=["act"])
    def cancel(self, request, queryset):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if form.is_bound and form.is_valid():
            self._move_each(request, queryset, "cancel", note=form.cleaned_data["note"])
            return None
        return self._bulk_page(
            request, queryset, form, title=gettext("Cancel"), action="cancel",
            intro=gettext("Cancel these orders and give their reserved stock back. Paid orders are refunded instead."),
        )


# --- the other order-side lists ------------------------------------------------------------


@admin.register(ReturnRequest)
class ReturnRequestAdmin(StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    store_fields = ("order__store",)
    list_display = ["order", "status", "created_at", "short_reason", "decided_by_", "decided_at"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter), "order__store"]
    list_select_related = ["order", "decided_by"]
    search_fields = ["order__number", "order__user__email", "reason"]
    date_hierarchy = "created_at"
    fields = ["order", "reason", "status", "staff_note", "created_at", "decided_at", "decided_by"]
    actions = ["approve", "reject"]

    @admin.display(description=_("by"), ordering="decided_by")
    def decided_by_(self, return_request):
        return return_request.decided_by or ""

    @admin.display(description=_("reason"))
    def short_reason(self, request_):
        return request_.reason if len(request_.reason) <= 40 else request_.reason[:40] + "…"

    def has_decide_permission(self, request):
        return request.user.has_perm("orders.change_returnrequest")

    def _decide(self, request, queryset, *, approve: bool, action: str, title: str):
        form = NoteForm(request.POST if "apply" in request.POST else None)
        if not (form.is_bound and form.is_valid()):
            return render_action_page(self, request, title=title, form=form, template="admin/orders/bulk_action.html",
                                      objects=list(queryset.select_related("order").order_by("pk")), action=action)
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

    @admin.action(description=_("Approve the selected return requests"), permissions=["decide"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, approve=True, action="approve", title=gettext("Approve returns"))

    @admin.action(description=_("Reject the selected return requests"), permissions=["decide"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, approve=False, action="reject", title=gettext("Reject returns"))


class ProviderFilter(admin.SimpleListFilter):
    title = _("provider")
    parameter_name = "provider"

    def lookups(self, request, model_admin):
        return [(code, label) for code, label in PROVIDER_LABELS.items()]

    def queryset(self, request, queryset):
        return queryset.filter(provider=self.value()) if self.value() else queryset


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
class PaymentAdmin(StoreScopedAdminMixin, ProviderLabelMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    store_fields = ("order__store",)
    """Late and duplicate payments (money for an order that no longer awaited it) are flagged: staff refund them."""

    list_display = ["refund_flag", "order", "provider_", "amount", "status", "transaction_id", "created_at", "refunded_at"]
    list_display_links = ["order"]
    list_filter = [NeedsRefundFilter, "status", ProviderFilter, ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["order"]
    search_fields = ["order__number", "transaction_id"]
    date_hierarchy = "created_at"
    actions = ["refund_flagged"]

    @admin.display(description=_("needs refund"), ordering="needs_refund")
    def refund_flag(self, payment):
        if payment.needs_refund and payment.refunded_at is None:
            return format_html('<strong class="errornote">⚠ {}</strong>', gettext("needs refund"))
        if payment.needs_refund:
            return gettext("refunded")
        return ""

    def has_refund_permission(self, request):
        return request.user.has_perm("orders.change_order") and workflow.staff_actor(request.user) is not None

    @admin.action(description=_("Refund the selected late or duplicate payments"), permissions=["refund"])
    def refund_flagged(self, request, queryset):
        from orders.services import refunds

        refund_late_payment = getattr(refunds, "refund_late_payment", None)
        if refund_late_payment is None:
            self.message_user(request, gettext("Refunding late payments is not available yet."), messages.ERROR)
            return
        key_for = getattr(refunds, "refund_late_payment_key", lambda payment_id: f"late-payment-{payment_id}")
        done = []
        for payment in queryset.filter(needs_refund=True).select_related("order").order_by("pk"):
            try:
                # One key per payment: a double submit, or staff and the system together, refund it once.
                refund_late_payment(payment_id=payment.pk, by=request.user, key=key_for(payment.pk))
            except DOMAIN_ERRORS as err:
                self.message_user(request, f"{payment.order.number}: {err.message}", messages.ERROR)
            else:
                done.append(payment.order.number)
        skipped = queryset.filter(needs_refund=False).count()
        if skipped:
            self.message_user(request, gettext("%(count)d payments were applied to their orders: refund those orders instead.")
                              % {"count": skipped}, messages.WARNING)
        if done:
            self.message_user(request, gettext("Refund started for: %(numbers)s") % {"numbers": ", ".join(done)},
                              messages.SUCCESS)


class RefundLineInline(OrderInline):
    model = RefundLine
    fields = ["order_line", "quantity", "amount", "points"]


@admin.register(Refund)
class RefundAdmin(StoreScopedAdminMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    store_fields = ("order__store",)
    list_display = ["order", "amount", "status", "reason", "restock", "created_by_", "created_at"]
    list_filter = ["status", "restock", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["order", "created_by"]
    search_fields = ["order__number", "reason", "key"]
    date_hierarchy = "created_at"
    inlines = [RefundLineInline]

    @admin.display(description=_("by"), ordering="created_by")
    def created_by_(self, refund):
        return refund.created_by or ""


class ShippingMethodAdminForm(forms.ModelForm):
    class Meta:
        model = ShippingMethod
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        days_min, days_max = cleaned.get("delivery_days_min"), cleaned.get("delivery_days_max")
        if days_min is not None and days_max is not None and days_min > days_max:
            # Said on the field, before the database's check constraint would refuse the row: an error
            # on the field also keeps Django from repeating it as "Constraint … is violated".
            self.add_error("delivery_days_max", _("Must be at least the smallest number of days (%(min)s).") % {
                "min": days_min,
            })
        return cleaned


@admin.register(ShippingMethod)
class ShippingMethodAdmin(admin.ModelAdmin):
    form = ShippingMethodAdminForm
    list_display = ["name", "code", "base_fee", "fee_per_extra_kg", "free_over", "provinces",
                    "delivery_days_min", "delivery_days_max", "is_active", "position"]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active"]
    search_fields = ["name", "code", "provinces"]
    fields = ["name", "code", "base_fee", "included_weight_grams", "fee_per_extra_kg", "free_over", "provinces",
              ("delivery_days_min", "delivery_days_max"), "is_active", "position"]


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
