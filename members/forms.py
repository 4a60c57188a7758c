from django import forms

from members.models import Address


class AddressForm(forms.ModelForm):
    class Meta:
        model = Address
        fields = ["recipient", "phone", "province", "city", "district", "detail", "is_default"]
