"""Forms of the counter (门店收银): each step of a sale is one small form post."""

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from orders.models import MAX_LINE_QUANTITY
from orders.services.counter import Tender


class ScanForm(forms.Form):
    q = forms.CharField(label=_("Scan or type a SKU, or search by name"), max_length=100)


class LineForm(forms.Form):
    variant = forms.IntegerField(min_value=1)
    quantity = forms.IntegerField(label=_("Quantity"), min_value=0, max_value=MAX_LINE_QUANTITY)


class MemberForm(forms.Form):
    member = forms.CharField(label=_("Member phone or member code"), max_length=40)


class CouponForm(forms.Form):
    code = forms.CharField(label=_("Coupon code"), max_length=40, required=False)


class PointsForm(forms.Form):
    points = forms.IntegerField(label=_("Points to use"), min_value=0, max_value=10**9)


class PayForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput, max_length=32)
    expected_total = forms.DecimalField(widget=forms.HiddenInput, max_digits=12, decimal_places=2)
    tender = forms.ChoiceField(label=_("Payment"), choices=Tender.choices, widget=forms.RadioSelect,
                               initial=Tender.CASH)
    # A split tender: the clerk keys in the card amount, the rest is cash; both are checked against what is due
    # by orders.services.counter.split_tenders, whose refusals come back as errors on these fields.
    card_amount = forms.DecimalField(label=_("On the card"), max_digits=12, decimal_places=2, required=False,
                                     min_value=Decimal("0.00"),
                                     help_text=_("Card and cash only: the rest is paid in cash."))
    cash_given = forms.DecimalField(label=_("Cash handed over"), max_digits=12, decimal_places=2, required=False,
                                    min_value=Decimal("0.00"))


class StoreChoiceForm(forms.Form):
    store = forms.ModelChoiceField(label=_("Store"), queryset=None, empty_label=None)

    def __init__(self, *args, stores, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["store"].queryset = stores


class ReturnForm(forms.Form):
    """Units to take back per line (``line-<id>`` fields, built from the order), and why."""

    reason = forms.CharField(label=_("Reason"), max_length=200)
    key = forms.CharField(widget=forms.HiddenInput, max_length=40)

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            left = line.quantity - line.refunded_quantity
            self.fields[f"line-{line.pk}"] = forms.IntegerField(
                label=f"{line.product_name} {line.options}".strip(), min_value=0, max_value=max(left, 0),
                initial=0, required=False)

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data.get(f"line-{line.pk}") or 0 for line in self.lines
                if self.cleaned_data.get(f"line-{line.pk}")}
