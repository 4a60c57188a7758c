from django import forms
from django.utils.translation import gettext_lazy as _

from marketing.services.coupons import MAX_CODE_LENGTH


class RedeemCodeForm(forms.Form):
    # Room for spaces and dashes a shopper copies along; the service normalises and checks the rest.
    code = forms.CharField(label=_("Coupon code"), max_length=MAX_CODE_LENGTH + 10,
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))


class GenerateCodesForm(forms.Form):
    count = forms.IntegerField(label=_("How many codes"), min_value=1, max_value=10_000, initial=100)
    batch = forms.CharField(label=_("Batch name"), max_length=40, required=False)
