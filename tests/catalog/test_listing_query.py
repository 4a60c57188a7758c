"""A category page's ids and count from the fixed query (catalog.listing_query) are the ORM's, for every
brand, price and stock filter, every sort and page."""

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.http import QueryDict
from django.utils import timezone

from catalog.filters import SORTS, ProductFilter
from catalog.listing_query import CategoryIds, category_page_source
from catalog.models import Product
from catalog.selectors import IdsFirst, products_in_category
from tests.factories import AttributeFactory, AttributeOptionFactory, BrandFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

CATEGORY_SORTS = ["new", "sales", "price", "-price", "name"]


@pytest.fixture
def shelf():
    """A category with two children: products of three brands and none, with equal prices, sales and creation
    times among them (so the tie-breakers decide), some sold out, one unpublished, one whose window has ended,
    and one in another category."""
    top = CategoryFactory(slug="drinks")
    tea, juice = CategoryFactory(parent=top, slug="tea"), CategoryFactory(parent=top, slug="juice")
    brands = [BrandFactory(slug=slug, name=name) for slug, name in (("xihu", "西湖"), ("huiyuan", "汇源"), ("cuicui", "翠翠"))]
    same_moment = timezone.now() - dt.timedelta(days=3)
    for index in range(24):
        product = ProductFactory(
            category=(top, tea, juice)[index % 3],
            brand=(*brands, None)[index % 4],
            price=Decimal((5, 12, 12, 18, 25, 40)[index % 6]),
            is_in_stock=index % 5 != 0,
            name=f"饮品{index % 7}",
        )
        Product.objects.filter(pk=product.pk).update(
            units_sold=(0, 3, 3, 10)[index % 4],
            created_at=same_moment if index % 4 == 0 else same_moment + dt.timedelta(hours=index),
        )
    ProductFactory(category=tea, brand=brands[0], is_published=False)
    ProductFactory(category=tea, brand=brands[0], available_until=timezone.now() - dt.timedelta(hours=1))
    ProductFactory(category=CategoryFactory(slug="snacks"), brand=brands[0])
    return [top.pk, tea.pk, juice.pk], [{"brand__slug": b.slug, "brand__name": b.name, "count": 1} for b in brands]


def product_filter(subtree_ids, facets, **query) -> ProductFilter:
    data = QueryDict(mutable=True)
    for key, value in query.items():
        data.setlist(key, value if isinstance(value, list) else [value])
    return ProductFilter(data, queryset=lambda: products_in_category(subtree_ids), attributes=[],
                         brand_facets=facets, sorts=CATEGORY_SORTS)


def page_and_total(source, offset: int, limit: int) -> tuple[list[int], int]:
    source.read_ahead(offset, limit)
    return [product.pk for product in source[offset:offset + limit]], source.count()


QUERIES = [
    {},
    {"brand": "xihu"},
    {"brand": ["xihu", "huiyuan"]},
    {"price_min": "12"},
    {"price_max": "18"},
    {"price_min": "0", "price_max": "25", "in_stock": "on"},
    {"in_stock": "on", "brand": ["cuicui", "huiyuan"]},
    {"brand": "xihu", "price_min": "100"},  # nothing matches
    {"price_min": "abc", "brand": "nobody"},  # neither parses: no filter, as the ORM's form
    {"price_min": "30", "price_max": "10"},  # the highest below the lowest: the lowest still applies
]


@pytest.mark.parametrize("query, sort", itertools.product(QUERIES, CATEGORY_SORTS))
def test_the_fixed_query_finds_the_orms_page_and_count(shelf, query, sort):
    subtree_ids, facets = shelf
    for offset in (0, 5, 20, 200):
        orm = product_filter(subtree_ids, facets, sort=sort, **query)
        fixed = product_filter(subtree_ids, facets, sort=sort, **query)
        order = SORTS[sort]

        expected = page_and_total(IdsFirst(orm.qs, order), offset, 5)
        found = page_and_total(CategoryIds(subtree_ids, fixed.plain_filters(), order, lambda f=fixed: f.qs), offset, 5)

        assert found == expected, (query, sort, offset)


def test_a_listing_with_an_attribute_filter_keeps_the_orms_query(shelf):
    subtree_ids, facets = shelf
    origin = AttributeOptionFactory(attribute=AttributeFactory(code="origin", name="产地"), slug="hangzhou").attribute
    data = QueryDict("a_origin=hangzhou&sort=new")
    listing = ProductFilter(data, queryset=lambda: products_in_category(subtree_ids), attributes=[origin],
                            brand_facets=facets, sorts=CATEGORY_SORTS)

    assert listing.plain_filters() is None
    assert not isinstance(
        category_page_source(subtree_ids, listing.plain_filters(), SORTS["new"], lambda: listing.qs), CategoryIds
    )


def test_a_category_with_a_yes_no_attribute_left_unticked_still_takes_the_fixed_query(shelf):
    subtree_ids, facets = shelf
    organic = AttributeFactory(code="organic", name="有机", kind="boolean")
    listing = ProductFilter(QueryDict("sort=price&in_stock=on"), queryset=lambda: products_in_category(subtree_ids),
                            attributes=[organic], brand_facets=facets, sorts=CATEGORY_SORTS)
    orm = ProductFilter(QueryDict("sort=price&in_stock=on"), queryset=lambda: products_in_category(subtree_ids),
                        attributes=[organic], brand_facets=facets, sorts=CATEGORY_SORTS)

    source = category_page_source(subtree_ids, listing.plain_filters(), SORTS["price"], lambda: listing.qs)

    assert isinstance(source, CategoryIds)
    assert page_and_total(source, 0, 5) == page_and_total(IdsFirst(orm.qs, SORTS["price"]), 0, 5)


def test_a_ticked_yes_no_attribute_keeps_the_orms_query(shelf):
    subtree_ids, facets = shelf
    organic = AttributeFactory(code="organic", name="有机", kind="boolean")
    listing = ProductFilter(QueryDict("a_organic=on"), queryset=lambda: products_in_category(subtree_ids),
                            attributes=[organic], brand_facets=facets, sorts=CATEGORY_SORTS)

    assert listing.plain_filters() is None


def test_a_category_page_filtered_by_brand_price_and_stock_lists_what_they_ask_for(client, shelf):
    client.get("/c/drinks/")  # the category, its facets and attributes: shared by every filter combination

    page = client.get("/c/drinks/", {"brand": "xihu", "price_min": "10", "in_stock": "on", "sort": "price"})

    assert page.status_code == 200
    shown = [product.pk for product in page.context["listing"].page.object_list]
    expected = Product.objects.filter(
        category_id__in=shelf[0], brand__slug="xihu", price__gte=10, is_in_stock=True, is_published=True,
    ).exclude(available_until__lt=timezone.now()).order_by("price", "id").values_list("pk", flat=True)[:24]
    assert shown == list(expected) and shown
