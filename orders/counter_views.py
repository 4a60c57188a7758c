"""The counter (门店收银) pages for store staff: ring up a sale step by step, print the receipt, take a return.

Thin views: every step is a form post (works without JavaScript) that
changes the basket kept in the session, or calls a service
(orders/services/counter.py, orders/services/refunds.py). The basket lives in
the session, keyed by store, so a web process holds no state of its own.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders import workflow
from orders.attribution import guide_code_for
from orders.counter_forms import (
    CouponForm, LineForm, MemberForm, PayForm, PointsForm, ReturnForm, ScanForm, StoreChoiceForm,
)
from orders.exceptions import OrderError
from orders.models import Order
from orders.services.counter import (
    Basket, CounterError, TenderError, Tendered, add_to_basket, find_member, find_variants, quote_basket,
    receipt_refunds, receipt_tenders, refund_tenders, ring_up_sale,
)
from orders.services.refunds import refund_order
from shop.money import format_money
from stores.exceptions import StockError
from stores.models import Store

SESSION_KEY = "counter_basket_{store_id}"


def _actor_or_403(request) -> workflow.Actor:
    actor = workflow.staff_actor(request.user)
    if actor is None:
        raise PermissionDenied
    return actor


def _stores_for(actor: workflow.Actor):
    stores = Store.objects.filter(is_active=True).order_by("name")
    if actor.kind == workflow.ActorKind.HQ:
        return stores
    return stores.filter(pk__in=actor.store_ids)


def _till_store(request, store_id: int) -> Store:
    """The store whose till this is: 403 for non-staff, 404 for a store that is not theirs."""
    actor = _actor_or_403(request)
    return get_object_or_404(_stores_for(actor), pk=store_id)


def _basket(request, store: Store) -> Basket:
    data = request.session.get(SESSION_KEY.format(store_id=store.pk))
    return Basket.from_session(data) if data else Basket(store_id=store.pk)


def _save(request, basket: Basket) -> None:
    request.session[SESSION_KEY.format(store_id=basket.store_id)] = basket.as_session()


def _back(store: Store):
    return redirect("counter:till", store_id=store.pk)


@login_required
def counter_home(request):
    """One store: straight to its till. Several (or head office): choose one."""
    actor = _actor_or_403(request)
    stores = _stores_for(actor)
    if request.GET.get("store"):
        form = StoreChoiceForm(request.GET, stores=stores)
        if form.is_valid():
            return redirect("counter:till", store_id=form.cleaned_data["store"].pk)
    elif stores.count() == 1:
        return redirect("counter:till", store_id=stores.get().pk)
    else:
        form = StoreChoiceForm(stores=stores)
    return render(request, "orders/counter/choose_store.html", {"form": form})


@login_required
def till(request, store_id: int):
    store = _till_store(request, store_id)
    return _render_till(request, store)


def _render_till(request, store: Store, pay_form: PayForm | None = None, *, status: int = 200):
    """The till page; ``pay_form`` is a refused payment form shown again with its errors and what was typed."""
    basket = _basket(request, store)
    quote = quote_basket(basket=basket)
    results = []
    query = request.GET.get("q", "").strip()[:100]
    if query:
        results = find_variants(query)
    priced = quote.priced
    if pay_form is None:
        pay_form = PayForm(initial={"token": basket.token, "expected_total": priced.total if priced else 0})
    return render(request, "orders/counter/till.html", status=status, context={
        "store": store, "basket": basket, "quote": quote, "priced": priced, "results": results, "query": query,
        "scan_form": ScanForm(), "member_form": MemberForm(),
        "coupon_form": CouponForm(initial={"code": basket.coupon_code}),
        "points_form": PointsForm(initial={"points": basket.points_to_use}), "pay_form": pay_form,
        "share_link": request.build_absolute_uri(reverse("home")) + f"?guide={guide_code_for(request.user)}",
    })


@login_required
@require_POST
def scan(request, store_id: int):
    """A scanner types the SKU and Enter: an exact SKU goes in the basket; anything else is a name search."""
    store = _till_store(request, store_id)
    form = ScanForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Scan or type a SKU."))
        return _back(store)
    query = form.cleaned_data["q"].strip()
    found = find_variants(query)
    if len(found) == 1 and found[0].sku.lower() == query.lower() or (len(found) == 1 and request.POST.get("add")):
        basket = _basket(request, store)
        try:
            add_to_basket(basket, variant=found[0])
        except CounterError as err:
            messages.error(request, err.message)
        else:
            _save(request, basket)
        return _back(store)
    if not found:
        messages.error(request, _("No item matches “%(query)s”.") % {"query": query})
        return _back(store)
    return redirect(reverse("counter:till", kwargs={"store_id": store.pk}) + "?" + _query(query))


def _query(query: str) -> str:
    from urllib.parse import urlencode

    return urlencode({"q": query})


@login_required
@require_POST
def set_line(request, store_id: int):
    store = _till_store(request, store_id)
    form = LineForm(request.POST)
    if form.is_valid():
        basket = _basket(request, store)
        variant_id, quantity = form.cleaned_data["variant"], form.cleaned_data["quantity"]
        if quantity:
            basket.lines[variant_id] = quantity
        else:
            basket.lines.pop(variant_id, None)
        _save(request, basket)
    else:
        messages.error(request, _("Enter a quantity between 0 and 99."))
    return _back(store)


@login_required
@require_POST
def set_member(request, store_id: int):
    """Find the member by phone or member code; ``walk_in`` takes the member off the sale."""
    store = _till_store(request, store_id)
    basket = _basket(request, store)
    if "walk_in" in request.POST:
        basket.member_user_id, basket.coupon_code, basket.points_to_use = None, "", 0
        _save(request, basket)
        return _back(store)
    form = MemberForm(request.POST)
    member = find_member(form.cleaned_data["member"]) if form.is_valid() else None
    if member is None:
        messages.error(request, _("No member has that phone number or member code."))
    else:
        basket.member_user_id, basket.coupon_code, basket.points_to_use = member.user_id, "", 0
        _save(request, basket)
    return _back(store)


@login_required
@require_POST
def set_coupon(request, store_id: int):
    store = _till_store(request, store_id)
    basket = _basket(request, store)
    form = CouponForm(request.POST)
    if form.is_valid():
        if form.cleaned_data["code"] and not basket.member_user_id:
            messages.error(request, _("Coupons are for members: find the member first."))
        else:
            basket.coupon_code = form.cleaned_data["code"].strip()
            _save(request, basket)
            if basket.coupon_code and (error := quote_basket(basket=basket).coupon_error):
                messages.error(request, error)
    return _back(store)


@login_required
@require_POST
def set_points(request, store_id: int):
    store = _till_store(request, store_id)
    basket = _basket(request, store)
    form = PointsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter a whole number of points."))
    elif form.cleaned_data["points"] and not basket.member_user_id:
        messages.error(request, _("Points are for members: find the member first."))
    else:
        basket.points_to_use = form.cleaned_data["points"]
        _save(request, basket)
        quote = quote_basket(basket=basket)
        if quote.priced and quote.priced.points_used < basket.points_to_use:
            messages.warning(request, _("Only %(points)s points can be used on this sale.") % {
                "points": quote.priced.points_used})
    return _back(store)


@login_required
@require_POST
def clear(request, store_id: int):
    store = _till_store(request, store_id)
    request.session.pop(SESSION_KEY.format(store_id=store.pk), None)
    return _back(store)


@login_required
@require_POST
def pay(request, store_id: int):
    """Take the tenders and make the sale; a second click of the same form finds the first sale's receipt."""
    store = _till_store(request, store_id)
    form = PayForm(request.POST)
    if not form.is_valid():
        if form.has_error("token") or form.has_error("expected_total"):
            messages.error(request, _("This sale changed on another screen; check it and take the payment again."))
            return _back(store)
        return _render_till(request, store, form, status=400)
    token = form.cleaned_data["token"]
    try:
        uuid.UUID(token)
    except ValueError:
        raise Http404 from None
    done = Order.objects.filter(checkout_token=token, store=store, channel=Order.Channel.COUNTER).first()
    if done is not None:
        return redirect("counter:receipt", store_id=store.pk, number=done.number)
    basket = _basket(request, store)
    if basket.token != uuid.UUID(token).hex:
        messages.error(request, _("This sale changed on another screen; check it and take the payment again."))
        return _back(store)
    tendered = Tendered(form.cleaned_data["tender"], cash_given=form.cleaned_data["cash_given"],
                        card_amount=form.cleaned_data["card_amount"])
    try:
        order = ring_up_sale(basket=basket, clerk=request.user, expected_total=form.cleaned_data["expected_total"],
                             tendered=tendered)
    except TenderError as err:
        # The tenders do not add up: the form again, the error beside the box to correct, the amounts kept.
        form.add_error(err.field if err.field in form.fields else None, err.message)
        return _render_till(request, store, form, status=400)
    except (OrderError, StockError) as err:
        messages.error(request, err.message)
        return _back(store)
    request.session.pop(SESSION_KEY.format(store_id=store.pk), None)
    messages.success(request, _("Sale %(number)s done.") % {"number": order.number})
    return redirect("counter:receipt", store_id=store.pk, number=order.number)


def _counter_order(store: Store, number: str) -> Order:
    return get_object_or_404(
        Order.objects.filter(store=store, channel=Order.Channel.COUNTER)
        .select_related("user", "sales_staff", "store").prefetch_related("lines", "payments", "adjustments", "events"),
        number=number,
    )


@login_required
def receipt(request, store_id: int, number: str):
    """The receipt (小票): print CSS makes it a till slip; the same page takes a return."""
    store = _till_store(request, store_id)
    order = _counter_order(store, number)
    # The paid event's note holds the cash handed over and the change; a sale without cash has none to print.
    paid = order.events.filter(to_status=Order.Status.PAID).first()
    took_cash = any(payment.provider == "cash" for payment in order.payments.all())
    return render(request, "orders/counter/receipt.html", {
        "store": store, "order": order, "tender_note": paid.note if paid and took_cash else "",
        "tenders": receipt_tenders(order), "refunds_back": receipt_refunds(order),
        "return_form": ReturnForm(lines=order.lines.all(), initial={"key": uuid.uuid4().hex}),
    })


@login_required
@require_POST
def take_return(request, store_id: int, number: str):
    """Units brought back to the counter: refunded through refund_order (the same path as online) and restocked."""
    store = _till_store(request, store_id)
    order = _counter_order(store, number)
    form = ReturnForm(request.POST, lines=order.lines.all())
    if not form.is_valid():
        messages.error(request, _("Give a reason and the units brought back."))
        return redirect("counter:receipt", store_id=store.pk, number=order.number)
    quantities = form.quantities()
    try:
        refund = refund_order(order_id=order.pk, by=request.user, reason=form.cleaned_data["reason"],
                              key=f"counter-{form.cleaned_data['key']}", quantities=quantities or None, restock=True)
    except OrderError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("Refunded %(amount)s (%(tenders)s); the units are back on the shelf.") % {
            "amount": format_money(refund.amount), "tenders": refund_tenders(refund)})
    return redirect("counter:receipt", store_id=store.pk, number=order.number)
