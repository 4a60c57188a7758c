"""The member centre (/account/): overview, points and wallet ledgers, invites, profile,
privacy, the address book; plus the public invite link and phone sign-up.

Every page works on request.user's own member profile only, so there is no id in
a URL that could name someone else's data (addresses are looked up by owner too).
"""

import json
import logging
import re

from allauth.account.views import SignupView
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from members.exceptions import MemberError
from members.forms import AddressForm, DeleteAccountForm, MarketingConsentForm, PhoneSignupForm, ProfileForm
from catalog.models import Product, Variant
from members.models import Address
from members.selectors import member_for, points_history, wallet_history
from members.services import (
    anonymise_member,
    attach_referrer,
    delete_address,
    ensure_member,
    export_member_data,
    request_deletion,
    save_address,
    set_marketing_consent,
)
from members.services.wishlist import cancel_back_in_stock, request_back_in_stock, toggle_favourite
from shop.redirects import safe_target

logger = logging.getLogger(__name__)

LEDGER_PAGE_SIZE = 20
REFERRAL_SESSION_KEY = "members_referral_code"
# Invite codes are short upper-case letters and digits; anything else is not stored.
REFERRAL_CODE_SHAPE = re.compile(r"^[A-Za-z0-9]{4,12}$")


@login_required
def overview(request):
    member = member_for(request.user)
    return render(request, "members/overview.html", {
        "member": member,
        "address_count": request.user.addresses.count(),
    })


@login_required
def member_code(request):
    """The code to show at the till: a QR code and a barcode of the same member code, drawn on the server."""
    from members.services.member_code import member_code_for
    from shop.codes import code128_svg, qr_svg

    member = member_for(request.user)
    code = member_code_for(member)
    return render(request, "members/member_code.html", {
        "member": member,
        "code": code,
        "qr": qr_svg(code, label=_("Member QR code"), css_class="qr-code member-qr"),
        "barcode": code128_svg(code, label=_("Member barcode"), css_class="barcode member-barcode"),
    })


@login_required
def points(request):
    member = member_for(request.user)
    page = Paginator(points_history(member), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/points.html", {"member": member, "page": page})


@login_required
def wallet(request):
    member = member_for(request.user)
    page = Paginator(wallet_history(member), LEDGER_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "members/wallet.html", {"member": member, "page": page})


@login_required
def invite(request):
    member = member_for(request.user)
    link = request.build_absolute_uri(reverse("members:invite-landing", args=[member.referral_code]))
    return render(request, "members/invite.html", {
        "member": member,
        "invite_link": link,
        "friends_joined": request.user.referrals.count(),
        "rewards": member.referral_rewards_given.select_related("invitee")[:50],
    })


def invite_landing(request, code):
    """A friend's invite link: remember the code for the sign-up that follows."""
    if request.user.is_authenticated:
        messages.info(request, _("Invite links are for new members; you already have an account."))
        return redirect("members:overview")
    if REFERRAL_CODE_SHAPE.match(code):
        request.session[REFERRAL_SESSION_KEY] = code.upper()
    return redirect("account_signup")


def attach_referrer_on_sign_up(sender, request, user, **kwargs):
    """allauth's user_signed_up: every new account gets its member profile, and the invite code
    remembered from an invite link names who invited them. A refused code is dropped quietly:
    the new member has nothing to fix."""
    ensure_member(user=user)
    session = getattr(request, "session", None)
    code = session.pop(REFERRAL_SESSION_KEY, "") if session is not None else ""
    if not code:
        return
    try:
        attached = attach_referrer(user=user, code=code)
    except MemberError as err:
        logger.info("invite code refused at sign-up: %s", err.message)
        return
    if not attached:
        logger.info("invite code refused at sign-up")


@login_required
def profile(request):
    member = member_for(request.user)
    form = ProfileForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        member = form.save(commit=False)
        member.save(update_fields=["birthday", "gender"])
        messages.success(request, _("Profile saved."))
        return redirect("members:profile")
    return render(request, "members/profile.html", {"member": member, "form": form})


@login_required
def privacy(request):
    member = member_for(request.user)
    return render(request, "members/privacy.html", {
        "member": member,
        "consent_form": MarketingConsentForm(initial={"consent": member.marketing_consent}),
    })


@login_required
@require_POST
def marketing_consent(request):
    form = MarketingConsentForm(request.POST)
    if form.is_valid():
        consent = form.cleaned_data["consent"]
        set_marketing_consent(user=request.user, consent=consent)
        if consent:
            messages.success(request, _("Thank you: we will send you offers and member news."))
        else:
            messages.success(request, _("Done: we will not send you marketing messages."))
    return redirect("members:privacy")


@login_required
@require_POST
@never_cache
def export_data(request):
    data = export_member_data(user=request.user)
    body = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"my-data-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@never_cache
def delete_account(request):
    has_password = request.user.has_usable_password()
    form = DeleteAccountForm(request.POST or None, user=request.user)
    if request.method == "POST" and has_password and form.is_valid():
        user = request.user
        request_deletion(user=user)
        try:
            anonymise_member(user=user)
        except MemberError as err:
            # The request stands (marketing stopped); staff erase once the shop owes nothing.
            messages.error(request, " ".join([err.message, _("We have recorded your request and will erase your "
                                                            "data as soon as this is settled.")]))
            return redirect("members:privacy")
        logout(request)
        messages.success(request, _("Your account has been deleted and your personal data erased."))
        return redirect("home")
    return render(request, "members/delete_account.html", {
        "form": form, "has_password": has_password, "member": member_for(request.user),
    })


@login_required
def address_list(request):
    return render(request, "members/address_list.html", {"addresses": request.user.addresses.all()})


@login_required
def address_edit(request, pk=None):
    address = get_object_or_404(Address, pk=pk, user=request.user) if pk else Address(user=request.user)
    if request.method == "POST" and "refresh" in request.POST:
        # Without JavaScript: refill the city and district lists for the chosen province, keep what was typed.
        form = AddressForm(initial=request.POST.dict(), instance=address)
        return render(request, "members/address_form.html", {"form": form, "address": address})
    form = AddressForm(request.POST or None, instance=address)
    if request.method == "POST" and form.is_valid():
        save_address(address=form.save(commit=False))
        messages.success(request, _("Address saved."))
        return redirect(safe_target(request, request.GET.get("next")) or "members:address-list")
    return render(request, "members/address_form.html", {"form": form, "address": address})


@login_required
@require_POST
def address_delete(request, pk):
    delete_address(address=get_object_or_404(Address, pk=pk, user=request.user))
    messages.success(request, _("Address deleted."))
    return redirect("members:address-list")


class PhoneSignupView(SignupView):
    """allauth's sign-up with a mobile number instead of email and password; allauth then texts
    a code and logs the shopper in once it is typed (members.adapter stores the number)."""

    template_name = "account/signup_by_phone.html"

    def get_form_class(self):
        return PhoneSignupForm


phone_signup = PhoneSignupView.as_view()


@login_required
def favourites(request):
    saved = request.user.favourites.select_related("product").filter(product__is_published=True)[:100]
    return render(request, "members/favourites.html", {"favourites": saved})


@login_required
@require_POST
def favourite_toggle(request, product_id):
    product = get_object_or_404(Product, pk=product_id, is_published=True)
    saved = toggle_favourite(user=request.user, product_id=product.pk)
    back = safe_target(request, request.POST.get("next")) or product.get_absolute_url()
    if request.headers.get("X-Requested-With") == "fetch":
        # static/js/catalog/favourite.js swaps the button in place: the filled heart says it, no message.
        return render(request, "members/_favourite_button.html", {
            "product_id": product.pk, "is_favourite": saved, "next": back,
        })
    messages.success(request, _("Saved to your favourites.") if saved else _("Removed from your favourites."))
    return redirect(back)


@login_required
def back_in_stock_list(request):
    waiting = request.user.back_in_stock_requests.filter(notified_at__isnull=True).select_related("variant__product")
    return render(request, "members/back_in_stock.html", {
        "requests": waiting[:100], "member": member_for(request.user),
    })


@login_required
@require_POST
def back_in_stock_request(request, variant_id):
    variant = get_object_or_404(Variant.objects.select_related("product"), pk=variant_id, is_active=True,
                                product__is_published=True)
    target = safe_target(request, request.POST.get("next")) or variant.product.get_absolute_url()
    if request.POST.get("cancel"):
        cancel_back_in_stock(user=request.user, variant_id=variant.pk)
        messages.success(request, _("We will not tell you about this item."))
        return redirect(target)
    if variant.is_in_stock:
        messages.info(request, _("This item is in stock: you can buy it now."))
        return redirect(target)
    request_back_in_stock(user=request.user, variant_id=variant.pk)
    if member_for(request.user).marketing_consent:
        messages.success(request, _("We will tell you once, by email, when it is back in stock."))
    else:
        messages.warning(request, _("Noted. We can only tell you once you allow messages under Privacy and my data."))
    return redirect(target)


def terms(request):
    from django.conf import settings

    return render(request, "members/legal_terms.html", {"version": settings.LEGAL_TERMS_VERSION})


def privacy_policy(request):
    from django.conf import settings

    return render(request, "members/legal_privacy.html", {"version": settings.LEGAL_PRIVACY_VERSION})
