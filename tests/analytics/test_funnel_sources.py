"""The funnel's paid step per traffic source: checkout keeps the visit's source on the order, the funnel counts it."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings

from analytics.models import DailyFunnel
from analytics.services.facts import shop_today
from analytics.services.traffic import ALL_SOURCES, record_paid_orders
from orders.models import Order
from shop.traffic_source import SOURCE_COOKIE
from stores.models import Stock
from tests.analytics.orders_for_facts import at, make_order, member, products
from tests.factories import StoreFactory, stocked_variant
from tests.orders.browser_form import browser_form_data

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"


@pytest.fixture
def variant(warehouse, store):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"), name="有机草莓")
    Stock.objects.create(store=store, variant=variant, on_hand=2)
    return variant


def place_delivery_order(client, variant):
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1}, HTTP_USER_AGENT=BROWSER)
    html = client.get("/checkout/", HTTP_USER_AGENT=BROWSER).content.decode()
    response = client.post("/checkout/", browser_form_data(html, "checkout-form", place="1"),
                           HTTP_USER_AGENT=BROWSER)
    assert response.status_code == 302, response.content.decode()[:500]


def test_an_order_placed_after_landing_from_a_campaign_keeps_the_campaigns_source(
    client, shopper, variant, address, express
):
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.get("/?utm_source=WeChat Moments", HTTP_USER_AGENT=BROWSER)  # the landing page sets the cookie
    assert client.cookies[SOURCE_COOKIE].value == "wechat-moments"

    place_delivery_order(client, variant)

    assert Order.objects.get(user=shopper).source == "wechat-moments"


def test_a_direct_visit_places_an_order_without_a_source_and_a_forged_cookie_is_cleaned(
    client, shopper, variant, address, express
):
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    place_delivery_order(client, variant)
    assert Order.objects.get(user=shopper).source == ""

    client.cookies[SOURCE_COOKIE] = "<script>" + "x" * 300
    place_delivery_order(client, variant)
    newest = Order.objects.filter(user=shopper).latest("pk")
    assert newest.source == ("-script-" + "x" * 300)[:100]


def test_paid_orders_are_counted_per_source_and_counter_sales_only_in_no_source():
    day = shop_today()
    [goods] = products(1)
    store = StoreFactory()
    for name in ("a", "b"):
        Order.objects.filter(pk=make_order(user=member(name), store=store, variants=[goods], paid_at=at(day, 0, 10)).pk) \
            .update(source="weibo")
    make_order(user=member("direct"), store=store, variants=[goods], paid_at=at(day, 0, 20))
    make_order(user=member("till"), store=store, variants=[goods], paid_at=at(day, 0, 30), channel="counter")
    make_order(user=member("unpaid"), store=store, variants=[goods], status=Order.Status.PENDING_PAYMENT)

    record_paid_orders(day=day)
    record_paid_orders(day=day)  # twice: the same figures

    paid = dict(DailyFunnel.objects.filter(day=day).values_list("source", "paid"))
    assert paid == {"weibo": 2, "": 1, ALL_SOURCES: 3}


def test_a_source_whose_order_turns_out_to_belong_to_another_day_goes_back_to_zero():
    day = shop_today()
    [goods] = products(1)
    order = make_order(user=member("moved"), store=StoreFactory(), variants=[goods], paid_at=at(day, 0, 10))
    Order.objects.filter(pk=order.pk).update(source="douyin")
    record_paid_orders(day=day)
    assert DailyFunnel.objects.get(day=day, source="douyin").paid == 1

    Order.objects.filter(pk=order.pk).update(paid_at=at(day - timedelta(days=1), 23, 0))  # paid the day before
    record_paid_orders(day=day)

    assert DailyFunnel.objects.get(day=day, source="douyin").paid == 0
    assert DailyFunnel.objects.get(day=day, source=ALL_SOURCES).paid == 0


def test_head_office_reads_the_funnel_per_source_and_a_store_manager_cannot_open_it(client):
    from django.urls import reverse

    from analytics.services.traffic import Hit, flush_traffic, record_hit
    from tests.analytics.facts_data import head_office, manager_of

    day = shop_today()
    for n in range(4):
        record_hit(Hit(day=day, page_type="product", source="weibo", visitor=f"w{n}"))
    record_hit(Hit(day=day, page_type="product", source="", visitor="d0"))
    [goods] = products(1)
    store = StoreFactory()
    order = make_order(user=member("buyer"), store=store, variants=[goods], paid_at=at(day, 0, 10))
    Order.objects.filter(pk=order.pk).update(source="weibo")
    flush_traffic()

    client.force_login(head_office())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("analytics:report", args=["traffic"]),
                          {"start": day.isoformat(), "end": day.isoformat()})
    funnel, pages = response.context["tables"]
    assert funnel.rows[0][:5] == ["weibo", 4, 0, 0, 1] and funnel.rows[0][5] == Decimal("25.0")
    assert funnel.rows[-1][0] == "All sources" and funnel.rows[-1][1] == 5 and funnel.rows[-1][4] == 1
    assert ["product", 5, 5] in pages.rows

    client.force_login(manager_of(store))
    assert client.get(reverse("analytics:report", args=["traffic"])).status_code == 404
    listed = client.get(reverse("analytics:reports")).context["reports"]
    assert "traffic" not in [key for key, _title in listed]
