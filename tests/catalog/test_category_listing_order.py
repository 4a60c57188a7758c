"""A category's pages list its subtree's products in the chosen order, found by their ids first."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import card_query
from catalog.models import Product
from catalog.selectors import sorted_page_source, visible_products, with_card_data
from catalog.filters import SORTS
from tests.factories import BrandFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db

CARD = re.compile(r'<li class="product-card">\s*<a href="/p/([^/]+)/"')


@pytest.fixture
def subtree(settings):
    """A top category with two children, 30 products spread over them with mixed prices, dates and sales."""
    settings.CATALOG_PAGE_SIZE = 8
    top = CategoryFactory(slug="top")
    children = [CategoryFactory(slug="left", parent=top), CategoryFactory(slug="right", parent=top)]
    brands = [BrandFactory(slug="north"), BrandFactory(slug="south")]
    now = timezone.now()
    for n in range(30):
        product = ProductFactory(
            slug=f"item-{n:02d}", name=f"商品 {(n * 7) % 30:02d}", category=[top, *children][n % 3],
            brand=brands[n % 2], price=Decimal(10 + (n * 13) % 17), units_sold=(n * 5) % 4,
            is_in_stock=n % 4 != 0,
        )
        Product.objects.filter(pk=product.pk).update(created_at=now - timedelta(hours=(n * 11) % 30))
    return [top.pk, *(child.pk for child in children)]


def expected_slugs(subtree, sort, *, page, size=8, **filters):
    products = visible_products().filter(category_id__in=subtree, **filters).order_by(*SORTS[sort])
    return [product.slug for product in products[(page - 1) * size: page * size]]


@pytest.mark.parametrize("sort", ["new", "sales", "price", "-price", "name"])
@pytest.mark.parametrize("page", [1, 2, 4])
def test_a_top_category_page_lists_its_subtrees_products_in_the_chosen_order(client, subtree, sort, page):
    response = client.get(f"/c/top/?sort={sort}&page={page}")

    assert response.status_code == 200
    assert CARD.findall(response.content.decode()) == expected_slugs(subtree, sort, page=page)


def test_a_filtered_top_category_page_counts_and_lists_only_the_matching_products(client, subtree):
    response = client.get("/c/top/?sort=-price&in_stock=on&brand=north")

    assert response.status_code == 200
    matching = visible_products().filter(category_id__in=subtree, is_in_stock=True, brand__slug="north")
    assert response.context["listing"].page.paginator.count == matching.count()
    assert CARD.findall(response.content.decode()) == expected_slugs(
        subtree, "-price", page=1, is_in_stock=True, brand__slug="north"
    )


def test_a_brand_filter_leaves_the_listing_without_distinct(client, subtree):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/c/top/?brand=north&brand=south")

    assert response.status_code == 200
    assert not [query for query in captured.captured_queries if "DISTINCT" in query["sql"] and "catalog_product" in query["sql"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ids-first page is PostgreSQL's")
def test_a_category_page_reads_its_ids_by_expressions_no_single_column_index_serves(subtree):
    source = sorted_page_source(visible_products().filter(category_id__in=subtree), SORTS["new"])

    with CaptureQueriesContext(connection) as captured:
        products = list(source[0:8])

    assert [product.slug for product in products] == [
        product.slug for product in with_card_data(visible_products().filter(category_id__in=subtree))
        .order_by(*SORTS["new"])[:8]
    ]
    # The ids by expressions, then the page's cards by those ids (catalog.card_query).
    ids_query, cards_query = captured.captured_queries
    assert "+ '0:00:00'::interval" in ids_query["sql"] or "INTERVAL" in ids_query["sql"].upper()
    assert cards_query["sql"].startswith(f"EXECUTE {card_query.STATEMENT.name} ")
    statement = card_query.STATEMENT.sql()
    assert "= ANY(" in statement and "ORDER BY" not in statement.split("LIMIT 1)")[-1]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the ids-first page is PostgreSQL's")
def test_a_category_page_reads_its_ids_and_its_count_in_one_query(client, subtree):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/c/top/?sort=price&in_stock=on&page=2")

    assert response.status_code == 200
    assert response.context["listing"].page.paginator.count == visible_products().filter(
        category_id__in=subtree, is_in_stock=True
    ).count()
    assert CARD.findall(response.content.decode()) == expected_slugs(subtree, "price", page=2, is_in_stock=True)
    product_reads = [q["sql"] for q in captured.captured_queries if 'FROM "catalog_product"' in q["sql"]]
    assert not [sql for sql in product_reads if sql.startswith('SELECT COUNT(*)')]
    assert len([sql for sql in product_reads if "OVER ()" in sql]) == 1


@pytest.mark.parametrize("page", ["9", "999999999999999999999999", "-3"])
def test_a_category_page_number_past_the_end_shows_the_last_page_with_the_full_count(client, subtree, page):
    response = client.get(f"/c/top/?sort=new&page={page}")

    assert response.status_code == 200
    listed = response.context["listing"].page
    assert listed.paginator.count == 30
    assert listed.number == 4
    assert CARD.findall(response.content.decode()) == expected_slugs(subtree, "new", page=4)


def test_a_category_page_number_that_is_not_a_number_shows_the_first_page(client, subtree):
    response = client.get("/c/top/?sort=new&page=two")

    assert response.status_code == 200
    assert response.context["listing"].page.number == 1
    assert CARD.findall(response.content.decode()) == expected_slugs(subtree, "new", page=1)
