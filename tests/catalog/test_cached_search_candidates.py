"""A search's candidates are read once per catalogue version and query, and are the same as a fresh read."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.search import CandidateColumns, search_candidates, sorted_pks, visible_search_candidates
from catalog.selectors import visible_products
from catalog.services import set_published
from tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_same_words_read_their_candidates_once_for_every_sort_and_page():
    ProductFactory(name="有机燕麦")
    first = visible_search_candidates("有机")

    with CaptureQueriesContext(connection) as captured:
        again = visible_search_candidates("  有机 ")

    assert len(captured) == 0
    assert again == first
    assert [candidate.pk for candidate in again] != []


def test_cached_candidates_are_exactly_what_a_fresh_read_finds():
    brand = BrandFactory()
    ProductFactory(name="有机燕麦 a", price=Decimal("12.50"), brand=brand)
    ProductFactory(name="燕麦 有机", price=Decimal("8.00"))
    ProductFactory(name="有机大米", price=Decimal("100.05"), brand=brand)
    visible_search_candidates("有机")

    cached = visible_search_candidates("有机")

    fresh = search_candidates(visible_products(), "有机")
    assert cached == fresh
    assert [str(candidate.price) for candidate in cached] == [str(candidate.price) for candidate in fresh]
    assert [candidate.newness for candidate in cached] == list(range(len(fresh)))


def test_cached_candidates_are_not_reused_after_the_catalogue_changes():
    kept = ProductFactory(name="有机燕麦")
    hidden = ProductFactory(name="有机大米")
    assert {candidate.pk for candidate in visible_search_candidates("有机")} == {kept.pk, hidden.pk}

    set_published(product_ids=[hidden.pk], is_published=False)

    assert [candidate.pk for candidate in visible_search_candidates("有机")] == [kept.pk]


def test_words_that_match_nothing_are_cached_as_no_candidates():
    ProductFactory(name="有机燕麦")
    assert visible_search_candidates("qzxjv") == []

    with CaptureQueriesContext(connection) as captured:
        assert visible_search_candidates("qzxjv") == []

    assert len(captured) == 0


def test_an_empty_query_has_no_candidates_and_asks_nothing():
    with CaptureQueriesContext(connection) as captured:
        assert visible_search_candidates("   ") == []

    assert len(captured) == 0


@pytest.mark.parametrize("sort", ["relevance", "sales", "new", "price", "-price"])
def test_a_plain_search_page_counts_facets_sorts_and_pages_its_candidates_without_building_one_each(
    client, monkeypatch, sort
):
    brand = BrandFactory()
    for n in range(5):
        ProductFactory(name=f"有机燕麦 {n}", price=Decimal("10.00") + n % 2, brand=brand if n % 2 else None)
    monkeypatch.setattr("catalog.search.Candidate._make", lambda *args: pytest.fail("a Candidate was built"))

    response = client.get("/search/", {"q": "有机", "sort": sort})

    assert response.status_code == 200
    assert response.context["listing"].page.paginator.count == 5


def test_the_ids_by_a_key_candidates_do_not_carry_are_left_to_the_database():
    columns = CandidateColumns(((3, 2, 1), (None, None, None), (0, 0, 0), ("1.00", "2.00", "3.00"), (0, 0, 0)))
    assert sorted_pks(columns, ("name", "id")) is None
    assert sorted_pks(columns, ("price", "id")) == [3, 2, 1]
    assert sorted_pks(columns, ("-price", "-id")) == [1, 2, 3]
    assert sorted_pks(columns, ("-created_at", "-id")) == [3, 2, 1]  # the columns come newest first
