"""Forms behind the order back-office pages: they parse staff input, the services decide."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import Order


class BankTransferForm(forms.Form):
    """One bank reference per order: each transfer has its own line on the statement."""

    def __init__(self, *args, orders, **kwargs):
        super().__init__(*args, **kwargs)
        self.orders = list(orders)
        for order in self.orders:
            self.fields[self.field_name(order)] = forms.CharField(
                label=_("Bank reference for %(number)s (%(total)s %(currency)s)")
                % {"number": order.number, "total": order.total, "currency": order.currency},
                max_length=100,
                required=False,
                help_text=_("As printed on the bank statement; leave empty if there is none."),
            )

    @staticmethod
    def field_name(order: Order) -> str:
        return f"reference_{order.pk}"

    def references(self) -> list[tuple[Order, str]]:
        return [(order, self.cleaned_data[self.field_name(order)]) for order in self.orders]


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("carrier"), max_length=50)
    tracking_number = forms.CharField(label=_("tracking number"), max_length=50)


class NoteForm(forms.Form):
    """A confirmation with an optional note for the order's history."""

    note = forms.CharField(label=_("note"), max_length=200, required=False, widget=forms.TextInput(attrs={"size": 60}))


class RefundForm(forms.Form):
    FULL, LINES = "full", "lines"

    # A once-only key drawn when the page is shown: a double submit or a reload of the POST
    # reaches the refunds service with the same key, which returns the refund it already made.
    key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    scope = forms.ChoiceField(
        label=_("What to refund"),
        choices=[(FULL, _("Everything not yet refunded")), (LINES, _("Only the quantities below"))],
        initial=FULL,
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(label=_("Reason for the refund"), max_length=200, widget=forms.TextInput(attrs={"size": 60}))
    restock = forms.BooleanField(
        label=_("Put the returned goods back in stock"),
        required=False,
        help_text=_("Only for goods that have left the store and came back sellable."),
    )

    def __init__(self, *args, order: Order, **kwargs):
        from orders.services.refunds import refundable_money

        super().__init__(*args, **kwargs)
        self.order = order
        # What the payments brought in and was not paid back: the most any refund can be.
        self.refundable = refundable_money(order)
        self.lines = list(order.lines.all())
        for line in self.lines:
            left = line.quantity - line.refunded_quantity
            self.fields[self.field_name(line)] = forms.IntegerField(
                label=f"{line.product_name} {line.options} ({line.sku})".replace("  ", " "),
                min_value=0,
                max_value=left,
                initial=0,
                required=False,
                disabled=left == 0,
                widget=forms.NumberInput(attrs={"size": 4, "style": "width:5em"}),
            )

    @staticmethod
    def field_name(line) -> str:
        return f"line_{line.pk}"

    def line_rows(self):
        """(line, bound field) pairs for the page's table."""
        return [(line, self[self.field_name(line)]) for line in self.lines]

    def refund_fields(self):
        return [self["reason"], self["restock"]]

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason for the refund."))
        return reason

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("scope") == self.LINES and not self.errors:
            if not any(cleaned.get(self.field_name(line)) for line in self.lines):
                raise forms.ValidationError(_("Choose at least one unit to refund."))
        return cleaned

    def quantities(self) -> dict[int, int] | None:
        """None for a full refund, else {order line id: units} for the lines given a quantity."""
        if self.cleaned_data["scope"] == self.FULL:
            return None
        return {
            line.pk: self.cleaned_data[self.field_name(line)]
            for line in self.lines
            if self.cleaned_data.get(self.field_name(line))
        }


class EmptyForm(forms.Form):
    """A confirmation page with nothing to fill in: the POST itself is the decision."""


class PickupCodeForm(forms.Form):
    """The hand-over asks for the code the shopper shows: typed, or scanned from their QR code."""

    pickup_code = forms.CharField(
        label=_("pick-up code"), max_length=40,
        help_text=_("The 6-digit code on the customer's order page, or scan its QR code into this field."),
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off", "inputmode": "numeric", "size": 12}),
    )
    note = forms.CharField(label=_("note"), max_length=200, required=False, widget=forms.TextInput(attrs={"size": 40}))

    def clean_pickup_code(self):
        from orders.services.pickup import parse_scanned

        self.scanned_number, code = parse_scanned(self.cleaned_data["pickup_code"])
        if not code.isdigit() or len(code) != 6:
            raise forms.ValidationError(_("A pick-up code has 6 digits."))
        return code


class VerifyPickupForm(PickupCodeForm):
    """The clerk's counter page: the code alone finds the order in their stores; the number settles a clash."""

    number = forms.CharField(label=_("order number"), max_length=20, required=False,
                             help_text=_("Only needed when two waiting orders share the code."))
    field_order = ["pickup_code", "number", "note"]

    def order_number(self) -> str:
        return self.cleaned_data.get("number", "").strip() or self.scanned_number
