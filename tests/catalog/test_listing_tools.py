"""Listing tools of issue 13: the sort bar (综合 / 销量 / 价格), filter chips, a clear price-range message, "from" prices."""

from decimal import Decimal

import pytest
from django.core.cache import caches

from catalog.services import refresh_product_summary
from tests.factories import BrandFactory, CategoryFactory, ProductFactory, VariantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    # Messages and card texts are matched in English; the shop speaks Chinese by default.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


@pytest.fixture(autouse=True)
def fresh_pages():
    caches["pages"].clear()


def names(response):
    return [product.name for product in response.context["page"].object_list]


@pytest.fixture
def shelf():
    drinks = CategoryFactory(slug="drinks", name="饮料")
    brand = BrandFactory(slug="nongfu", name="农夫山泉")
    return {
        "slow": ProductFactory(name="矿泉水", category=drinks, brand=brand, price=Decimal("2.00"), units_sold=3),
        "fast": ProductFactory(name="冷萃咖啡", category=drinks, price=Decimal("10.00"), units_sold=90),
        "mid": ProductFactory(name="果汁", category=drinks, price=Decimal("6.00"), units_sold=40),
    }


def test_the_sales_sort_puts_the_best_selling_product_first(client, shelf):
    assert names(client.get("/c/drinks/", {"sort": "sales"})) == ["冷萃咖啡", "果汁", "矿泉水"]


def test_the_sort_bar_links_keep_the_filters_and_the_price_link_flips_direction(client, shelf):
    page = client.get("/c/drinks/", {"sort": "price", "in_stock": "on"}).content.decode()

    assert 'class="sort-price active up"' in page
    assert 'href="?in_stock=on&amp;sort=-price"' in page  # tapping 价格 again: high to low
    assert 'href="?in_stock=on&amp;sort=sales"' in page
    assert 'href="?in_stock=on"' in page  # 综合: the page's own order


def test_each_applied_filter_is_a_chip_that_drops_only_itself(client, shelf):
    page = client.get("/c/drinks/", {"brand": "nongfu", "price_min": "1"}).content.decode()

    assert "农夫山泉 <span" in page and 'href="?price_min=1"' in page
    assert 'href="?brand=nongfu"' in page


def test_a_lowest_price_above_the_highest_says_so_instead_of_finding_nothing(client, shelf):
    response = client.get("/c/drinks/", {"price_min": "9", "price_max": "3"}, HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 200
    assert "The highest price is below the lowest price" in response.content.decode()
    assert names(response) == ["冷萃咖啡"]  # the lowest price still applies


def test_a_card_says_from_when_the_variants_differ_in_price(client, shelf):
    coffee = shelf["fast"]
    VariantFactory(product=coffee, price=Decimal("10.00"))
    VariantFactory(product=coffee, price=Decimal("16.00"))
    VariantFactory(product=shelf["mid"], price=Decimal("6.00"))
    refresh_product_summary(product_ids=[coffee.pk, shelf["mid"].pk])

    page = client.get("/c/drinks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "from ¥10.00" in page
    assert "from ¥6.00" not in page and "¥6.00" in page
