"""Cart, checkout and the shopper's orders. Thin: parse, call a service, redirect or render."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from members import services as member_services
from members.exceptions import MemberError
from members.models import TopUpBonusRule, WalletTopUp
from orders import selectors, workflow
from orders.attribution import credit_guide, guide_from_request
from orders.exceptions import OrderError
from orders.forms import AddToCartForm, CheckoutForm, ReturnRequestForm, TopUpForm, UpdateCartForm
from orders.models import Order
from orders.payments import provider_for
from orders.services import (
    CheckoutChoice,
    add_to_cart,
    cart_for,
    change_quantity,
    place_order,
    request_return,
)
from orders.services.cart import cart_items
from orders.services.delivery_dates import arrival_window_for
from orders.workflow import Actor
from orders.group_views import clear_group_checkout, group_checkout_intent
from orders.services.checkout import group_checkout_lines
from orders.services.checkout import choice_key, member_for_checkout, price_lines, price_with_coupons, shipping_quotes
from shop.redirects import safe_target
from shop.traffic_source import source_from_request
from stores.exceptions import StockError


def _back(request, fallback: str):
    return redirect(safe_target(request, request.POST.get("next")) or fallback)


@require_GET
def cart_detail(request):
    cart = cart_for(request)
    items = cart_items(cart)
    priced = coupons = None
    if request.user.is_authenticated and items:
        # A member sees their tier discount, and each line's share of it, already here; shipping comes at checkout.
        sellable = [(item.variant, item.quantity) for item in items if not item.problem]
        choice = CheckoutChoice(fulfilment=Order.Fulfilment.PICKUP, payment_method=Order.PaymentMethod.ONLINE)
        # The profile came with the lines; member_for_checkout makes one for a user who has none yet.
        member = (cart.member or member_for_checkout(request.user.pk)) if sellable else None
        coupons = price_with_coupons(sellable, choice, member) if sellable else None
        priced = coupons.priced if coupons else None
        if priced is not None:
            # A gift line (满赠) may be the same variant as a bought one: the bought line explains the price.
            by_variant = {line.item.variant_id: line for line in priced.lines if not getattr(line, "is_gift", False)}
            for item in items:
                item.priced = by_variant.get(item.variant.pk)
    return render(
        request,
        "orders/cart.html",
        {
            "items": items,
            "subtotal": sum((item.line_total for item in items), 0),
            "priced": priced,
            "coupons": coupons,
            "has_problems": any(i.problem for i in items),
            # The header badge from the lines already loaded, instead of a second query for the same rows.
            "cart_count": sum(item.quantity for item in items),
        },
    )


@require_POST
def cart_add(request):
    form = AddToCartForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return _back(request, "orders:cart-detail")
    try:
        variant = add_to_cart(
            cart=cart_for(request), variant_id=form.cleaned_data["variant"], quantity=form.cleaned_data["quantity"]
        )
    except OrderError as err:
        messages.error(request, err.message)
        return _back(request, "orders:cart-detail")
    if "buy_now" in request.POST:
        # 立即购买: straight on to checkout with the cart (a guest is asked to log in on the way).
        return redirect("orders:checkout")
    messages.success(request, _("Added %(name)s to your cart.") % {"name": variant.product.name})
    return _back(request, "orders:cart-detail")


@require_POST
def cart_update(request):
    form = UpdateCartForm(request.POST)
    if form.is_valid():
        try:
            change_quantity(
                cart=cart_for(request), variant_id=form.cleaned_data["variant"], quantity=form.cleaned_data["quantity"]
            )
        except OrderError as err:
            messages.error(request, err.message)
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
    return redirect("orders:cart-detail")


@login_required
def checkout(request):
    if request.method == "POST":
        # A resubmission of a checkout that already went through (double click, reload, retry)
        # leads to its order, even though that order emptied the cart.
        done = selectors.order_for_checkout_token(user_id=request.user.pk, token=request.POST.get("token"))
        if done is not None:
            return redirect("orders:order-pay", number=done.number)
    group = group_checkout_intent(request)  # a group-buy order (拼团): one unit bought beside the cart
    try:
        lines = group_checkout_lines(CheckoutChoice("", "", **group)) if group else selectors.member_cart_lines(request.user.pk)
    except OrderError as err:
        clear_group_checkout(request)
        messages.error(request, err.message)
        return redirect("orders:cart-detail")
    if not lines:
        messages.info(request, _("Your cart is empty."))
        return redirect("orders:cart-detail")
    addresses = list(request.user.addresses.all())
    pickup_stores = selectors.pickup_stores_for(lines)
    initial_address = next((a for a in addresses if a.is_default), addresses[0] if addresses else None)
    data = request.POST if request.method == "POST" else None
    province = initial_address.province if initial_address else ""
    if data and data.get("address", "").isdigit():
        chosen = next((a for a in addresses if a.pk == int(data["address"])), None)
        province = chosen.province if chosen else province
    methods = selectors.shipping_methods_for(province) if province else []
    member = member_for_checkout(request.user.pk)
    if data is not None and "place" not in data and data.get("fulfilment") == Order.Fulfilment.PICKUP:
        if not data.get("pickup_store") and pickup_stores:
            # Re-pricing the pick-up tab (a tap on it): suggest the first store, shown checked before placing.
            # Placing never picks a store the shopper did not see chosen.
            data = data.copy()
            data["pickup_store"] = str(pickup_stores[0].pk)
    form = CheckoutForm(
        data,
        user=request.user,
        pickup_stores=pickup_stores,
        shipping_methods=methods,
        initial={
            "token": uuid.uuid4(),
            "address": initial_address,
            "shipping_method": methods[0].pk if methods else None,
            # No store is pre-selected: a delivery shopper never sees one chosen for them, and a pick-up
            # shopper taps the store they will walk to. Who picks it up is the member, until they say otherwise.
            "contact_name": request.user.get_full_name() or (initial_address.recipient if initial_address else ""),
            "contact_phone": member.phone or (initial_address.phone if initial_address else ""),
        },
    )
    choice = CheckoutChoice(
        fulfilment=Order.Fulfilment.DELIVERY,
        payment_method=Order.PaymentMethod.ONLINE,
        address=initial_address,
        shipping_method=methods[0] if methods else None,
        **group,
    )
    coupons = None
    live = request.headers.get("X-Requested-With") == "fetch"  # the page re-pricing itself (orders/checkout.js)
    if data is not None and form.can_price(placing="place" in request.POST, live=live):
        cleaned = form.cleaned_data
        is_delivery = cleaned["fulfilment"] == Order.Fulfilment.DELIVERY
        choice = CheckoutChoice(
            fulfilment=cleaned["fulfilment"],
            payment_method=cleaned["payment_method"],
            address=cleaned["address"] if is_delivery else None,
            pickup_store=None if is_delivery else cleaned["pickup_store"],
            shipping_method=cleaned["shipping_method"] if is_delivery else None,
            contact_name=cleaned.get("contact_name", ""),
            contact_phone=cleaned.get("contact_phone", ""),
            note=cleaned.get("note", ""),
            points_to_use=cleaned["points_to_use"] or 0,
            use_wallet=cleaned["use_wallet"],
            coupon_code=form.chosen_coupon(),
            **group,
        )
        coupons = price_with_coupons(lines, choice, member)
        # A page that did not say what it priced (an older page) is held to its totals, as before.
        shown_other_options = bool(cleaned["priced_for"]) and cleaned["priced_for"] != choice_key(choice)
        shown = (cleaned["expected_total"], cleaned["expected_amount_due"])
        now = (coupons.priced.total, coupons.priced.amount_due)
        changed = any(was is not None and was != is_ for was, is_ in zip(shown, now))
        if "place" in request.POST and shown_other_options and changed:
            # The shopper changed an option (without JavaScript the page could not re-price it live):
            # that is no price change to refuse, so show the new total and let them place the order.
            messages.info(request, _("The total is updated for your choices. Check it and place the order."))
        elif "place" in request.POST:
            try:
                order = place_order(
                    user_id=request.user.pk,
                    token=cleaned["token"],
                    choice=choice,
                    expected_total=cleaned["expected_total"],
                    expected_amount_due=cleaned["expected_amount_due"],
                    source=source_from_request(request),
                )
            except (OrderError, StockError, MemberError) as err:
                messages.error(request, err.message)
            else:
                clear_group_checkout(request)
                credit_guide(order_id=order.pk, staff=guide_from_request(request))
                return redirect("orders:order-pay", number=order.number)
    elif data is not None and "place" in request.POST:
        # Say so at the top too: an error on a field further down the page is easy to miss on a phone.
        messages.error(request, _("Please check the marked choices and place the order again."))
    if data is not None and coupons is None and data.get("fulfilment") == Order.Fulfilment.PICKUP:
        # The pick-up tab with a choice still missing: its total has no shipping, whatever is missing.
        choice = CheckoutChoice(fulfilment=Order.Fulfilment.PICKUP, payment_method=Order.PaymentMethod.ONLINE, **group)
    if coupons is None:
        coupons = price_with_coupons(lines, choice, member)
    priced = coupons.priced
    shipping_quotes_by_pk = shipping_quotes(lines, choice, member, methods)
    # The page carries the total and the amount due it showed; placing the order compares against
    # both, so a changed price or a changed stored-value part is shown to the shopper before they pay.
    if data is None:
        form.initial["expected_total"] = priced.total
        form.initial["expected_amount_due"] = priced.amount_due
        form.initial["priced_for"] = choice_key(choice)
    else:
        form.data = form.data.copy()
        form.data["expected_total"] = str(priced.total)
        form.data["expected_amount_due"] = str(priced.amount_due)
        form.data["priced_for"] = choice_key(choice)
    return render(
        request,
        "orders/checkout.html",
        {
            "form": form,
            "priced": priced,
            "addresses": addresses,
            "pickup_stores": pickup_stores,
            "expected_total": priced.total,
            "expected_amount_due": priced.amount_due,
            "member": member,
            "group_checkout": group,
            "coupons": coupons,
            "shipping_options": [
                (m, shipping_quotes_by_pk.get(m.pk), arrival_window_for(m)) for m in methods
            ],
            "max_points": member_services.max_points_for(priced.goods_after_discounts, member.points_balance),
        },
    )


@login_required
@require_GET
def order_list(request):
    from orders.templatetags.member_orders import TO_PAY, TO_RECEIVE, TO_SHIP

    # The member centre's status tabs (待付款 / 待发货 / 待收货) link here; an unknown tab shows every order.
    tabs = {"to_pay": TO_PAY, "to_ship": TO_SHIP, "to_receive": TO_RECEIVE}
    orders = selectors.orders_for_member(request.user)
    tab = request.GET.get("tab", "")
    if tab in tabs:
        orders = orders.filter(status__in=tabs[tab])
    page = Paginator(orders, 10).get_page(request.GET.get("page"))
    return render(request, "orders/order_list.html", {"page": page, "tab": tab if tab in tabs else ""})


@login_required
@require_GET
def order_detail(request, number):
    order = selectors.order_for_member(request.user, number)
    # What the shopper may do now, as the workflow says; the page shows a button per action.
    actions = {edge.name for edge in workflow.available_actions(order, Actor.shopper(request.user))}
    return render(
        request,
        "orders/order_detail.html",
        {
            "order": order,
            "actions": actions,
            "return_form": ReturnRequestForm(),
            "bank_account": settings.BANK_TRANSFER_ACCOUNT,
        },
    )


@login_required
@require_GET
def order_pay(request, number):
    """Send the shopper on to pay: the gateway's page, transfer instructions, or nothing (cash on delivery)."""
    order = get_object_or_404(Order, number=number, user=request.user)
    if order.needs_payment:
        url = provider_for(order).start_url(order)
        if url:
            return redirect(url)
    return redirect(order.get_absolute_url())


def _shopper_move(request, number: str, action: str, done_message: str, **data):
    """Take a workflow action on the shopper's own order; a refusal is shown, never a server error."""
    order = get_object_or_404(Order, number=number, user=request.user)
    try:
        workflow.move_order(order_id=order.pk, action=action, actor=Actor.shopper(request.user), **data)
    except OrderError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, done_message)
    return redirect(order.get_absolute_url())


@login_required
@require_POST
def order_cancel(request, number):
    return _shopper_move(
        request, number, "cancel", _("Order %(number)s is cancelled.") % {"number": number},
        note=_("Cancelled by the shopper"),
    )


@login_required
@require_POST
def order_confirm_receipt(request, number):
    return _shopper_move(request, number, "confirm_receipt", _("Thank you! The order is complete."))


@login_required
@require_POST
def order_return(request, number):
    order = get_object_or_404(Order, number=number, user=request.user)
    form = ReturnRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Tell us why you want to return it."))
        return redirect(order.get_absolute_url())
    try:
        request_return(order_id=order.pk, user=request.user, reason=form.cleaned_data["reason"])
    except OrderError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("We received your return request and will reply soon."))
    return redirect(order.get_absolute_url())


@login_required
def wallet_top_up(request):
    """Top up stored value online: choose an amount, pay on the gateway, come back credited."""
    member = member_services.ensure_member(user=request.user)
    form = TopUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            top_up = member_services.start_top_up(user_id=request.user.pk, amount=form.cleaned_data["amount"])
        except MemberError as err:
            form.add_error("amount", err.message)
        else:
            return redirect("orders:gateway-pay", number=top_up.number)
    return render(
        request,
        "orders/wallet_top_up.html",
        {"form": form, "member": member, "rules": TopUpBonusRule.objects.filter(is_active=True).order_by("pay_at_least")},
    )


@login_required
@require_GET
def wallet_top_up_status(request, number):
    top_up = get_object_or_404(WalletTopUp, number=number, member__user=request.user)
    return render(request, "orders/wallet_top_up_status.html", {"top_up": top_up})
