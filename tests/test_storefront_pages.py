import pytest

from marketing.models import Announcement
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


def test_the_home_page_shows_announcements_category_entries_featured_and_new_products(client):
    Announcement.objects.create(text="新店开业 满199减20")
    Announcement.objects.create(text="已结束的活动", is_active=False)
    CategoryFactory(name="生鲜果蔬", icon="🍎")
    ProductFactory(name="精选草莓", is_featured=True)
    ProductFactory(name="新到蓝莓")

    page = client.get("/").content.decode()

    assert "新店开业 满199减20" in page and "已结束的活动" not in page
    assert "生鲜果蔬" in page
    assert "精选草莓" in page and "新到蓝莓" in page


def test_the_storefront_speaks_simplified_chinese_by_default_even_to_english_browsers(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert response["Content-Language"] == "zh-hans"
    assert '<html lang="zh-hans">' in response.content.decode()


@pytest.mark.parametrize(("code", "word"), [("zh-hant", "搜尋"), ("en", "Search"), ("zh-hans", "搜索")])
def test_switching_language_is_remembered_and_translates_the_page(client, code, word):
    response = client.get(f"/lang/{code}/", {"next": "/categories/"})

    assert response.status_code == 302 and response["Location"] == "/categories/"
    page = client.get("/categories/")
    assert page["Content-Language"] == code
    assert word in page.content.decode()


def test_the_language_switch_never_redirects_to_another_site(client):
    response = client.get("/lang/en/", {"next": "https://evil.example.com/"})

    assert response["Location"] == "/"


def test_an_unknown_language_is_ignored(client):
    client.get("/lang/xx/")

    assert client.get("/")["Content-Language"] == "zh-hans"


def test_the_sitemap_lists_visible_products_and_categories_only(client):
    category = CategoryFactory(slug="fruit")
    ProductFactory(slug="apple", category=category)
    ProductFactory(slug="draft", is_published=False)

    index = client.get("/sitemap.xml").content.decode()
    products = client.get("/sitemap-products.xml").content.decode()
    categories = client.get("/sitemap-categories.xml").content.decode()

    assert "sitemap-products.xml" in index
    assert "/p/apple/" in products and "/p/draft/" not in products
    assert "/c/fruit/" in categories


def test_robots_txt_keeps_crawlers_out_of_admin_and_points_to_the_sitemap(client):
    text = client.get("/robots.txt").content.decode()

    assert "Disallow: /admin/" in text
    assert "Sitemap: http://testserver/sitemap.xml" in text


def test_a_missing_page_is_a_404_in_the_site_look(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert "site-header" in response.content.decode()


def test_the_500_page_renders_without_the_database(rf):
    from shop.views import server_error

    response = server_error(rf.get("/"))

    assert response.status_code == 500
    assert "<html" in response.content.decode()


def test_money_is_shown_in_yuan_with_two_decimals_on_listings(client):
    from decimal import Decimal

    ProductFactory(name="大西瓜", price=Decimal("1234.5"))

    assert "¥1,234.50" in client.get("/").content.decode()


def test_switching_language_returns_to_the_page_the_link_was_on(client):
    response = client.get("/lang/en/", HTTP_REFERER="http://testserver/categories/?x=1")

    assert response["Location"] == "http://testserver/categories/?x=1"


def test_the_language_switch_ignores_a_referer_from_another_site(client):
    assert client.get("/lang/en/", HTTP_REFERER="https://evil.example.com/")["Location"] == "/"
