"""A plain search page (no filters) counts, facets, sorts and pages its candidates without asking the database again,
and shows exactly what the database would have."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import search as search_module
from catalog.filters import SORTS
from catalog.models import Product
from catalog.search import search_candidates, search_products
from catalog.selectors import brand_facets
from tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_pages():
    caches["pages"].clear()


@pytest.fixture
def small_pages(settings):
    settings.CATALOG_PAGE_SIZE = 3


def grow(count, *, start=0):
    """Products holding 有机 with brands, sales, prices and dates that tie in places, so each sort's tie-breaks show."""
    brands = [BrandFactory(name=name) for name in ("山野", "Alpha", "北纬", "alpha二")] if start == 0 else None
    brands = brands or list({p.brand for p in Product.objects.exclude(brand=None)})
    now = timezone.now()
    for n in range(start, start + count):
        product = ProductFactory(
            name=f"有机燕麦 {n}" if n % 3 else f"燕麦 {n}",
            summary="有机",
            brand=brands[n % len(brands)] if n % 5 else None,
            price=Decimal("10.00") + Decimal(n % 4),
        )
        Product.objects.filter(pk=product.pk).update(
            created_at=now - dt.timedelta(hours=n // 2), units_sold=n % 3, summary="有机"
        )
    from catalog.services import refresh_product_summary

    refresh_product_summary(product_ids=list(Product.objects.values_list("pk", flat=True)))


def database_page(query, sort, number):
    ordered = search_products(Product.objects.visible(), query).order_by(*SORTS[sort])
    return [p.pk for p in Paginator(ordered, 3).get_page(number).object_list]


@pytest.mark.parametrize("sort", ["relevance", "sales", "new", "price", "-price"])
@pytest.mark.parametrize("page", ["1", "2", "4", "99", "junk"])
def test_a_plain_search_shows_the_page_count_and_facets_the_database_would(client, small_pages, sort, page):
    grow(11)

    response = client.get("/search/", {"q": "有机", "sort": sort, "page": page})

    listing = response.context["listing"]
    assert [p.pk for p in listing.page.object_list] == database_page("有机", sort, page)
    assert listing.page.paginator.count == search_products(Product.objects.visible(), "有机").count()
    expected_facets = brand_facets(search_products(Product.objects.visible(), "有机"))
    assert [label for _value, label in listing.filter.filters["brand"].extra["choices"]] == [
        f'{facet["brand__name"]} ({facet["count"]})' for facet in expected_facets
    ]


def test_a_plain_search_costs_the_same_queries_whatever_the_catalogue_size(client, small_pages):
    def queries(sort):
        # What is read once per catalogue version (brands, attributes, live promotions) is read by this one.
        client.get("/search/", {"q": "燕麦", "page": "2"})
        with CaptureQueriesContext(connection) as captured:
            assert client.get("/search/", {"q": "有机", "sort": sort, "page": "2"}).status_code == 200
        return [q["sql"] for q in captured.captured_queries]

    grow(4)
    few = queries("price")
    grow(20, start=4)
    many = queries("-price")

    assert len(many) == len(few)
    assert not [sql for sql in many if "COUNT(" in sql.upper()]  # counted and faceted from the candidates


def test_a_filtered_search_still_counts_and_pages_in_the_database(client, small_pages):
    grow(11)
    brand = Product.objects.exclude(brand=None).first().brand

    response = client.get("/search/", {"q": "有机", "brand": brand.slug})

    listing = response.context["listing"]
    filtered = search_products(Product.objects.visible(), "有机").filter(brand=brand)
    assert listing.page.paginator.count == filtered.count()
    assert {p.brand_id for p in listing.page.object_list} == {brand.pk}


def test_a_search_from_the_filter_form_with_every_filter_left_blank_is_still_counted_from_its_candidates(
    client, small_pages
):
    grow(5)
    client.get("/search/", {"q": "燕麦"})  # what is read once per catalogue version

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/search/", {"q": "有机", "sort": "price", "price_min": "", "price_max": "", "page": "2"})

    assert [p.pk for p in response.context["listing"].page.object_list] == database_page("有机", "price", "2")
    assert not [q for q in captured.captured_queries if "COUNT(" in q["sql"].upper()]


def test_a_plain_search_never_builds_the_queryset_of_its_matches_and_a_filtered_one_does(client, small_pages, monkeypatch):
    grow(5)
    brand = Product.objects.exclude(brand=None).first().brand
    built = []
    narrowed = search_module.among_candidates
    monkeypatch.setattr("catalog.views.among_candidates", lambda *args: built.append(args[1]) or narrowed(*args))

    client.get("/search/", {"q": "有机", "sort": "price", "page": "2"})
    assert built == []

    response = client.get("/search/", {"q": "有机", "brand": brand.slug})
    assert built == ["有机"]
    assert {p.brand_id for p in response.context["listing"].page.object_list} == {brand.pk}


def test_a_common_word_looked_for_among_the_newest_products_first_finds_the_same_candidates(monkeypatch):
    monkeypatch.setattr(search_module, "MAX_CANDIDATES", 4)
    grow(11)
    everything = [c.pk for c in search_candidates(Product.objects.visible(), "有机")]
    newest = list(Product.objects.order_by("-created_at", "-id").values_list("created_at", flat=True))

    for cutoff in (newest[3], newest[6], newest[-1], newest[0]):  # too few matches after some: then all are read
        monkeypatch.setattr(search_module, "_recent_window", lambda matches, cutoff=cutoff: cutoff)
        assert [c.pk for c in search_candidates(Product.objects.visible(), "有机")] == everything


def test_a_word_the_planner_expects_in_few_products_is_read_in_one_query_after_the_estimate():
    grow(3)

    with CaptureQueriesContext(connection) as captured:
        found = search_candidates(Product.objects.visible(), "有机")

    assert len(found) == Product.objects.filter(search_document__contains="有机").count()
    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["EXPLAIN", "SELECT"]
