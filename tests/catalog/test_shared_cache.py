"""What every filter combination of a category or search shares is built by one web process for all of them."""

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog import card_query
from catalog.cache import (
    bump_catalog_version, catalog_version, objects_cache, page_key, pages_cache, shared_cached, shared_object,
)
from tests.factories import BrandFactory, CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def another_process():
    """A web process that has built nothing yet: its own caches are empty, the shared one is not."""
    pages_cache().clear()
    objects_cache().clear()


def test_a_value_built_in_one_process_is_read_by_another_without_building_it():
    built = []
    key = page_key("test-shared", 1)
    shared_cached(key, lambda: built.append(1) or ["品牌"])
    another_process()

    assert shared_cached(key, lambda: built.append(2) or ["别的"]) == ["品牌"]
    assert built == [1]


def test_a_shared_value_also_lands_in_the_process_so_the_next_read_asks_nothing_shared():
    key = page_key("test-shared", 2)
    shared_cached(key, lambda: [1, 2])
    cache.delete(key)

    assert shared_cached(key, lambda: [3]) == [1, 2]


def test_a_shared_read_only_value_is_the_same_object_on_every_read_in_the_process():
    key = page_key("test-shared", 4)
    first = shared_object(key, lambda: {"品牌": ["西湖"]})

    assert shared_object(key, lambda: {"别的": []}) is first


def test_a_shared_read_only_value_built_in_one_process_is_read_by_another_without_building_it():
    built = []
    key = page_key("test-shared", 5)
    first = shared_object(key, lambda: built.append(1) or ["品牌"])
    another_process()

    again = shared_object(key, lambda: built.append(2) or ["别的"])

    assert again == ["品牌"] and again is not first
    assert built == [1]


def test_a_shared_read_only_value_is_built_again_when_the_catalogue_changes():
    shared_object(page_key("test-shared", 6), lambda: ["旧的"])
    bump_catalog_version()

    assert shared_object(page_key("test-shared", 6), lambda: ["新的"]) == ["新的"]


def queries_elsewhere(client, seen_url, new_url) -> tuple[int, int, str]:
    """Queries for ``seen_url``'s sibling in this process, and for ``new_url`` in a process that built nothing.

    Neither counts the read of a listing's card rows: a process draws its cards itself, so this one, which
    drew them already, reads none (catalog.selectors.PageCards) while the other reads them.
    """
    with CaptureQueriesContext(connection) as here:
        client.get(seen_url)
    another_process()
    with CaptureQueriesContext(connection) as elsewhere:
        response = client.get(new_url)
    assert response.status_code == 200
    return _without_card_rows(here), _without_card_rows(elsewhere), response.content.decode()


def _without_card_rows(captured) -> int:
    statements = (card_query.STATEMENT.name, card_query.FACES_STATEMENT.name)
    return sum(1 for query in captured.captured_queries if not any(name in query["sql"] for name in statements))


def test_another_process_draws_a_new_filter_combination_of_a_category_without_reading_its_facets_again(client):
    category = CategoryFactory(slug="tea", name="茶叶")
    ProductFactory(category=category, brand=BrandFactory(name="西湖"), name="龙井")
    client.get("/c/tea/")

    here, elsewhere, page = queries_elsewhere(client, "/c/tea/?sort=price", "/c/tea/?sort=name")

    assert elsewhere == here and "西湖" in page


def test_another_process_pages_through_a_search_without_reading_its_candidates_again(client):
    ProductFactory(name="有机燕麦")
    client.get("/search/?q=有机")

    here, elsewhere, page = queries_elsewhere(client, "/search/?q=有机&sort=price", "/search/?q=有机&sort=new")

    assert elsewhere == here and "有机燕麦" in page


def test_another_process_draws_a_product_of_a_category_without_reading_its_ancestors_again(client):
    category = CategoryFactory(slug="tea", name="茶叶")
    ProductFactory(category=category, slug="longjing", name="龙井")
    ProductFactory(category=category, slug="biluochun", name="碧螺春")
    ProductFactory(category=category, slug="maofeng", name="毛峰")
    client.get("/p/longjing/")

    here, elsewhere, page = queries_elsewhere(client, "/p/biluochun/", "/p/maofeng/")

    assert elsewhere == here and "茶叶" in page


def test_a_deploy_which_migrates_reads_nothing_the_code_before_it_kept_in_the_shared_cache():
    key = page_key("test-shared", 3)
    shared_cached(key, lambda: ["旧的形状"])
    before = catalog_version()

    call_command("migrate", verbosity=0)
    another_process()

    assert catalog_version() != before
    assert shared_cached(page_key("test-shared", 3), lambda: ["新的"]) == ["新的"]
