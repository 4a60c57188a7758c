"""Storefront facets: brand, price range, stock and the category's typed attributes.

A value that does not parse (junk, a brand that is not on the page, a
price of 1e999) makes that one filter invalid: it is ignored and its
error is shown, the rest still apply.
"""

import copy
from dataclasses import dataclass
from decimal import Decimal
from urllib.parse import urlencode

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters.constants import EMPTY_VALUES

from catalog.cache import cached, objects_cache, page_key
from catalog.models import Attribute, Product, ProductAttributeValue
from shop import widgets

MAX_PRICE = Decimal("99999999")


@dataclass(frozen=True)
class CheckboxOption:
    value: str
    label: str
    checked: bool
    id: str


@dataclass(frozen=True)
class PlainFilters:
    """The brand, price and stock filters of a listing as ProductFilter cleaned them (empty: no filter), for
    the fixed query of catalog.listing_query."""

    brands: tuple[str, ...] = ()
    price_min: Decimal | None = None
    price_max: Decimal | None = None
    in_stock: bool = False


# The fields PlainFilters stands for (and the sort, which filters nothing).
PLAIN_FILTER_NAMES = ("brand", "price_min", "price_max", "in_stock", "sort")


SORTS = {
    "relevance": ("-rank", "-created_at", "-id"),
    # 销量: Product.units_sold, kept in step when orders are counted for members.
    "sales": ("-units_sold", "-created_at", "-id"),
    "new": ("-created_at", "-id"),
    "price": ("price", "id"),
    "-price": ("-price", "-id"),
    "name": ("name", "id"),
}
SORT_LABELS = {
    "relevance": _("Best match"),
    "sales": _("Best selling"),
    "new": _("Newest"),
    "price": _("Price: low to high"),
    "-price": _("Price: high to low"),
    "name": _("Name"),
}


def _price_filter(lookup: str, label) -> django_filters.NumberFilter:
    return django_filters.NumberFilter(
        field_name="price",
        lookup_expr=lookup,
        label=label,
        min_value=Decimal("0"),
        max_value=MAX_PRICE,
        widget=widgets.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
    )


@dataclass(frozen=True)
class ActiveFilter:
    """One applied filter, as a chip the shopper taps to drop it (``remove_query`` keeps all the others)."""

    label: str
    remove_query: str


class FieldsSharingChoices(dict):
    """A form class's fields, copied for each form as Django copies them, but cheaper.

    Every form copies its class's fields before it binds data (``BaseForm.__init__``), by ``copy.deepcopy``.
    For a field Django's own ``__deepcopy__`` copies the field, its widget (with the widget's attrs and
    choices), its error messages and validators, and a choice field's choices one pair at a time. Here the
    same objects are copied, each through its ``__dict__`` instead of the copy module's protocol, and the
    choices as a list of the same (immutable) pairs: building the filter form was a twentieth of a cold
    category or search page. A field or widget class that copies itself otherwise keeps its own way.
    """

    def __deepcopy__(self, memo):
        return {name: _copy_field(field, memo) for name, field in self.items()}


_FIELD_COPIES = (forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__)
_WIDGET_COPIES = (forms.Widget.__deepcopy__, forms.widgets.ChoiceWidget.__deepcopy__)


def _shallow(instance):
    copied = object.__new__(type(instance))
    copied.__dict__.update(instance.__dict__)
    return copied


def _copy_field(field: forms.Field, memo) -> forms.Field:
    """What ``copy.deepcopy(field)`` gives a Field or ChoiceField, with the choices' pairs shared."""
    if type(field).__deepcopy__ not in _FIELD_COPIES:
        return copy.deepcopy(field, memo)
    copied = _shallow(field)
    widget = field.widget
    if type(widget).__deepcopy__ in _WIDGET_COPIES:
        copied.widget = _shallow(widget)
        copied.widget.attrs = widget.attrs.copy()
        if "_choices" in widget.__dict__:  # a choice widget's (the ``choices`` property keeps them there)
            copied.widget._choices = copy.copy(widget._choices)
    else:
        copied.widget = copy.deepcopy(widget, memo)
    copied.error_messages = field.error_messages.copy()
    copied.validators = field.validators[:]
    if isinstance(field, forms.ChoiceField):
        copied._choices = copy.copy(field._choices)  # the list, not its (immutable) pairs
    return copied


class ProductFilterForm(forms.Form):
    def clean(self):
        data = super().clean()
        low, high = data.get("price_min"), data.get("price_max")
        if low is not None and high is not None and low > high:
            # Said out loud instead of silently finding nothing; the lowest price still applies.
            self.add_error("price_max", _("The highest price is below the lowest price: raise it or clear one of them."))
        return data


def _attribute_field_names(attribute: Attribute) -> list[str]:
    """The filter fields of an attribute: one for a choice or yes/no, a lowest and a highest for a number."""
    name = f"a_{attribute.code}"
    if attribute.kind in (Attribute.Kind.CHOICE, Attribute.Kind.BOOLEAN):
        return [name]
    return [f"{name}_min", f"{name}_max"]


class ProductFilter(django_filters.FilterSet):
    # One brand per product: no duplicates to remove, and DISTINCT would make PostgreSQL read every
    # matching product (and its card subqueries) to sort them before the page is cut.
    brand = django_filters.MultipleChoiceFilter(
        field_name="brand__slug", label=_("Brand"), widget=forms.CheckboxSelectMultiple, distinct=False
    )
    price_min = _price_filter("gte", _("Lowest price"))
    price_max = _price_filter("lte", _("Highest price"))
    in_stock = django_filters.BooleanFilter(
        label=_("In stock only"), method="filter_in_stock", widget=widgets.CheckboxInput
    )
    sort = django_filters.ChoiceFilter(label=_("Sort"), method="filter_nothing", empty_label=None, widget=widgets.Select)

    class Meta:
        form = ProductFilterForm

    def __init__(self, data=None, queryset=None, *, attributes=(), brand_facets=(), sorts=(), request=None,
                 prefix=None):
        # What django-filter's own __init__ sets, but for its filters: a copy of the declared ones with this
        # listing's brands, sorts and attributes is built only when asked for (``filters``). A listing whose
        # form class is built already (``get_form_class``) and whose page comes from the fixed queries
        # (catalog.listing_query, a search's candidates) needs none; building them was a twentieth of a cold
        # category page's Python.
        # ``queryset`` may be a callable that builds it, called on the first read of ``qs``: a search page
        # without filters is answered from its candidates and never needs it (building it cost 5% of the page).
        self._build_queryset = queryset if callable(queryset) else None
        self.queryset = Product.objects.all() if queryset is None or self._build_queryset else queryset
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.request = request
        self.form_prefix = prefix
        self.brand_facets = list(brand_facets)
        self.sorts = list(sorts)
        self.attribute_fields: list[tuple[Attribute, list[str]]] = [
            (attribute, _attribute_field_names(attribute)) for attribute in attributes
        ]

    @cached_property
    def filters(self) -> dict[str, django_filters.Filter]:
        filters = copy.deepcopy(self.base_filters)
        filters["brand"].extra["choices"] = self._brand_choices()
        filters["sort"].extra["choices"] = [(key, SORT_LABELS[key]) for key in self.sorts]
        for attribute, _names in self.attribute_fields:
            filters.update(self._attribute_filters(attribute))
        for filter_ in filters.values():
            filter_.model = Product
            filter_.parent = self
        return filters

    def _attribute_filters(self, attribute: Attribute) -> dict[str, django_filters.Filter]:
        """The filters of one attribute, under the names ``_attribute_field_names`` gives."""
        name = f"a_{attribute.code}"
        if attribute.kind == Attribute.Kind.CHOICE:
            return {name: django_filters.MultipleChoiceFilter(
                label=attribute.name,
                choices=[(option.slug, option.value) for option in attribute.options.all()],
                method=self._choice_method(attribute),
                widget=forms.CheckboxSelectMultiple,
            )}
        if attribute.kind == Attribute.Kind.BOOLEAN:
            return {name: django_filters.BooleanFilter(
                label=attribute.name, method=self._boolean_method(attribute), widget=widgets.CheckboxInput
            )}
        unit = f" ({attribute.unit})" if attribute.unit else ""
        return {
            f"{name}_{end}": django_filters.NumberFilter(
                label=label % {"name": attribute.name} + unit,
                method=self._number_method(attribute, lookup),
                widget=widgets.NumberInput,
                min_value=Decimal("-999999999"),
                max_value=Decimal("999999999"),
            )
            for end, lookup, label in (("min", "gte", _("%(name)s from")), ("max", "lte", _("%(name)s to")))
        }

    @staticmethod
    def _values(attribute: Attribute, **lookup):
        return Exists(ProductAttributeValue.objects.filter(product=OuterRef("pk"), attribute=attribute, **lookup))

    def _choice_method(self, attribute):
        return lambda queryset, name, value: queryset.filter(self._values(attribute, option__slug__in=value))

    def _boolean_method(self, attribute):
        return lambda queryset, name, value: (
            queryset.filter(self._values(attribute, value_boolean=True)) if value else queryset
        )

    def _number_method(self, attribute, lookup):
        return lambda queryset, name, value: queryset.filter(
            self._values(attribute, **{f"value_number__{lookup}": value})
        )

    def get_form_class(self):
        """django-filter's form class for these filters, built once per shape and kept in the process.

        django-filter builds a new class, with a new field for every filter, on each listing it validates;
        on a cold category or search page that was about a twentieth of its Python. The fields depend only
        on the page's sorts and the attributes (their kinds, names, units and options), and the language,
        which the key holds with the catalogue version. The key is read from those directly, so a listing
        whose class is built needs no filters. The brands, which differ with every search's words, are
        given to each form instead (``form``). Every form copies the class's fields before it binds data,
        so sharing the class shares nothing a request changes.
        """
        shape = (
            self.sorts,
            [(attribute.pk, attribute.code, attribute.kind, attribute.name, attribute.unit,
              [(option.slug, option.value) for option in attribute.options.all()]
              if attribute.kind == Attribute.Kind.CHOICE else ())
             for attribute, _names in self.attribute_fields],
        )
        return cached(page_key("filter-form", *shape), self._build_form_class, in_cache=objects_cache())

    @property
    def form(self) -> forms.Form:
        """The bound form (as django-filter's), its brand field offering this listing's brands and counts."""
        if "_form" not in self.__dict__:
            form_class = self.get_form_class()
            form = form_class(self.data, prefix=self.form_prefix) if self.is_bound else form_class(prefix=self.form_prefix)
            form.fields["brand"].choices = self._brand_choices()
            self._form = form
        return self._form

    def _brand_choices(self) -> list[tuple[str, str]]:
        return [(facet["brand__slug"], f'{facet["brand__name"]} ({facet["count"]})') for facet in self.brand_facets]

    def _build_form_class(self):
        form_class = super().get_form_class()
        form_class.base_fields["brand"].choices = []  # each form is given its listing's brands (``form``)
        form_class.base_fields = FieldsSharingChoices(form_class.base_fields)
        return form_class

    @property
    def qs(self) -> QuerySet:
        if self._build_queryset is not None:
            self.queryset, self._build_queryset = self._build_queryset(), None
        return super().qs

    def filter_in_stock(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(is_in_stock=True) if value else queryset

    def filter_nothing(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        # Sorting is applied by sorted_results after filtering, with the page's default.
        return queryset

    def chosen_sort(self, default: str) -> str:
        """The sort key asked for, if it parsed, else the page's default."""
        self.form.is_valid()  # cleaned_data then holds the fields that did parse
        return self.form.cleaned_data.get("sort") or default

    def plain_filters(self) -> PlainFilters | None:
        """The brand, price and stock filters asked for (as filter_queryset would apply them: a value that did
        not parse filters nothing), or None when another filter is in use too."""
        self.form.is_valid()
        data = self.form.cleaned_data
        # An unticked yes/no attribute cleans to False, which filters nothing (``_boolean_method``).
        if any(value not in EMPTY_VALUES and value is not False
               for name, value in data.items() if name not in PLAIN_FILTER_NAMES):
            return None
        return PlainFilters(
            brands=tuple(data.get("brand") or ()),
            price_min=data.get("price_min"),
            price_max=data.get("price_max"),
            in_stock=data.get("in_stock") is True,
        )

    def sorted_results(self, default: str) -> QuerySet:
        """The filtered products in the chosen order, else the page's default order."""
        return self.qs.order_by(*SORTS[self.chosen_sort(default)])

    def checkbox_options(self, name: str) -> list[CheckboxOption]:
        """The choices of a many-choice filter, for the template to draw as plain checkboxes.

        Django's CheckboxSelectMultiple renders a template per option; a search page
        with every filterable attribute draws hundreds, which cost more than its queries.
        """
        bound = self.form[name]
        selected = {str(value) for value in (bound.value() or [])}
        return [
            CheckboxOption(value=str(value), label=str(label), checked=str(value) in selected,
                           id=f"{bound.auto_id}_{index}")
            for index, (value, label) in enumerate(bound.field.choices)
        ]

    @property
    def checkbox_options_brand(self) -> list[CheckboxOption]:
        return self.checkbox_options("brand")

    @property
    def attribute_fieldsets(self) -> list[tuple[Attribute, list[tuple[forms.BoundField, list[CheckboxOption] | None]]]]:
        """Each attribute with its bound fields, and their checkbox options when they are many-choice."""
        fieldsets = []
        for attribute, names in self.attribute_fields:
            fields = []
            for name in names:
                bound = self.form[name]
                many = isinstance(bound.field, forms.MultipleChoiceField)
                fields.append((bound, self.checkbox_options(name) if many else None))
            fieldsets.append((attribute, fields))
        return fieldsets

    def query_fills(self, names) -> bool:
        """Whether the query gives any of the fields ``names`` a value (an empty one, as a GET form sends for
        a field left blank, fills nothing)."""
        return any(value != "" for name in names for value in self.data.getlist(name))

    @property
    def attributes_untouched_key(self) -> str | None:
        """The page_key of the drawer's attribute fieldsets when the query fills none of their fields, else None.

        Untouched, they are the same on every listing offering these attributes (no value, nothing ticked, no
        error): catalog/_filters.html draws them once per process, language and catalogue version. A search
        page offers every filterable attribute, and drawing their fields was about a tenth of a cold search.
        """
        if self.query_fills(name for _attribute, names in self.attribute_fields for name in names):
            return None
        return page_key("filter-attributes-drawn", self.form_prefix or "",
                        *[attribute.pk for attribute, _names in self.attribute_fields])

    @property
    def active_count(self) -> int:
        self.form.is_valid()
        return sum(
            1 for key, value in self.form.cleaned_data.items() if key != "sort" and value not in (None, "", [], False)
        )

    def active_filters(self, query) -> list[ActiveFilter]:
        """The filters that are applied, each with the query string that drops only it (for the chips)."""
        self.form.is_valid()
        cleaned = self.form.cleaned_data
        pairs = [(key, value) for key, values in query.lists() if key != "page" for value in values]

        def without(*names, value=None) -> str:
            return urlencode(
                [(k, v) for k, v in pairs if not (k in names and (value is None or v == value))]
            )

        chips = []
        for name, bound in ((name, self.form[name]) for name in self.form.fields if name != "sort"):
            value = cleaned.get(name)
            if value in (None, "", [], False):
                continue
            if isinstance(value, list):
                labels = dict((str(k), str(v)) for k, v in bound.field.choices)
                if name == "brand":  # the brand choices carry their product count: "农夫山泉 (3)"
                    labels = {k: v.rsplit(" (", 1)[0] for k, v in labels.items()}
                chips += [ActiveFilter(f"{labels.get(v, v)}", without(name, value=v)) for v in value]
            elif isinstance(value, bool):
                chips.append(ActiveFilter(str(bound.label), without(name)))
            else:
                chips.append(ActiveFilter(f"{bound.label} {value}", without(name)))
        return chips
