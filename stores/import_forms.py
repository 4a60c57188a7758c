from django import forms
from django.utils.translation import gettext_lazy as _

MAX_UPLOAD = 20 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("The file holds"), widget=forms.RadioSelect, choices=[
        ("products", _("products, variants and prices")), ("stock", _("stock counts per store"))])
    file = forms.FileField(label=_("CSV or XLSX file"))
    reason = forms.CharField(label=_("Reason for the stock adjustment"), max_length=200, required=False,
                             help_text=_("Stock files only, e.g. “monthly count” or “opening stock”."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise forms.ValidationError(_("The file is larger than 20 MB; split it."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .csv or .xlsx file."))
        return upload

    def clean(self):
        data = super().clean()
        if data.get("kind") == "stock" and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Give a reason for the stock adjustment."))
        return data
