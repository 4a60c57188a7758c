"""Storefront pages of flash sales and group buys, through HTTP as a shopper posts them."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone, translation

from marketing.models import FlashSale, Group, GroupBuy
from orders.models import Order
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant
from tests.orders.browser_form import browser_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Pages and messages are matched in English; the shop speaks Chinese by default.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def tea(warehouse):
    ShippingMethodFactory(code="express")
    return stocked_variant(store=warehouse, on_hand=20, price=Decimal("99.00"))


def shopper_client(client, name):
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x")
    AddressFactory(user=user, is_default=True)
    client.force_login(user)
    return user


def place_through_checkout(client):
    page = client.get("/checkout/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    return client.post("/checkout/", browser_form_data(page.content.decode(), "checkout-form", place="1"))


def test_the_product_page_shows_the_flash_price_units_left_and_the_time_left(client, tea):
    now = timezone.now()
    FlashSale.objects.create(name="午间秒杀", variant=tea, flash_price=Decimal("9.90"), quota=100, taken=40,
                             per_member_limit=2, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2))

    page = client.get(tea.product.get_absolute_url()).content.decode()

    assert "午间秒杀" in page
    assert "60 left at this price" in page
    assert "data-countdown" in page and "01:59:" in page
    assert "js/marketing/countdown.js" in page


def test_a_sold_out_flash_sale_says_all_gone(client, tea):
    now = timezone.now()
    FlashSale.objects.create(name="秒杀", variant=tea, flash_price=Decimal("9.90"), quota=5, taken=5,
                             starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2))

    page = client.get(tea.product.get_absolute_url()).content.decode()

    assert "All gone" in page


def test_starting_a_group_from_the_product_page_then_a_friend_joins_by_the_share_link(client, tea):
    now = timezone.now()
    campaign = GroupBuy.objects.create(name="两人团", variant=tea, group_price=Decimal("59.00"), group_size=2,
                                       starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    shopper_client(client, "leader")
    assert "Start a group" in client.get(tea.product.get_absolute_url()).content.decode()

    started = client.post(f"/group-buys/{campaign.pk}/start/")
    assert started.status_code == 302 and started["Location"] == "/checkout/"
    placed = place_through_checkout(client)

    leader_order = Order.objects.get()
    assert placed.status_code == 302
    assert leader_order.is_waiting_for_group and leader_order.lines.get().unit_price == Decimal("59.00")
    share = client.get(f"/groups/{leader_order.group_code}/").content.decode()
    assert "1 place left" in share and f"/groups/{leader_order.group_code}/" in share

    client.logout()
    shopper_client(client, "friend")
    joined = client.post(f"/groups/{leader_order.group_code}/join/")
    assert joined["Location"] == "/checkout/"
    place_through_checkout(client)

    group = Group.objects.get()
    assert group.joined == 2
    assert Order.objects.filter(group_code=group.code).count() == 2


def test_an_unknown_or_garbled_share_link_is_a_404_not_a_500(client):
    assert client.get("/groups/NOSUCH22/").status_code == 404
    assert client.get("/groups/%00%00/").status_code == 404
    assert client.get("/groups/" + "A" * 500 + "/").status_code == 404


def test_joining_a_full_group_says_so_and_makes_no_order(client, tea):
    now = timezone.now()
    campaign = GroupBuy.objects.create(name="两人团", variant=tea, group_price=Decimal("59.00"), group_size=2,
                                       starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    leader = get_user_model().objects.create_user(username="leader")
    group = Group.objects.create(campaign=campaign, code="FULL2345", leader=leader, size=2, joined=2,
                                 deadline=now + timedelta(hours=3))
    shopper_client(client, "late")

    response = client.post(f"/groups/{group.code}/join/", follow=True)

    assert "This group is full" in response.content.decode()
    assert not Order.objects.exists()


def test_starting_a_group_needs_a_login(client, tea):
    now = timezone.now()
    campaign = GroupBuy.objects.create(name="两人团", variant=tea, group_price=Decimal("59.00"), group_size=2,
                                       starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))

    response = client.post(f"/group-buys/{campaign.pk}/start/")

    assert response.status_code == 302 and "login" in response["Location"]


def test_listing_cards_show_the_flash_badge_without_a_query_per_card(client, tea, warehouse):
    from django.db import connection
    from django.template.loader import render_to_string
    from django.test.utils import CaptureQueriesContext

    plain = stocked_variant(store=warehouse, on_hand=5, price=Decimal("20.00"))
    now = timezone.now()
    FlashSale.objects.create(name="秒杀", variant=tea, flash_price=Decimal("9.90"), quota=5,
                             starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=2))
    flash_product, plain_product = tea.product, plain.product
    render_to_string("catalog/_product_card.html", {"product": plain_product})  # the per-process tables load once

    with CaptureQueriesContext(connection) as with_flash:
        html = render_to_string("catalog/_product_card.html", {"product": flash_product})
    with CaptureQueriesContext(connection) as without:
        render_to_string("catalog/_product_card.html", {"product": plain_product})

    assert "Flash sale" in html and "9.90" in html
    assert len(with_flash) == len(without)
