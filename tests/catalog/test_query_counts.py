"""Each storefront page costs the same number of queries however big the catalogue is."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Attribute, Option, OptionValue, ProductAttributeValue, Variant
from catalog.services import refresh_product_summary
from marketing.models import Announcement
from tests.factories import (
    AttributeFactory,
    AttributeOptionFactory,
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["/", "/categories/", "/c/top/", "/c/leaf/?sort=price&in_stock=on&a_origin=north", "/p/item-0/", "/search/?q=苹果"]


def grow_catalogue(count: int, start: int) -> None:
    """Add ``count`` products, each with brand, image, two variants and attribute values."""
    top = CategoryFactory._meta.model.objects.get(slug="top")
    leaf = CategoryFactory._meta.model.objects.get(slug="leaf")
    origin = Attribute.objects.get(code="origin")
    north = origin.options.get(slug="north")
    size = Option.objects.get(name="规格")
    small, large = size.values.all()
    for n in range(start, start + count):
        product = ProductFactory(
            slug=f"item-{n}",
            name=f"红富士苹果 {n}",
            category=leaf if n % 2 else top,
            brand=BrandFactory(),
            is_featured=n % 3 == 0,
            price=Decimal("9.90"),
        )
        second = Variant.objects.create(product=product, sku=f"ITEM-{n}-L", price=Decimal("19.90"))
        second.option_values.add(large)
        product.variants.exclude(pk=second.pk).get().option_values.add(small)
        ProductAttributeValue.objects.create(product=product, attribute=origin, option=north)
        ProductImageFactory(product=product)
        if n:
            product.related_products.add(product.__class__.objects.get(slug=f"item-{n - 1}"))
        refresh_product_summary(product_ids=[product.pk])


@pytest.fixture
def catalogue():
    top = CategoryFactory(slug="top")
    CategoryFactory(slug="leaf", parent=top)
    origin = AttributeFactory(code="origin", kind=Attribute.Kind.CHOICE)
    AttributeOptionFactory(attribute=origin, slug="north")
    AttributeOptionFactory(attribute=origin, slug="south")
    top.filter_attributes.add(origin, AttributeFactory(code="organic", kind=Attribute.Kind.BOOLEAN))
    size = Option.objects.create(name="规格")
    OptionValue.objects.create(option=size, value="500g")
    OptionValue.objects.create(option=size, value="1kg")
    Announcement.objects.create(text="满199减20")


def queries_per_page(client) -> dict[str, int]:
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()  # measure the pages cold: what a cache miss costs
    counts = {}
    for url in PAGES:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_COOKIE="recently_viewed=1.2.3.4.5")
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_page_query_counts_stay_the_same_when_the_catalogue_grows_tenfold(client, catalogue):
    grow_catalogue(3, start=0)
    small = queries_per_page(client)

    grow_catalogue(27, start=3)
    large = queries_per_page(client)

    assert large == small


@pytest.mark.parametrize(
    ("url", "ceiling"),
    [
        ("/", 6),
        ("/categories/", 1),
        ("/c/top/", 8),
        ("/c/leaf/?sort=price&in_stock=on&a_origin=north", 8),
        ("/p/item-0/", 13),
        ("/search/?q=苹果", 6),
    ],
)
def test_each_page_stays_under_its_query_budget(client, catalogue, url, ceiling, django_assert_max_num_queries):
    grow_catalogue(12, start=0)

    with django_assert_max_num_queries(ceiling):
        response = client.get(url, HTTP_COOKIE="recently_viewed=1.2.3.4.5")

    assert response.status_code == 200
