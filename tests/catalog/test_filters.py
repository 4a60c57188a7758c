from decimal import Decimal

import pytest

from catalog.models import Attribute, ProductAttributeValue
from tests.factories import AttributeFactory, AttributeOptionFactory, BrandFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def names(response):
    return [product.name for product in response.context["page"].object_list]


@pytest.fixture
def shelf():
    """A top category with a subcategory, two brands, prices 5/15/25 and one sold-out product."""
    root = CategoryFactory(slug="snacks", name="休闲零食")
    leaf = CategoryFactory(parent=root, slug="nuts", name="坚果")
    cheap, mid = BrandFactory(slug="cheap"), BrandFactory(slug="mid")
    origin = AttributeFactory(code="origin", name="产地", kind=Attribute.Kind.CHOICE)
    xinjiang, yunnan = AttributeOptionFactory(attribute=origin, slug="xinjiang"), AttributeOptionFactory(
        attribute=origin, slug="yunnan"
    )
    organic = AttributeFactory(code="organic", name="有机", kind=Attribute.Kind.BOOLEAN)
    weight = AttributeFactory(code="weight", name="净含量", kind=Attribute.Kind.NUMBER, unit="g")
    root.filter_attributes.add(origin, organic, weight)
    products = {
        "a": ProductFactory(name="巴旦木", category=leaf, brand=cheap, price=Decimal("5.00")),
        "b": ProductFactory(name="核桃", category=leaf, brand=mid, price=Decimal("15.00")),
        "c": ProductFactory(name="腰果", category=root, brand=mid, price=Decimal("25.00"), is_in_stock=False),
    }
    for key, option, is_organic, grams in [("a", xinjiang, True, 250), ("b", yunnan, False, 500), ("c", xinjiang, False, 1000)]:
        product = products[key]
        ProductAttributeValue.objects.create(product=product, attribute=origin, option=option)
        ProductAttributeValue.objects.create(product=product, attribute=organic, value_boolean=is_organic)
        ProductAttributeValue.objects.create(product=product, attribute=weight, value_number=Decimal(grams))
    return products


def test_a_category_page_lists_products_of_its_subcategories_too(client, shelf):
    response = client.get("/c/snacks/")

    assert sorted(names(response)) == sorted(["巴旦木", "核桃", "腰果"])


def test_filtering_by_brand_keeps_only_that_brand(client, shelf):
    assert sorted(names(client.get("/c/snacks/", {"brand": "mid"}))) == ["核桃", "腰果"]


def test_a_price_range_keeps_products_inside_it(client, shelf):
    assert names(client.get("/c/snacks/", {"price_min": "10", "price_max": "20"})) == ["核桃"]


def test_in_stock_only_hides_sold_out_products(client, shelf):
    assert "腰果" not in names(client.get("/c/snacks/", {"in_stock": "on"}))


def test_attribute_filters_of_each_kind_narrow_the_listing(client, shelf):
    assert sorted(names(client.get("/c/snacks/", {"a_origin": "xinjiang"}))) == ["巴旦木", "腰果"]
    assert names(client.get("/c/snacks/", {"a_organic": "on"})) == ["巴旦木"]
    assert names(client.get("/c/snacks/", {"a_weight_min": "400", "a_weight_max": "600"})) == ["核桃"]


def test_a_subcategory_offers_the_filters_of_its_ancestors(client, shelf):
    response = client.get("/c/nuts/", {"a_origin": "yunnan"})

    assert names(response) == ["核桃"]


def test_sorting_by_price_orders_both_ways(client, shelf):
    assert names(client.get("/c/snacks/", {"sort": "price"})) == ["巴旦木", "核桃", "腰果"]
    assert names(client.get("/c/snacks/", {"sort": "-price"})) == ["腰果", "核桃", "巴旦木"]


@pytest.mark.parametrize(
    "params",
    [
        {"price_min": "abc"},
        {"price_max": "1e999999"},
        {"price_min": "-5"},
        {"price_max": "NaN"},
        {"brand": "no-such-brand"},
        {"sort": "id; drop table"},
        {"a_origin": "mars"},
        {"a_weight_min": "99999999999999999999"},
        {"page": "-1"},
        {"page": "99999"},
        {"page": "x"},
        {"in_stock": "\x00"},
    ],
)
def test_junk_filter_values_are_ignored_with_an_error_never_a_500(client, shelf, params):
    response = client.get("/c/snacks/", params)

    assert response.status_code == 200
    assert len(names(response)) >= 1


def test_an_unparseable_price_is_reported_next_to_its_field(client, shelf):
    response = client.get("/c/snacks/", {"price_min": "abc", "brand": "mid"})

    assert response.context["filter"].form.errors["price_min"]
    assert sorted(names(response)) == ["核桃", "腰果"]  # the valid filter still applies


def test_brand_facets_count_products_per_brand(client, shelf):
    response = client.get("/c/snacks/")
    choices = dict(response.context["filter"].form.fields["brand"].choices)

    assert choices["mid"].endswith("(2)")
    assert choices["cheap"].endswith("(1)")


def test_an_inactive_or_unknown_category_is_a_404(client, shelf):
    CategoryFactory(slug="closed", is_active=False)

    assert client.get("/c/closed/").status_code == 404
    assert client.get("/c/nowhere/").status_code == 404
