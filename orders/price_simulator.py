"""The staff price simulator: pick a member, a cart and a time, see every pipeline step and every line's shares.

It lives in orders because it runs the one pricing pipeline (marketing sits
below orders and never imports it); the promotion admin links to it by URL
name. It only reads: nothing is reserved, redeemed or written.
"""

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Variant
from members.models import MemberProfile
from orders.models import Order, ShippingMethod
from orders.pricing import PricedCart
from orders.services.checkout import CheckoutChoice, price_lines

MAX_LINES = 50
MAX_QUANTITY = 999


class SimulatorForm(forms.Form):
    member = forms.CharField(
        label=gettext_lazy("Member (email, phone or username)"), max_length=150, required=False,
        help_text=gettext_lazy("Leave empty to price for a guest."),
    )
    lines = forms.CharField(
        label=gettext_lazy("Cart"), widget=forms.Textarea(attrs={"rows": 6, "cols": 40}),
        help_text=gettext_lazy("One line per item: SKU, a space, the quantity (e.g. APPLE-1KG 2)."),
        max_length=4000,
    )
    at = forms.DateTimeField(
        label=gettext_lazy("Time"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        help_text=gettext_lazy("In the shop's time zone; empty means now."),
    )
    shipping_method = forms.ModelChoiceField(
        label=gettext_lazy("Shipping method"), queryset=ShippingMethod.objects.filter(is_active=True), required=False,
        empty_label=gettext_lazy("Pick up in store (no shipping)"),
    )
    points = forms.IntegerField(label=gettext_lazy("Points to use"), min_value=0, max_value=10**9, required=False)
    use_wallet = forms.BooleanField(label=gettext_lazy("Pay from the wallet"), required=False)

    def clean_member(self):
        raw = self.cleaned_data["member"].strip()
        if not raw:
            return None
        if "\x00" in raw:
            raise ValidationError(_("No member matches %(query)s.") % {"query": raw.replace("\x00", "")})
        user = get_user_model().objects.filter(Q(email__iexact=raw) | Q(username=raw)).first()
        profile = MemberProfile.objects.select_related("tier").filter(Q(user=user) if user else Q(phone=raw)).first()
        if profile is None:
            raise ValidationError(_("No member matches %(query)s.") % {"query": raw})
        return profile

    def clean_lines(self):
        wanted: dict[str, int] = {}
        for number, raw in enumerate(self.cleaned_data["lines"].replace("\x00", "").splitlines(), start=1):
            parts = raw.split()
            if not parts:
                continue
            sku, quantity = parts[0], parts[1] if len(parts) > 1 else "1"
            if len(parts) > 2 or not quantity.isdigit() or not 1 <= int(quantity) <= MAX_QUANTITY:
                raise ValidationError(
                    _("Line %(number)s: write a SKU and a quantity from 1 to %(max)s.") % {"number": number, "max": MAX_QUANTITY}
                )
            wanted[sku] = wanted.get(sku, 0) + int(quantity)
        if not wanted:
            raise ValidationError(_("Add at least one item."))
        if len(wanted) > MAX_LINES:
            raise ValidationError(_("At most %(max)s different items.") % {"max": MAX_LINES})
        variants = {
            v.sku: v
            for v in Variant.objects.filter(sku__in=list(wanted)).select_related("product").prefetch_related("option_values")
        }
        unknown = [sku for sku in wanted if sku not in variants]
        if unknown:
            raise ValidationError(_("Unknown SKU: %(skus)s") % {"skus": ", ".join(unknown[:10])})
        return [(variants[sku], quantity) for sku, quantity in wanted.items()]


@dataclass
class Simulation:
    priced: PricedCart
    at: object
    steps: list  # (step name, adjustment)
    rows: list  # per line: (line, [(adjustment label, share) in adjustment order])


STEP_NAMES = {
    "tier": gettext_lazy("2. member tier"),
    "promotion": gettext_lazy("3. promotions"),
    "coupon": gettext_lazy("4. coupon"),
    "shipping": gettext_lazy("5. shipping"),
    "shipping_discount": gettext_lazy("5. shipping"),
    "points": gettext_lazy("6. points"),
    "floor": gettext_lazy("discount limited to the order value"),
}


def simulate(*, lines, member: MemberProfile | None, at=None, shipping_method=None, points: int = 0,
             use_wallet: bool = False) -> Simulation:
    """Price ``lines`` for ``member`` at ``at`` exactly as checkout would, and lay the result out step by step."""
    at = at or timezone.now()
    if shipping_method is not None:
        choice = CheckoutChoice(fulfilment=Order.Fulfilment.DELIVERY, payment_method=Order.PaymentMethod.ONLINE,
                                shipping_method=shipping_method, points_to_use=points, use_wallet=use_wallet)
    else:
        choice = CheckoutChoice(fulfilment=Order.Fulfilment.PICKUP, payment_method=Order.PaymentMethod.ONLINE,
                                points_to_use=points, use_wallet=use_wallet)
    priced = price_lines(lines, choice, member, at=at)
    steps = [(STEP_NAMES.get(a.kind, a.kind), a) for a in priced.adjustments]
    rows = [
        (line, [(adjustment.label, share) for adjustment, share in line.shares])
        for line in priced.lines
    ]
    return Simulation(priced=priced, at=at, steps=steps, rows=rows)


@staff_member_required
def price_simulator(request):
    """GET with the form's fields: the form, and once valid, the simulation (a read; nothing is saved)."""
    form = SimulatorForm(request.GET or None)
    simulation = None
    if form.is_valid():
        data = form.cleaned_data
        simulation = simulate(
            lines=data["lines"], member=data["member"], at=data["at"], shipping_method=data["shipping_method"],
            points=data["points"] or 0, use_wallet=data["use_wallet"],
        )
    return render(request, "admin/price_simulator.html", {
        **admin.site.each_context(request), "form": form, "simulation": simulation, "title": _("Price simulator"),
    })
