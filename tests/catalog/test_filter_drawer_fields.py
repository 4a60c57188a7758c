"""The filter drawer's fields drawn in Python ({% filter_field %}) are the markup includes/_field.html draws."""

import pytest
from django import forms
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation

from catalog.filters import ProductFilter
from catalog.models import Attribute, Product
from catalog.templatetags.filter_checkboxes import filter_field
from tests.factories import AttributeFactory

pytestmark = pytest.mark.django_db


def included(field) -> str:
    return render_to_string("includes/_field.html", {"field": field})


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("query", [
    "",
    "sort=price&price_min=5&price_max=50&in_stock=on&a_weight_min=100&a_organic=on",
    'price_min=abc&price_max="><script>&a_weight_max=1e999&sort=nonsense',
    "price_min=30&price_max=10",  # the highest below the lowest: an error on price_max
])
def test_every_field_of_the_drawer_is_drawn_as_the_field_template_draws_it(language, query):
    weight = AttributeFactory(code="weight", name="净含量<b>", kind=Attribute.Kind.NUMBER, unit="g")
    organic = AttributeFactory(code="organic", name="有机", kind=Attribute.Kind.BOOLEAN)
    with translation.override(language):
        listing = ProductFilter(QueryDict(query), queryset=Product.objects.all(), attributes=[weight, organic],
                                brand_facets=[], sorts=["new", "price"])
        listing.form.is_valid()
        names = ["sort", "price_min", "price_max", "in_stock", "a_weight_min", "a_weight_max", "a_organic"]

        for name in names:
            assert filter_field(listing.form[name]) == included(listing.form[name]), name


def test_a_field_with_help_text_shows_it_escaped_as_the_template_does():
    class Form(forms.Form):
        amount = forms.IntegerField(label="数量 & 单位", help_text="<最多> 99")

    form = Form({"amount": "x"})
    form.is_valid()

    drawn = filter_field(form["amount"])
    assert drawn == included(form["amount"])
    assert '<small class="help">&lt;最多&gt; 99</small>' in drawn and "has-error" in drawn


def drawer(query: str, attributes) -> str:
    listing = ProductFilter(QueryDict(query), queryset=Product.objects.all(), attributes=attributes,
                            brand_facets=[], sorts=["new", "price"])
    return render_to_string("catalog/_filters.html", {"filter": listing, "q": ""})


def test_an_untouched_drawers_attribute_fields_are_drawn_once_and_a_filled_one_is_drawn_for_itself():
    weight = AttributeFactory(code="weight", name="净含量", kind=Attribute.Kind.NUMBER, unit="g")
    origin = AttributeFactory(code="origin", name="产地", kind=Attribute.Kind.CHOICE)
    origin.options.create(value="山东", slug="shandong")
    drawer("", [weight, origin])
    weight.name = "重量"  # in memory only, as the catalogue version stays: a drawer drawn afresh would show it

    # The drawer's form sends its empty fields too, which fill nothing.
    again = drawer("sort=price&a_weight_min=&a_weight_max=", [weight, origin])
    filled = drawer("a_weight_min=abc&a_origin=shandong", [weight, origin])

    assert "净含量" in again and "重量" not in again
    assert "重量" in filled and 'class="field has-error"' in filled
    assert 'value="shandong" id="id_a_origin_0" checked' in filled
    assert "checked" not in again.split("产地")[1]


def test_a_drawer_offering_other_attributes_does_not_reuse_their_fields():
    weight = AttributeFactory(code="weight", name="净含量", kind=Attribute.Kind.NUMBER)
    volume = AttributeFactory(code="volume", name="容量", kind=Attribute.Kind.NUMBER)

    drawer("", [weight])

    assert "容量" in drawer("", [volume]) and "净含量" not in drawer("", [volume])
