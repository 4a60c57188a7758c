"""Forms behind the stock back-office pages: they parse staff input, the stock services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Variant
from stores.models import Store

MAX_UNITS = 1_000_000  # a sanity cap on one receipt or adjustment, far above any real delivery


class ReceiveStockForm(forms.Form):
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.filter(is_active=True))
    sku = forms.CharField(label=_("SKU code"), max_length=64)
    quantity = forms.IntegerField(label=_("quantity"), min_value=1, max_value=MAX_UNITS)
    reference = forms.CharField(
        label=_("reference"), max_length=100, required=False, help_text=_("Delivery note or purchase order number.")
    )

    def clean_sku(self):
        sku = self.cleaned_data["sku"].strip()
        variant = Variant.objects.filter(sku=sku).select_related("product").first()
        if variant is None:
            raise forms.ValidationError(_("No SKU with the code “%(sku)s”.") % {"sku": sku})
        self.variant = variant
        return sku


class AdjustStockForm(forms.Form):
    change = forms.IntegerField(
        label=_("change"),
        min_value=-MAX_UNITS,
        max_value=MAX_UNITS,
        help_text=_("Units to add (positive) or remove (negative) from the count on hand."),
    )
    note = forms.CharField(
        label=_("Reason for the adjustment"), max_length=255, widget=forms.TextInput(attrs={"size": 60}),
        help_text=_("Stocktake, breakage, theft… it is kept in the ledger."),
    )

    def clean_change(self):
        change = self.cleaned_data["change"]
        if change == 0:
            raise forms.ValidationError(_("An adjustment changes the count: give a number other than 0."))
        return change

    def clean_note(self):
        note = self.cleaned_data["note"].strip()
        if not note:
            raise forms.ValidationError(_("Say why the count changes."))
        return note
