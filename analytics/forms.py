"""Filters of the dashboards and reports: a date range, a store among those the viewer may see, a period."""

from datetime import timedelta

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics import selectors

MAX_DAYS = 366 * 5  # five years at most on one page: beyond that nobody reads the chart


class FilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    store = forms.TypedChoiceField(label=_("Store"), required=False, coerce=int, empty_value=None)

    def __init__(self, data=None, *, stores, **kwargs):
        super().__init__(data, **kwargs)
        self.store_list = list(stores)
        self.fields["store"].choices = [("", _("All my stores"))] + [(s.pk, str(s)) for s in self.store_list]
        # The picker lists shops, then warehouses under their own heading (templates/analytics/_filters.html).
        self.shops = [s for s in self.store_list if not selectors.is_warehouse(s)]
        self.warehouses = [s for s in self.store_list if selectors.is_warehouse(s)]

    def clean(self):
        cleaned = super().clean()
        yesterday = selectors.today() - timedelta(days=1)
        end = cleaned.get("end") or yesterday
        start = cleaned.get("start") or end - timedelta(days=29)
        if start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        if (end - start).days > MAX_DAYS:
            raise forms.ValidationError(_("Choose at most five years."))
        cleaned["start"], cleaned["end"] = start, end
        return cleaned

    def store_ids(self) -> list[int]:
        """The chosen store, or all the viewer's stores; only ever ids the choices offered."""
        chosen = self.cleaned_data.get("store")
        return [chosen] if chosen else [store.pk for store in self.store_list]


class ReportForm(FilterForm):
    period = forms.ChoiceField(label=_("By"), required=False, initial="day",
                               choices=[(key, label) for key, label in selectors.PERIOD_LABELS.items()])

    def clean_period(self):
        return self.cleaned_data.get("period") or "day"


class ExportForm(ReportForm):
    file_format = forms.ChoiceField(label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], initial="xlsx")
