"""The counter pages through HTTP, as a clerk's browser posts them without JavaScript."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from members import services as member_services
from orders.attribution import COOKIE, guide_code_for
from orders.models import Order
from stores.models import Stock, StoreStaff
from tests.factories import StoreFactory, stocked_variant
from tests.orders.browser_form import browser_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店", priority=10)


@pytest.fixture
def clerk(shop_store):
    user = get_user_model().objects.create_user(username="clerk", password="x", is_staff=True)
    StoreStaff.objects.create(store=shop_store, user=user, role=StoreStaff.Role.CLERK)
    return user


def till_url(store, name="till", **kwargs):
    return reverse(f"counter:{name}", kwargs={"store_id": store.pk, **kwargs})


def test_a_clerk_scans_finds_a_member_takes_cash_and_gets_the_receipt(client, shop_store, clerk, shopper):
    variant = stocked_variant(store=shop_store, on_hand=2, price=Decimal("40.00"))
    member = member_services.ensure_member(user=shopper)
    member.phone = "13800138000"
    member.save(update_fields=["phone"])
    client.force_login(clerk)

    assert client.get(reverse("counter:home")).url == till_url(shop_store)
    client.post(till_url(shop_store, "scan"), {"q": variant.sku})
    client.post(till_url(shop_store, "scan"), {"q": variant.sku})
    client.post(till_url(shop_store, "member"), {"member": "13800138000"})
    page = client.get(till_url(shop_store))
    assert page.context["priced"].total == Decimal("80.00")

    data = browser_form_data(page.content.decode(), "pay-form", cash_given="100.00")
    assert data["tender"] == "cash" and data["expected_total"] == "80.00"
    response = client.post(till_url(shop_store, "pay"), data)
    again = client.post(till_url(shop_store, "pay"), data)

    order = Order.objects.get()
    assert response.url == again.url == till_url(shop_store, "receipt", number=order.number)
    assert order.user == shopper and order.sales_staff == clerk and order.channel == Order.Channel.COUNTER
    receipt = client.get(response.url)
    assert receipt.status_code == 200
    assert "20.00" in receipt.content.decode()  # the change given
    assert Stock.objects.get(store=shop_store, variant=variant).on_hand == 0


def test_a_name_search_lists_items_and_an_unknown_member_is_a_message_not_a_500(client, shop_store, clerk):
    from django.conf import settings

    variant = stocked_variant(store=shop_store, on_hand=2, price=Decimal("40.00"), name="有机豆浆")
    client.force_login(clerk)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(till_url(shop_store, "scan"), {"q": "豆浆"})
    page = client.get(response.url)
    assert [v.pk for v in page.context["results"]] == [variant.pk]
    response = client.post(till_url(shop_store, "member"), {"member": "19999999999"}, follow=True)
    assert "No member has that phone number" in response.content.decode()
    bad = client.post(till_url(shop_store, "pay"), {"token": "x", "expected_total": "abc", "tender": "gold"})
    assert bad.status_code == 302 and not Order.objects.exists()


def test_a_shopper_and_another_stores_clerk_cannot_open_the_till(client, shop_store, shopper):
    other_clerk = get_user_model().objects.create_user(username="other", is_staff=True)
    StoreStaff.objects.create(store=StoreFactory(code="jingan", name="静安店"), user=other_clerk)

    client.force_login(shopper)
    assert client.get(till_url(shop_store)).status_code == 403
    client.force_login(other_clerk)
    assert client.get(till_url(shop_store)).status_code == 404
    assert client.post(till_url(shop_store, "scan"), {"q": "x"}).status_code == 404


def test_an_online_order_through_a_staff_share_link_records_that_staff_member(client, warehouse, clerk, shopper,
                                                                             address, express):
    variant = stocked_variant(store=warehouse, on_hand=2, price=Decimal("40.00"))
    client.get("/?guide=" + guide_code_for(clerk))
    assert COOKIE in client.cookies
    client.force_login(shopper)  # the share link is remembered across logging in
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    html = client.get("/checkout/").content.decode()

    response = client.post("/checkout/", browser_form_data(html, "checkout-form", place="1"))

    assert response.status_code == 302
    assert Order.objects.get(user=shopper).sales_staff == clerk


def test_a_forged_or_a_shoppers_guide_code_credits_nobody(client, shopper):
    client.get("/?guide=G1-AAAAAAAAAA")
    client.get("/?guide=" + guide_code_for(shopper))
    assert COOKIE not in client.cookies


def test_counter_sales_share_the_admin_order_list_and_filter_by_channel(client, shop_store, clerk):
    from orders.services.counter import Basket, Tendered, ring_up_sale

    variant = stocked_variant(store=shop_store, on_hand=2, price=Decimal("40.00"))
    sale = ring_up_sale(basket=Basket(store_id=shop_store.pk, lines={variant.pk: 1}), clerk=clerk,
                        tendered=Tendered("card"), expected_total=None)
    head_office = get_user_model().objects.create_superuser(username="hq", email="hq@example.com", password="x")
    client.force_login(head_office)

    counter = client.get("/admin/orders/order/?channel=counter")
    online = client.get("/admin/orders/order/?channel=online")

    assert counter.status_code == 200 and sale.number in counter.content.decode()
    assert sale.number not in online.content.decode()
