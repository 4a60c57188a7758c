"""Hot and recent searches (issue 13): words counted per day without a write per page view, a cookie of recent words."""

from decimal import Decimal

import pytest
from django.core.cache import caches

from catalog.models import SearchTerm
from catalog.search_terms import flush_search_counts
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_pages():
    caches["pages"].clear()


@pytest.fixture
def apples():
    return ProductFactory(name="红富士苹果", price=Decimal("9.90"))


def test_the_first_page_of_a_search_counts_the_word_once_per_search_also_from_the_page_cache(client, apples):
    client.get("/search/", {"q": "苹果"})
    client.get("/search/", {"q": "苹果"})  # a guest: this one comes whole from the cache
    client.get("/search/", {"q": "苹果", "page": "2"})  # paging counts nothing
    client.get("/search/", {"q": "苹果", "sort": "price"})  # nor does sorting

    term = SearchTerm.objects.get(term="苹果")
    assert term.searches == 1 and term.results == 1  # the day's first search writes the row, the next is counted in the cache

    assert flush_search_counts() == 1

    term.refresh_from_db()
    assert term.searches == 2
    assert flush_search_counts() == 0  # flushing twice adds nothing twice


def test_searches_counted_by_one_web_process_are_flushed_by_the_worker_another_process(client, apples):
    client.get("/search/", {"q": "苹果"})  # the day's first: writes the row
    client.get("/search/", {"q": "苹果"})
    client.get("/search/", {"q": "苹果"})
    caches["pages"].clear()  # the worker has none of the web process's own memory

    assert flush_search_counts() == 2
    assert SearchTerm.objects.get(term="苹果").searches == 3


def test_the_empty_search_page_shows_hot_words_that_found_something(client, apples):
    client.get("/search/", {"q": "苹果"})
    client.get("/search/", {"q": "榴莲"})  # finds nothing: never a hot word
    caches["pages"].clear()

    page = client.get("/search/").content.decode()
    hot = page[page.index("hot-searches"):]

    assert 'href="?q=%E8%8B%B9%E6%9E%9C"' in hot
    assert "榴莲" not in hot


def test_recent_searches_come_from_a_cookie_newest_first_and_can_be_cleared(client, apples):
    client.get("/search/", {"q": "苹果"})
    client.get("/search/", {"q": "牛奶"})

    page = client.get("/search/").content.decode()
    recent = page[page.index("recent-searches"):]
    assert recent.index("牛奶") < recent.index("苹果")

    cleared = client.get("/search/", {"clear_recent": "1"})
    assert cleared.status_code == 302
    assert "recent-searches" not in client.get("/search/").content.decode()


def test_a_search_that_finds_nothing_suggests_hot_words(client, apples):
    client.get("/search/", {"q": "苹果"})
    caches["pages"].clear()

    page = client.get("/search/", {"q": "榴莲"}).content.decode()

    assert "no-results" in page and 'href="?q=%E8%8B%B9%E6%9E%9C"' in page


def test_a_junk_recent_searches_cookie_is_ignored(client):
    client.cookies["recent_searches"] = "%ZZ%00\x7f" * 500

    assert client.get("/search/").status_code == 200
