"""The filter drawer's form class is built once per shape (catalog.filters.ProductFilter.get_form_class)."""

import pytest
from django.http import QueryDict
from django.utils import translation

from catalog.cache import bump_catalog_version
from catalog.filters import ProductFilter
from catalog.models import Attribute, Product, ProductAttributeValue
from tests.factories import AttributeFactory, AttributeOptionFactory, ProductFactory

pytestmark = pytest.mark.django_db

SORTS = ["new", "sales", "price", "-price", "name"]
BRANDS = [{"brand__slug": "xihu", "brand__name": "西湖", "count": 3}]


def product_filter(query="", *, attributes=(), facets=BRANDS, sorts=SORTS) -> ProductFilter:
    return ProductFilter(QueryDict(query), queryset=Product.objects.all(), attributes=list(attributes),
                         brand_facets=facets, sorts=sorts)


def test_listings_of_the_same_shape_share_one_form_class_and_each_form_keeps_its_own_data():
    first, second = product_filter("brand=xihu&price_min=5"), product_filter("price_min=abc")
    assert type(first.form) is type(second.form)
    assert first.form.is_valid() and not second.form.is_valid()
    assert first.form.cleaned_data["brand"] == ["xihu"]
    assert "price_min" in second.form.errors and "price_min" not in first.form.errors
    assert first.form.fields["brand"] is not second.form.fields["brand"]


def test_other_sorts_or_attributes_give_another_form_class():
    origin = AttributeFactory(code="origin", name="产地", kind=Attribute.Kind.CHOICE)
    AttributeOptionFactory(attribute=origin, slug="yunnan", value="云南")
    base = type(product_filter().form)
    assert type(product_filter(sorts=["relevance", "sales"]).form) is not base
    with_origin = product_filter("a_origin=yunnan", attributes=[origin])
    assert type(with_origin.form) is not base
    assert with_origin.form.is_valid() and with_origin.form.cleaned_data["a_origin"] == ["yunnan"]


def test_a_new_option_of_an_attribute_is_offered_at_once():
    origin = AttributeFactory(code="origin", name="产地", kind=Attribute.Kind.CHOICE)
    AttributeOptionFactory(attribute=origin, slug="yunnan", value="云南")
    assert product_filter(attributes=[origin]).form.is_valid()
    AttributeOptionFactory(attribute=origin, slug="xinjiang", value="新疆")
    refreshed = Attribute.objects.get(pk=origin.pk)
    chosen = product_filter("a_origin=xinjiang", attributes=[refreshed])
    assert chosen.form.is_valid() and chosen.form.cleaned_data["a_origin"] == ["xinjiang"]


def test_each_language_has_its_own_labels():
    weight = AttributeFactory(code="weight", name="净含量", kind=Attribute.Kind.NUMBER, unit="g")
    with translation.override("en"):
        english = product_filter(attributes=[weight]).form
        assert str(english.fields["a_weight_min"].label) == "净含量 from (g)"
    with translation.override("zh-hans"):
        chinese = product_filter(attributes=[weight]).form
        assert str(chinese.fields["a_weight_min"].label) != "净含量 from (g)"
    assert type(english) is not type(chinese)


def test_a_catalogue_change_builds_the_class_again():
    before = type(product_filter().form)
    bump_catalog_version()
    assert type(product_filter().form) is not before


def test_a_listing_of_a_shape_seen_before_validates_its_form_without_building_its_filters():
    weight = AttributeFactory(code="weight", name="净含量", kind=Attribute.Kind.NUMBER, unit="g")
    product_filter(attributes=[weight]).form  # the class of this shape is built

    listing = product_filter("brand=xihu&a_weight_min=100", attributes=[weight])

    assert listing.form.is_valid() and listing.form.cleaned_data["a_weight_min"] == 100
    assert listing.plain_filters() is None  # an attribute is in use
    assert "filters" not in listing.__dict__


def test_the_filters_built_for_the_database_apply_the_attribute_asked_for():
    weight = AttributeFactory(code="weight", name="净含量", kind=Attribute.Kind.NUMBER, unit="g")
    heavy, light = ProductFactory(name="大包"), ProductFactory(name="小包")
    ProductAttributeValue.objects.create(product=heavy, attribute=weight, value_number=500)
    ProductAttributeValue.objects.create(product=light, attribute=weight, value_number=50)

    listing = product_filter("a_weight_min=100", attributes=[weight])

    assert list(listing.qs) == [heavy]
    assert listing.filters["a_weight_min"].parent is listing


def test_forms_of_one_class_have_their_own_fields_widgets_and_choice_lists():
    first, second = product_filter().form, product_filter().form
    mine, theirs = first.fields["brand"], second.fields["brand"]

    mine.choices = [*mine.choices, ("huiyuan", "汇源 (1)")]
    mine.widget.attrs["class"] = "changed"

    assert mine is not theirs and mine.widget is not theirs.widget
    assert list(theirs.choices) == [("xihu", "西湖 (3)")] and "class" not in theirs.widget.attrs
    assert list(product_filter().form.fields["brand"].choices) == [("xihu", "西湖 (3)")]


def test_listings_with_other_brands_share_the_class_and_each_offers_its_own_brands():
    other_brands = [{"brand__slug": "huiyuan", "brand__name": "汇源", "count": 1}]
    mine, theirs = product_filter("brand=xihu"), product_filter("brand=xihu", facets=other_brands)

    assert type(mine.form) is type(theirs.form)
    assert mine.form.is_valid() and mine.form.cleaned_data["brand"] == ["xihu"]
    assert not theirs.form.is_valid() and "brand" in theirs.form.errors
    assert [option.label for option in theirs.checkbox_options_brand] == ["汇源 (1)"]
    assert [option.label for option in mine.checkbox_options_brand] == ["西湖 (3)"]


def test_a_forms_copied_fields_keep_their_kind_messages_validators_and_widget_choices_to_themselves():
    first, second = product_filter().form, product_filter().form
    for name, field in first.fields.items():
        other = second.fields[name]
        assert type(field) is type(other) and field is not other and field.widget is not other.widget, name
        assert field.error_messages == other.error_messages and field.error_messages is not other.error_messages
        assert field.validators == other.validators and field.validators is not other.validators

    first.fields["sort"].widget.choices = []
    first.fields["price_min"].validators.append(lambda value: None)

    assert [value for value, _label in second.fields["sort"].widget.choices] == SORTS
    assert len(second.fields["price_min"].validators) == len(product_filter().form.fields["price_min"].validators)
