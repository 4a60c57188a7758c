from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from members.models import Address, phone_validator
from orders.models import MAX_LINE_QUANTITY, Order, ShippingMethod
from stores.models import Store


def _quantity_messages() -> dict:
    """Quantity errors name the field, so a phone shopper sees which box is wrong (not only "at least 1")."""
    return {
        "min_value": _("Quantity: choose at least %(limit_value)s."),
        "max_value": _("Quantity: at most %(limit_value)s per item."),
        "invalid": _("Quantity: enter a whole number."),
        "required": _("Quantity: enter how many you want."),
    }


class AddToCartForm(forms.Form):
    variant = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        initial=1,
        error_messages=_quantity_messages(),
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "max": MAX_LINE_QUANTITY, "class": "qty"}),
    )


class UpdateCartForm(forms.Form):
    """Change one line's quantity (0 removes it)."""

    variant = forms.IntegerField(min_value=1, max_value=2**62, widget=forms.HiddenInput)
    quantity = forms.IntegerField(
        label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY, error_messages=_quantity_messages(),
        widget=forms.NumberInput(attrs={"class": "qty"}),
    )
    # The stepper's − and + buttons: one less or one more than the quantity shown.
    step = forms.TypedChoiceField(choices=[("-1", "-1"), ("1", "1")], coerce=int, required=False, empty_value=0)

    def clean(self):
        data = super().clean()
        if data.get("quantity") is not None and data.get("step"):
            quantity = data["quantity"] + data["step"]
            if quantity > MAX_LINE_QUANTITY:
                self.add_error("quantity", _("Quantity: at most %(limit_value)s per item.") % {"limit_value": MAX_LINE_QUANTITY})
            else:
                data["quantity"] = max(quantity, 0)
        return data


class CheckoutForm(forms.Form):
    """What the shopper chooses at checkout; the choices offered come from the database."""

    fulfilment = forms.ChoiceField(
        label=_("How do you want it?"), choices=Order.Fulfilment.choices, widget=forms.RadioSelect,
        initial=Order.Fulfilment.DELIVERY,
    )
    address = forms.ModelChoiceField(
        label=_("Delivery address"), queryset=Address.objects.none(), required=False, widget=forms.RadioSelect,
        empty_label=None,
    )
    shipping_method = forms.ModelChoiceField(
        label=_("Shipping"), queryset=ShippingMethod.objects.none(), required=False, widget=forms.RadioSelect,
        empty_label=None,
    )
    pickup_store = forms.ModelChoiceField(
        label=_("Pick-up store"), queryset=Store.objects.none(), required=False, widget=forms.RadioSelect,
        empty_label=None,
    )
    contact_name = forms.CharField(label=_("Name for the pick-up"), max_length=50, required=False)
    contact_phone = forms.CharField(
        label=_("Phone for the pick-up"), max_length=20, required=False, validators=[phone_validator]
    )
    # Paying at the store counter is the till's own method (orders/services/counter.py), never a shopper's choice.
    payment_method = forms.ChoiceField(
        label=_("Payment"), widget=forms.RadioSelect, initial=Order.PaymentMethod.ONLINE,
        choices=[(value, label) for value, label in Order.PaymentMethod.choices if value != Order.PaymentMethod.COUNTER],
    )
    note = forms.CharField(label=_("Note for us"), max_length=200, required=False)
    points_to_use = forms.IntegerField(
        label=_("Points to use"), min_value=0, max_value=10**9, required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 0}),
    )
    use_wallet = forms.BooleanField(label=_("Pay from my stored value first"), required=False)
    # The coupon picker: one of the shopper's coupons, "none", or a code typed in (which wins).
    coupon = forms.CharField(required=False, max_length=40)
    coupon_code = forms.CharField(label=_("Have a coupon code?"), required=False, max_length=40,
                                  widget=forms.TextInput(attrs={"autocomplete": "off"}))
    token = forms.UUIDField(widget=forms.HiddenInput)
    # What the page showed: the total, and what was left to pay after stored value.
    expected_total = forms.DecimalField(max_digits=12, decimal_places=2, required=False, widget=forms.HiddenInput)
    expected_amount_due = forms.DecimalField(
        max_digits=12, decimal_places=2, required=False, widget=forms.HiddenInput
    )
    # The options those totals were priced for (orders.services.checkout.choice_key): a total that differs
    # because the shopper changed an option is shown again, not refused as a price change.
    priced_for = forms.CharField(required=False, max_length=200, widget=forms.HiddenInput)

    # The page holds both fulfilments at once; only the chosen one's fields count.
    DELIVERY_FIELDS = ("address", "shipping_method")
    PICKUP_FIELDS = ("pickup_store", "contact_name", "contact_phone")
    # Typed in, and without a bearing on the price: a re-pricing prices around their mistakes.
    UNPRICED_FIELDS = ("contact_name", "contact_phone", "note")

    def __init__(self, *args, user, pickup_stores, shipping_methods, **kwargs):
        super().__init__(*args, **kwargs)
        if self.is_bound:
            # A browser posts every pre-selected radio, so a pick-up store that sold out since the
            # page loaded must not refuse a delivery checkout (nor a stale address a pick-up one).
            chosen = self.data.get("fulfilment")
            ignored = {
                Order.Fulfilment.DELIVERY: self.PICKUP_FIELDS,
                Order.Fulfilment.PICKUP: self.DELIVERY_FIELDS,
            }.get(chosen, ())
            if ignored:
                self.data = self.data.copy()
                for name in ignored:
                    self.data.pop(name, None)
        self.fields["address"].queryset = Address.objects.filter(user=user)
        self.fields["pickup_store"].queryset = Store.objects.filter(pk__in=[s.pk for s in pickup_stores])
        self.fields["shipping_method"].queryset = ShippingMethod.objects.filter(pk__in=[m.pk for m in shipping_methods])

    def clean(self):
        data = super().clean()
        if data.get("fulfilment") == Order.Fulfilment.DELIVERY:
            if not data.get("address"):
                self.add_error("address", _("Choose a delivery address."))
            if not data.get("shipping_method"):
                self.add_error("shipping_method", _("Choose a shipping method."))
        elif data.get("fulfilment") == Order.Fulfilment.PICKUP:
            missing = {
                "pickup_store": _("Choose a store that has everything in stock."),
                "contact_name": _("Who will pick it up?"),
                "contact_phone": _("A phone number, so the store can reach you."),
            }
            for name, message in missing.items():
                # A field that already failed its own check (a malformed phone) is not also called missing.
                if not data.get(name) and name not in self.errors:
                    self.add_error(name, message)
            if data.get("payment_method") == Order.PaymentMethod.CASH_ON_DELIVERY:
                self.add_error("payment_method", _("Cash on delivery is only for delivery."))
        return data

    def can_price(self, *, placing: bool, live: bool) -> bool:
        """Whether this posted checkout is good enough to price the shopper's choices.

        Placing needs a valid form. A re-pricing also goes ahead when only a typed-in contact field or the
        note is wrong, as they do not change the price. The page's live re-pricing (``live``: sent while the
        shopper may still be typing, and whose fields the page keeps) leaves those fields' errors out too,
        since they judge older text than the page now holds; placing checks them again and shows them.
        """
        if self.is_valid():
            return True
        if placing or not set(self.errors) <= set(self.UNPRICED_FIELDS):
            return False
        if live:
            for name in self.UNPRICED_FIELDS:
                self.errors.pop(name, None)
        return True

    def chosen_coupon(self) -> str | None:
        """None: let the shop pick the best coupon; "": none; else the code chosen or typed."""
        typed = (self.cleaned_data.get("coupon_code") or "").strip()
        if typed:
            return typed
        picked = self.cleaned_data.get("coupon") or ""
        if picked == "none":
            return ""
        return picked or None


class ReturnRequestForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you want to return it?"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


class TopUpForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Amount to top up (¥)"), min_value=Decimal("1.00"), max_value=Decimal("50000.00"),
        max_digits=8, decimal_places=2, widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
