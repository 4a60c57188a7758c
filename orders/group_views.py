"""Group-buy pages (拼团): the share page of a group, starting one and joining one; checkout does the rest.

Starting or joining puts a group order in the session and sends the shopper
to the ordinary checkout, which prices one unit at the group price and takes
the slot inside its transaction (orders.services.checkout).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketing.product_page import group_page
from marketing.services import groups as group_services

SESSION_KEY = "group_checkout"


def group_checkout_intent(request) -> dict:
    """The group order the shopper is checking out, as CheckoutChoice fields; empty for an ordinary checkout."""
    intent = request.session.get(SESSION_KEY) or {}
    if not isinstance(intent, dict) or not isinstance(intent.get("group_buy_id"), int):
        return {}
    return {"group_buy_id": intent["group_buy_id"], "group_code": str(intent.get("group_code") or "")[:16]}


def clear_group_checkout(request) -> None:
    request.session.pop(SESSION_KEY, None)


@require_GET
def group_detail(request, code):
    page = group_page(code)
    if page is None:
        raise Http404(_("No such group."))
    share_url = request.build_absolute_uri(reverse("orders:group-detail", args=[page.group.code]))
    return render(request, "marketing/group_detail.html", {"page": page, "share_url": share_url})


@login_required
@require_POST
def group_start(request, group_buy_id):
    try:
        campaign = group_services.live_group_buy(group_buy_id=group_buy_id)
    except group_services.GroupBuyError as err:
        messages.error(request, err.message)
        return redirect("home")
    request.session[SESSION_KEY] = {"group_buy_id": campaign.pk, "group_code": ""}
    messages.info(request, _("Pay for your group order; then share the group's link with friends."))
    return redirect("orders:checkout")


@login_required
@require_POST
def group_join(request, code):
    try:
        group = group_services.open_group(code=code)
    except group_services.GroupBuyError as err:
        messages.error(request, err.message)
        page = group_page(code)
        return redirect("orders:group-detail", code=page.group.code) if page else redirect("home")
    request.session[SESSION_KEY] = {"group_buy_id": group.campaign_id, "group_code": group.code}
    return redirect("orders:checkout")


@require_POST
def group_checkout_drop(request):
    clear_group_checkout(request)
    messages.info(request, _("Back to your cart: the group order was dropped."))
    return redirect("orders:cart-detail")
