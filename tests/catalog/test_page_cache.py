"""Catalogue pages are cached for everyone and dropped the moment the catalogue changes."""

import time
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from catalog.services import refresh_product_summary, set_published
from marketing.models import Announcement
from stores.models import Stock
from stores.services import adjust_stock, receive_stock
from tests.factories import CategoryFactory, ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


@pytest.fixture
def shelf():
    category = CategoryFactory(slug="tea", name="茶叶")
    product = ProductFactory(slug="longjing", name="西湖龙井", category=category, is_featured=True)
    return category, product


@pytest.mark.parametrize(("url", "warm_queries"), [("/", 0), ("/categories/", 0), ("/c/tea/", 0), ("/search/?q=龙井", 0), ("/p/longjing/", 0)])
def test_a_second_visit_to_a_page_is_served_from_the_cache(client, shelf, url, warm_queries):
    cold = queries(client, url)

    assert queries(client, url) == warm_queries < cold


def test_editing_a_product_shows_at_once(client, shelf):
    _, product = shelf
    client.get("/p/longjing/")
    client.get("/c/tea/")

    product.name = "明前西湖龙井"
    product.save()

    assert "明前西湖龙井" in client.get("/p/longjing/").content.decode()
    assert "明前西湖龙井" in client.get("/c/tea/").content.decode()


def test_a_new_price_shows_at_once(client, shelf):
    _, product = shelf
    client.get("/c/tea/")

    product.variants.update(price=Decimal("88.00"))
    refresh_product_summary(product_ids=[product.pk])

    assert "¥88.00" in client.get("/c/tea/").content.decode()


def test_unpublishing_removes_the_product_at_once(client, shelf):
    _, product = shelf
    client.get("/p/longjing/")

    set_published(product_ids=[product.pk], is_published=False)

    assert client.get("/p/longjing/").status_code == 404
    assert "西湖龙井" not in client.get("/").content.decode()


def test_selling_out_shows_at_once_but_ordinary_stock_moves_keep_the_cache(client, shelf):
    _, product = shelf
    variant = product.variants.get()
    stock = receive_stock(store_id=StoreFactory().pk, variant_id=variant.pk, quantity=5)
    client.get("/p/longjing/")

    adjust_stock(stock_id=stock.pk, change=-1, note="试吃")
    assert queries(client, "/p/longjing/") == 0  # still cached: the product is still in stock

    adjust_stock(stock_id=stock.pk, change=-4, note="盘点")
    assert Stock.objects.get(pk=stock.pk).available == 0
    assert "availability sold-out" in client.get("/p/longjing/").content.decode()


def test_a_new_announcement_shows_on_the_home_page_at_once(client, shelf):
    client.get("/")

    Announcement.objects.create(text="会员日 全场九五折")

    assert "会员日 全场九五折" in client.get("/").content.decode()


def test_each_language_has_its_own_cached_page(client, shelf):
    client.get("/c/tea/")

    client.cookies["django_language"] = "en"
    assert 'lang="en"' in client.get("/c/tea/").content.decode()
    assert "Filter and sort" in client.get("/c/tea/").content.decode()


def test_each_filter_combination_has_its_own_cached_listing(client, shelf):
    category, _ = shelf
    ProductFactory(name="便宜的茶", category=category, price=Decimal("5.00"))
    client.get("/c/tea/")

    page = client.get("/c/tea/", {"price_max": "6"}).content.decode()

    assert "便宜的茶" in page and "西湖龙井" not in page


def test_a_guest_without_a_session_gets_the_whole_page_from_the_cache(client, shelf):
    from django.test.utils import CaptureQueriesContext as Capture

    client.get("/c/tea/")

    with Capture(connection) as captured:
        page = client.get("/c/tea/")
    assert len(captured) == 0 and "西湖龙井" in page.content.decode()


def test_a_guest_with_a_cart_sees_their_own_badge_not_a_cached_page(client, shelf):
    _, product = shelf
    client.get("/c/tea/")  # cached for session-less guests

    client.post("/cart/add/", {"variant": product.variants.get().pk, "quantity": 2})

    assert 'badge-count">2<' in client.get("/c/tea/").content.decode()


def test_a_cached_product_page_gives_each_guest_a_working_csrf_token_of_their_own(shelf):
    import re

    from catalog.cache import CSRF_PLACEHOLDER

    _, product = shelf
    product.variants.update(is_in_stock=True)
    Client().get("/p/longjing/")  # fills the cache
    tokens = []
    for _ in range(2):
        guest = Client(enforce_csrf_checks=True)
        with CaptureQueriesContext(connection) as captured:
            page = guest.get("/p/longjing/").content.decode()
        assert len(captured) == 0  # served whole from the cache
        assert CSRF_PLACEHOLDER not in page
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        tokens.append(token)
        response = guest.post(
            "/cart/add/", {"csrfmiddlewaretoken": token, "variant": product.variants.get().pk, "quantity": 1}
        )
        assert response.status_code == 302
        assert guest.session["cart"] == {str(product.variants.get().pk): 1}
    assert tokens[0] != tokens[1]


@pytest.mark.parametrize("url", ["/c/tea/?sort=price", "/search/?q=龙井"])
def test_a_listing_drawn_by_one_web_process_is_served_whole_by_another(client, shelf, url):
    client.get(url)
    caches["pages"].clear()  # another web process: none of this one's own memory, the same Redis

    with CaptureQueriesContext(connection) as captured:
        page = client.get(url).content.decode()
    assert len(captured) == 0 and "西湖龙井" in page


def test_a_member_gets_the_listing_another_process_drew_with_their_own_cart_badge(client, shelf, shopper):
    _, product = shelf
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": product.variants.get().pk, "quantity": 2})
    Client().get("/c/tea/?sort=price")  # a guest's visit draws the listing
    caches["pages"].clear()

    with CaptureQueriesContext(connection) as captured:
        page = client.get("/c/tea/?sort=price").content.decode()
    assert len(captured) == 1  # the member's session with their user and cart badge; the listing is not read again
    assert "西湖龙井" in page and 'badge-count">2<' in page and "Log in" not in page and "登录" not in page


def test_a_product_saved_in_the_admin_shows_on_every_process_despite_their_shared_listings(client, shelf):
    _, product = shelf
    client.get("/search/?q=龙井")

    product.name = "明前西湖龙井"
    product.save()
    caches["pages"].clear()

    assert "明前西湖龙井" in client.get("/search/?q=龙井").content.decode()


def test_the_shared_copy_of_a_listing_lasts_two_minutes_however_long_the_process_keeps_its_own(monkeypatch):
    caches["shared_pages"].set("catalog:1:zh-hans:listing:abc", "<ul>…</ul>", 600)
    later = time.time() + 121
    monkeypatch.setattr(time, "time", lambda: later)

    assert caches["default"].get("catalog:1:zh-hans:listing:abc") is None
    assert caches["pages"].get("catalog:1:zh-hans:listing:abc") == "<ul>…</ul>"
    assert caches["shared_pages"].get("catalog:1:zh-hans:listing:abc") == "<ul>…</ul>"


def test_product_pages_stay_in_the_process_that_drew_them(client, shelf):
    client.get("/p/longjing/")
    caches["pages"].clear()

    assert queries(client, "/p/longjing/") > 0
