"""当前门店: a shopper chooses a store on the store list; the product page then says whether it has the item today."""

import pytest
from django.urls import reverse

from stores.storefront import SESSION_KEY
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(db):
    return StoreFactory(code="xuhui", name="徐汇店", address="漕溪北路 1 号", opening_hours="10:00–22:00"), \
        StoreFactory(code="jingan", name="静安店", address="南京西路 2 号")


def test_the_store_list_shows_addresses_hours_and_a_map_link(client, stores):
    page = client.get(reverse("stores:store-list")).content.decode()

    assert "徐汇店" in page and "漕溪北路 1 号" in page and "10:00–22:00" in page
    assert "uri.amap.com" in page


def test_a_guest_chooses_a_store_in_a_cookie_and_a_member_also_in_the_session(client, stores, shopper):
    response = client.post(reverse("stores:store-select"), {"store": "xuhui", "next": "/stores/"})
    assert response.status_code == 302 and response.cookies["store"].value == "xuhui"

    client.force_login(shopper)
    client.post(reverse("stores:store-select"), {"store": "jingan"})
    assert client.session[SESSION_KEY] == "jingan"


def test_an_unknown_store_is_404_and_sets_nothing(client, stores):
    response = client.post(reverse("stores:store-select"), {"store": "nowhere"})

    assert response.status_code == 404 and "store" not in response.cookies


def test_the_product_page_says_whether_the_chosen_store_has_it_for_pick_up_today(client, stores):
    xuhui, jingan = stores
    variant = stocked_variant(store=xuhui, on_hand=3)
    url = variant.product.get_absolute_url()
    assert reverse("stores:store-list") in client.get(url).content.decode()

    client.post(reverse("stores:store-select"), {"store": "xuhui"})
    assert "selected_store_available" not in client.get(url).content.decode()
    response = client.get(url)
    assert response.context["selected_store"] == xuhui and response.context["selected_store_available"] == 3

    client.post(reverse("stores:store-select"), {"store": "jingan"})
    response = client.get(url)
    assert response.context["selected_store"] == jingan and response.context["selected_store_available"] == 0
