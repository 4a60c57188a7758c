"""A search's candidates read by the fixed SQL of catalog/search_sql.py are the ORM's, for words of every kind."""

import datetime as dt

import pytest
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from catalog import search, search_sql
from catalog.models import Product
from catalog.selectors import visible_products
from catalog.services import refresh_product_summary
from tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db

NAMES = [
    "有机燕麦片", "新鲜有机菠菜 500g", "Organic Soba Noodles", "Whole Milk 1L 全脂牛奶", "西湖龙井 茶叶",
    "100% 纯果汁", "SKU_AB-12 special", "organic_tea 绿茶", "红富士苹果", "Classic Polo Shirt", "有机 whole wheat",
    "茶具套装", "Organic Whole Oats", "polo 衫 经典",
]
QUERIES = [
    "有机", "organic", "茶", "a", "有机 whole", "100%", "_", "sku_ab", "ab-12", "红富士", "富", "polo shirt",
    "nothing-here", "o", "西湖 龙井", "%", "whole oats", "有机燕麦", "oat", "\\",
]


@pytest.fixture
def catalogue():
    """Each name twice, of three brands (one none), created an hour apart but every fifth at one moment (so the
    id breaks the tie), and one unpublished match."""
    brands = [BrandFactory(name="田园"), BrandFactory(name="Hill"), None]
    start = timezone.now() - dt.timedelta(days=30)
    for index, name in enumerate(NAMES * 2):
        product = ProductFactory(name=name if index < len(NAMES) else f"{name} {index}", brand=brands[index % 3])
        Product.objects.filter(pk=product.pk).update(
            created_at=start if index % 5 == 0 else start + dt.timedelta(hours=index), units_sold=index % 4,
        )
    ProductFactory(name="有机 hidden", is_published=False)


def orm_columns(query):
    return search._candidate_columns(visible_products(), search.clean_query(query))


def fixed_columns(query):
    return search._visible_candidate_columns(search.clean_query(query))


@pytest.mark.parametrize("query", QUERIES)
def test_the_fixed_candidate_read_finds_the_orms_columns(catalogue, query):
    assert fixed_columns(query) == orm_columns(query)


def test_the_fixed_candidate_read_finds_the_orms_columns_within_a_window_of_the_newest(catalogue, monkeypatch):
    # A catalogue of 28 products as one of 100,000: a window of newest products holds enough matches.
    monkeypatch.setattr(search, "MAX_CANDIDATES", 2)
    monkeypatch.setattr(search, "WINDOW_FROM_MATCHES", 0)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Product._meta.db_table}")
    windows = []
    read = search_sql.candidate_rows
    monkeypatch.setattr(search_sql, "candidate_rows", lambda *a, **kw: windows.append(kw.get("since")) or read(*a, **kw))

    for query in QUERIES:
        assert fixed_columns(query) == orm_columns(query), query

    assert any(since is not None for since in windows)


def test_a_search_of_the_visible_catalogue_answers_from_the_fixed_read(client, catalogue):
    page = client.get("/search/", {"q": "有机"})

    assert page.status_code == 200
    shown = {product.name for product in page.context["listing"].page.object_list}
    assert shown and all("有机" in name for name in shown) and "有机 hidden" not in shown


def test_a_word_whose_substring_misses_is_still_found_by_its_stem_in_both_reads(catalogue):
    runner = ProductFactory(name="Trail running shoes")

    for columns in (fixed_columns("runs"), orm_columns("runs")):
        assert runner.pk in columns[0]


@pytest.mark.parametrize("query", ["organic", "polo shirt", "sku_ab"])
def test_both_reads_test_the_words_substrings_before_the_stored_full_text_vector(query):
    # The trigram index is lossy: PostgreSQL tests each row it finds again, left to right, and the search
    # document is in the row while a large vector is stored apart (TOAST).
    terms = search.clean_query(query).split()
    every_term = Q()
    for term in terms:
        every_term &= Q(search_document__contains=term)
    orm = str(Product.objects.filter(search._postgres_match(terms, every_term)).query)
    fixed, _ = search_sql.visible_match_sql(terms, search._fts_query(terms), True, config=search.SEARCH_CONFIG)

    for sql in (orm, fixed):
        assert sql.index("LIKE") < sql.index("@@")


@pytest.mark.parametrize("query, ranks", [
    ("organic", {"Organic Soba Noodles": 2, "早餐谷物": 0}),
    ("whole oats", {"Organic Whole Oats": 2, "早餐谷物": 0}),
    ("oats whole", {"Organic Whole Oats": 1, "早餐谷物": 0}),
])
def test_a_name_holding_the_whole_query_ranks_two_every_word_one_else_nothing_in_both_reads(catalogue, query, ranks):
    described = ProductFactory(name="早餐谷物", description="organic whole oats, rolled")
    refresh_product_summary(product_ids=[described.pk])
    names = dict(Product.objects.values_list("pk", "name"))

    for pks, ranked in ((columns[0], columns[4]) for columns in (fixed_columns(query), orm_columns(query))):
        found = {names[pk]: rank for pk, rank in zip(pks, ranked)}
        assert {name: found.get(name) for name in ranks} == ranks
