"""Coupon pages: the claim centre (领券中心), my coupons (我的优惠券), redeem a code, messages. No JavaScript needed."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from marketing import coupon_selectors
from marketing.coupon_forms import RedeemCodeForm
from marketing.models import Notification
from marketing.services import coupons as coupon_services
from shop.redirects import safe_target


@require_GET
def claim_centre(request):
    templates = coupon_selectors.claimable_templates()
    held = coupon_selectors.claimed_template_ids(request.user.pk, [t.pk for t in templates]) \
        if request.user.is_authenticated else {}
    for template in templates:
        template.held = held.get(template.pk, 0)
        template.is_gone = template.total_quantity is not None and template.issued_count >= template.total_quantity
    return render(request, "marketing/coupons/claim_centre.html", {"templates": templates})


@login_required
@require_POST
def claim(request, template_id: int):
    try:
        coupon = coupon_services.claim_coupon(template_id=template_id, user_id=request.user.pk)
    except coupon_services.CouponError as err:
        messages.error(request, err.message)
    else:
        messages.success(request, _("%(name)s is in your coupons.") % {"name": coupon.template.name})
    return redirect(safe_target(request, request.POST.get("next")) or "coupons:claim-centre")


@login_required
@require_GET
def my_coupons(request):
    wallet = coupon_selectors.coupon_wallet(request.user.pk)
    tab = request.GET.get("tab", "usable")
    if tab not in ("usable", "used", "expired"):
        tab = "usable"
    shown = {"usable": wallet.usable + wallet.upcoming, "used": wallet.used, "expired": wallet.expired}[tab]
    return render(request, "marketing/coupons/my_coupons.html", {
        "wallet": wallet, "tab": tab, "coupons": shown, "form": RedeemCodeForm(),
    })


@login_required
def redeem(request):
    form = RedeemCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            coupon = coupon_services.redeem_code(code=form.cleaned_data["code"], user_id=request.user.pk)
        except coupon_services.CouponError as err:
            form.add_error("code", err.message)
        else:
            messages.success(request, _("%(name)s is in your coupons.") % {"name": coupon.template.name})
            return redirect("coupons:mine")
    return render(request, "marketing/coupons/redeem.html", {"form": form}, status=200)


@login_required
@require_GET
def notifications(request):
    shown = list(Notification.objects.filter(user=request.user)[:50])
    return render(request, "marketing/coupons/notifications.html", {
        "notifications": shown, "has_unread": any(n.read_at is None for n in shown),
    })


@login_required
@require_POST
def notifications_read(request):
    coupon_services.mark_notifications_read(user_id=request.user.pk)
    return redirect("coupons:notifications")
