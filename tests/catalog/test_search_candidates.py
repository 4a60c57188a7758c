"""A word found in more products than search ranks still answers quickly and correctly."""

import pytest

from catalog import search as search_module
from catalog.models import Product
from catalog.search import search_products
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def few_candidates(monkeypatch):
    # Stands in for 1,000 out of tens of thousands: the same rule, at a size a test can build.
    monkeypatch.setattr(search_module, "MAX_CANDIDATES", 4)


def search(query):
    return list(search_products(Product.objects.visible(), query).order_by("-rank", "-created_at", "-id"))


def test_a_common_word_keeps_only_the_newest_matches_as_candidates(few_candidates):
    older = [ProductFactory(name=f"有机燕麦 {n}") for n in range(6)]
    ProductFactory(name="东北大米")

    found = search("有机")

    assert found == older[::-1][:4]


def test_a_name_holding_the_whole_query_ranks_first_among_the_candidates(few_candidates):
    for n in range(2):
        ProductFactory(name=f"燕麦 有 机 {n}", summary="有机")
    exact = ProductFactory(name="有机燕麦片")
    for n in range(2):
        ProductFactory(name=f"有 机 燕麦 {n}", summary="有机")

    found = search("有机")

    assert found[0] == exact
    assert len(found) == 4


def test_a_word_that_matches_nothing_finds_nothing(few_candidates):
    ProductFactory(name="有机燕麦")

    assert search("qzxjv") == []


def test_the_search_page_counts_and_filters_within_the_candidates(client, few_candidates):
    for n in range(6):
        ProductFactory(name=f"有机燕麦 {n}")

    response = client.get("/search/", {"q": "有机", "sort": "price"})

    assert response.status_code == 200
    assert len(response.context["listing"].page.object_list) == 4


def test_a_common_latin_word_also_keeps_the_newest_matches_though_it_is_not_found_by_walking_the_date_index(
    few_candidates,
):
    older = [ProductFactory(name=f"Organic oats {n}") for n in range(6)]

    found = search("organic")

    assert found == older[::-1][:4]
