"""Forms behind the transfer and stocktake pages: they parse staff input, stores.services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from catalog.models import Category
from stores.models import Store, TransferLine
from stores.services.stocktakes import MAX_COUNT

CSV_MAX_BYTES = 2 * 1024 * 1024


class TransferRequestForm(forms.Form):
    from_store = forms.ModelChoiceField(label=_("from store"), queryset=Store.objects.filter(is_active=True))
    to_store = forms.ModelChoiceField(label=_("to store"), queryset=Store.objects.filter(is_active=True))
    lines = forms.CharField(
        label=_("SKUs and quantities"), widget=forms.Textarea(attrs={"rows": 5, "cols": 30}),
        help_text=_("One line per SKU: the SKU code, a space or comma, then the quantity."),
    )
    note = forms.CharField(label=_("note"), max_length=255, required=False)

    def __init__(self, *args, to_stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        if to_stores is not None:
            # Store staff ask for stock for their own stores; head office for any.
            self.fields["to_store"].queryset = to_stores

    def clean(self):
        from stores.services.transfers import variant_lines_from_text

        cleaned = super().clean()
        if cleaned.get("from_store") and cleaned.get("from_store") == cleaned.get("to_store"):
            self.add_error("to_store", _("A transfer goes from one store to another."))
        if "lines" in cleaned:
            self.variant_lines, errors = variant_lines_from_text(cleaned["lines"])
            for error in errors:
                self.add_error("lines", error)
            if not errors and not self.variant_lines:
                self.add_error("lines", _("Add at least one SKU to the transfer."))
        return cleaned


class DispatchTransferForm(forms.Form):
    """How many of each line leave now; by default what was asked."""

    def __init__(self, *args, transfer, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(transfer.lines.select_related("variant__product"))
        for line in self.lines:
            self.fields[f"sent_{line.pk}"] = forms.IntegerField(
                label=f"{line.variant.product.name} ({line.variant.sku})", min_value=0, max_value=line.quantity,
                initial=line.quantity,
            )

    def quantities(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"sent_{line.pk}"] for line in self.lines}


class ReceiveTransferForm(forms.Form):
    """A count per line as it came out of the box; a difference from what was sent needs a reason."""

    def __init__(self, *args, transfer, **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(transfer.lines.select_related("variant__product"))
        for line in self.lines:
            name = f"{line.variant.product.name} ({line.variant.sku})"
            self.fields[f"count_{line.pk}"] = forms.IntegerField(
                label=_("%(name)s: counted (%(sent)s sent)") % {"name": name, "sent": line.dispatched_quantity},
                min_value=0, max_value=MAX_COUNT, initial=line.dispatched_quantity,
                widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            )
            self.fields[f"reason_{line.pk}"] = forms.ChoiceField(
                label=_("reason for a difference"), required=False,
                choices=[("", "—"), *TransferLine.Discrepancy.choices],
            )
            self.fields[f"note_{line.pk}"] = forms.CharField(label=_("note"), max_length=255, required=False)

    def clean(self):
        cleaned = super().clean()
        for line in self.lines:
            count = cleaned.get(f"count_{line.pk}")
            if count is not None and count != line.dispatched_quantity and not cleaned.get(f"reason_{line.pk}"):
                self.add_error(f"reason_{line.pk}", _("Counted %(count)s but %(sent)s were sent: give the reason.")
                               % {"count": count, "sent": line.dispatched_quantity})
        return cleaned

    def counts(self) -> dict[int, int]:
        return {line.pk: self.cleaned_data[f"count_{line.pk}"] for line in self.lines}

    def reasons(self) -> dict[int, tuple[str, str]]:
        return {line.pk: (self.cleaned_data[f"reason_{line.pk}"], self.cleaned_data[f"note_{line.pk}"])
                for line in self.lines}


class OpenStocktakeForm(forms.Form):
    store = forms.ModelChoiceField(label=_("store"), queryset=Store.objects.filter(is_active=True))
    category = forms.ModelChoiceField(
        label=_("category"), queryset=Category.objects.all(), required=False,
        help_text=_("Leave empty to count every SKU of the store."),
    )
    note = forms.CharField(label=_("note"), max_length=255, required=False)

    def __init__(self, *args, stores=None, **kwargs):
        super().__init__(*args, **kwargs)
        if stores is not None:
            self.fields["store"].queryset = stores


class CountForm(forms.Form):
    """Scan a SKU (each scan adds one) or type it with the count on the shelf."""

    sku = forms.CharField(label=_("SKU code"), max_length=64,
                          widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}))
    count = forms.IntegerField(label=_("count"), min_value=0, max_value=MAX_COUNT, required=False,
                               help_text=_("Leave empty to add one per scan."))


class CountsCsvForm(forms.Form):
    file = forms.FileField(label=_("CSV file"), help_text=_("Two columns: sku,count (a header row is allowed)."))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 2 MB."))
        return upload
