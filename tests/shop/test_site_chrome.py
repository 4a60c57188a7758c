"""The header and the bottom tab bar on every storefront page (shop/templatetags/site_chrome.py)."""

import re

import pytest

from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.factories import CategoryFactory, stocked_variant

pytestmark = pytest.mark.django_db


def tab_bar(page: str) -> str:
    return re.search(r'<nav class="tab-bar".*?</nav>', page, re.S).group(0)


def header(page: str) -> str:
    return re.search(r'<header class="site-header">.*?</header>', page, re.S).group(0)


def current_tabs(page: str) -> list[str]:
    """The labels of the tabs marked as the current page."""
    return re.findall(r'aria-current="page">(?:<svg.*?</svg>)?([^<]+)', tab_bar(page))


@pytest.mark.parametrize(
    ("url", "tab"),
    [("/", "首页"), ("/categories/", "分类"), ("/c/fruit/", "分类"), ("/search/?q=苹果", "搜索"), ("/cart/", "购物车")],
)
def test_the_tab_of_the_page_is_marked_current_and_no_other(client, url, tab):
    CategoryFactory(slug="fruit", name="水果")

    page = client.get(url).content.decode()

    assert current_tabs(page) == [tab]


def test_a_guests_log_in_link_comes_back_to_the_page_and_its_address_is_escaped(client):
    CategoryFactory(slug="fruit", name="水果")

    bar = header(client.get("/c/fruit/", {"sort": "price", "x": '"><script>'}).content.decode())

    assert 'href="/accounts/login/?next=/c/fruit/%3Fsort%3Dprice%26x%3D%2522%253E%253Cscript%253E"' in bar
    assert "<script>" not in bar


def test_on_the_log_in_page_itself_the_log_in_link_does_not_come_back_to_it(client):
    bar = header(client.get("/accounts/login/").content.decode())

    assert 'href="/accounts/login/">' in bar


def test_a_guests_me_tab_logs_in_and_comes_back_to_the_member_centre(client):
    bar = tab_bar(client.get("/").content.decode())

    assert 'href="/accounts/login/?next=/account/"' in bar


def test_the_search_words_stay_in_the_search_box_escaped(client):
    bar = header(client.get("/search/", {"q": '苹果 "<b>'}).content.decode())

    assert 'value="苹果 &quot;&lt;b&gt;"' in bar


def test_a_member_sees_their_account_link_and_the_cart_badge_in_both_bars(client, shopper, warehouse):
    add_to_cart(cart=MemberCart(shopper), variant_id=stocked_variant(store=warehouse).pk, quantity=3)
    client.force_login(shopper)

    page = client.get("/account/").content.decode()

    assert '<a href="/account/">我的账号</a>' in header(page)
    assert current_tabs(page) == ["我的"]
    assert '<span class="badge-count">3</span>' in header(page) and '<span class="badge-count">3</span>' in tab_bar(page)


def test_both_bars_speak_the_language_the_shopper_chose(client):
    client.cookies["django_language"] = "en"

    page = client.get("/").content.decode()

    assert ">Log in</a>" in header(page) and 'placeholder="Search products"' in header(page)
    assert current_tabs(page) == ["Home"] and ">Me</a>" in tab_bar(page)
