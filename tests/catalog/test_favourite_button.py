"""The product page's 收藏 button shows a member's saved state, for one query, and keeps guest pages cached."""

import pytest
from django.conf import settings
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from members.models import Favourite
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

PROVIDER = "members.selectors.product_favourite_context"


@pytest.fixture
def product():
    return ProductFactory(slug="longjing", name="西湖龙井")


@pytest.fixture
def member(client, shopper):
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def page(client, url="/p/longjing/") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_a_member_sees_a_saved_product_as_saved_with_a_button_that_removes_it(member, shopper, product):
    Favourite.objects.create(user=shopper, product=product)

    html = page(member)

    assert 'class="favourite is-saved"' in html and 'aria-pressed="true"' in html and "Saved" in html


def test_a_member_sees_an_unsaved_product_with_the_empty_heart(member, product):
    html = page(member)

    assert 'class="favourite"' in html and 'aria-pressed="false"' in html and "♡" in html


def test_the_saved_state_costs_a_member_one_query(member, product):
    page(member)  # per-process tables loaded once, as in a running process
    with CaptureQueriesContext(connection) as with_state:
        page(member)
    providers = [path for path in settings.CATALOG_PRODUCT_CONTEXT_PROVIDERS if path != PROVIDER]
    with override_settings(CATALOG_PRODUCT_CONTEXT_PROVIDERS=providers), CaptureQueriesContext(connection) as without:
        page(member)

    assert len(with_state) - len(without) == 1
    assert sum("members_favourite" in query["sql"] for query in with_state.captured_queries) == 1


def test_a_guest_page_asks_nothing_about_favourites_and_is_still_served_from_the_cache(client, product):
    with CaptureQueriesContext(connection) as cold:
        html = page(client)
    with CaptureQueriesContext(connection) as warm:
        page(client)

    assert not any("members_favourite" in query["sql"] for query in cold.captured_queries)
    assert len(warm) == 0
    assert reverse("account_login") + "?next=/p/longjing/" in html  # 收藏 for a guest: log in and come back


def test_without_javascript_the_button_posts_and_comes_back_to_the_product(member, shopper, product):
    response = member.post(reverse("members:favourite-toggle", args=[product.pk]), {"next": "/p/longjing/?sku=X"})

    assert response.status_code == 302 and response["Location"] == "/p/longjing/?sku=X"
    assert Favourite.objects.filter(user=shopper, product=product).exists()
    assert 'aria-pressed="true"' in page(member)


def test_with_javascript_the_answer_is_the_new_button_and_toggling_again_removes_it(member, shopper, product):
    url = reverse("members:favourite-toggle", args=[product.pk])

    saved = member.post(url, {"next": "/p/longjing/"}, HTTP_X_REQUESTED_WITH="fetch")
    removed = member.post(url, {"next": "/p/longjing/"}, HTTP_X_REQUESTED_WITH="fetch")

    assert saved.status_code == 200 and 'aria-pressed="true"' in saved.content.decode()
    assert "<html" not in saved.content.decode()  # a fragment, not a page
    assert removed.status_code == 200 and 'aria-pressed="false"' in removed.content.decode()
    assert not Favourite.objects.exists()


def test_a_next_to_another_site_falls_back_to_the_product(member, product):
    response = member.post(reverse("members:favourite-toggle", args=[product.pk]), {"next": "https://evil.example/"})

    assert response["Location"] == product.get_absolute_url()
