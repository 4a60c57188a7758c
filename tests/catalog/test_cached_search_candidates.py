"""A search's candidates are read once per catalogue version and query, and are the same as a fresh read."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.search import search_candidates, visible_search_candidates
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
