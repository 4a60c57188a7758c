"""Checkout through HTTP with the form exactly as the browser posts it (issue 7, section 6)."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext

from members import services as member_services
from members.models import Tier
from orders.models import Order
from stores.models import Stock
from tests.factories import stocked_variant
from tests.orders.browser_form import browser_form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(warehouse, store):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"), name="有机草莓")
    Stock.objects.create(store=store, variant=variant, on_hand=2)
    return variant


@pytest.fixture
def browser(client, shopper):
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def open_checkout(browser, variant, quantity=1):
    browser.post("/cart/add/", {"variant": variant.pk, "quantity": quantity})
    page = browser.get("/checkout/")
    assert page.status_code == 200
    return page.content.decode()


def test_a_delivery_checkout_has_no_pickup_store_chosen_and_goes_through_when_stores_sell_out_meanwhile(
    browser, shopper, variant, store, address, express
):
    html = open_checkout(browser, variant)
    data = browser_form_data(html, "checkout-form", place="1")
    # Under delivery no store is chosen for the shopper (issue 13); the store is still offered for pick-up.
    assert "pickup_store" not in data and data["fulfilment"] == "delivery"
    assert f'name="pickup_store" value="{store.pk}"' in html
    Stock.objects.filter(store=store, variant=variant).update(on_hand=0)

    response = browser.post("/checkout/", data)

    order = Order.objects.get(user=shopper)
    assert response.status_code == 302 and response["Location"].endswith(f"/orders/{order.number}/pay/")
    assert order.fulfilment == Order.Fulfilment.DELIVERY


def test_a_pickup_checkout_ignores_a_delivery_address_that_is_not_the_shoppers(
    browser, shopper, variant, store, address, express, django_user_model
):
    html = open_checkout(browser, variant)
    # The shopper switches to pick-up and updates the total (no shipping), then places the order.
    shown = browser.post("/checkout/", browser_form_data(
        html, "checkout-form", fulfilment="pickup", contact_name="李四", contact_phone="13900139000", update="1"
    ))
    data = browser_form_data(shown.content.decode(), "checkout-form", place="1")
    assert data["expected_total"] == "25.00"
    data["address"] = "999999"  # stale or tampered, and irrelevant to a pick-up

    response = browser.post("/checkout/", data)

    assert response.status_code == 302, (response.context["form"].errors, [str(m) for m in response.context["messages"]])
    assert Order.objects.get(user=shopper).store == store


def test_resubmitting_a_checkout_that_made_its_order_leads_to_that_order_after_the_cart_was_emptied(
    browser, shopper, variant, address, express
):
    data = browser_form_data(open_checkout(browser, variant), "checkout-form", place="1")
    first = browser.post("/checkout/", data)

    again = browser.post("/checkout/", data)

    order = Order.objects.get(user=shopper)
    assert first["Location"] == again["Location"] == f"/orders/{order.number}/pay/"


def test_a_refused_checkout_always_says_why(browser, shopper, variant, address, express):
    data = browser_form_data(open_checkout(browser, variant), "checkout-form", place="1")
    Stock.objects.filter(variant=variant).update(on_hand=0)

    response = browser.post("/checkout/", data)

    assert response.status_code == 200 and not Order.objects.exists()
    assert any("Not enough stock" in str(m) for m in response.context["messages"])


def test_the_page_carries_the_amount_due_and_a_change_in_the_wallet_part_is_shown_before_paying(
    browser, shopper, variant, address, express
):
    member_services.ensure_member(user=shopper)
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("5.00"), reason="测试", by=None)
    browser.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    first = browser.get("/checkout/").content.decode()
    # The shopper ticks "pay from stored value" and updates the total: ¥33 total, ¥28 still to pay.
    shown = browser.post("/checkout/", browser_form_data(first, "checkout-form", use_wallet="on", update="1"))
    data = browser_form_data(shown.content.decode(), "checkout-form", place="1")
    assert (data["expected_total"], data["expected_amount_due"]) == ("33.00", "28.00")
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("100.00"), reason="测试", by=None)

    response = browser.post("/checkout/", data)

    assert response.status_code == 200 and not Order.objects.exists()
    assert response.context["expected_amount_due"] == Decimal("0.00")
    assert any("¥0.00" in str(m) and "¥28.00" in str(m) for m in response.context["messages"])


@pytest.fixture
def gold(shopper):
    member = member_services.ensure_member(user=shopper)
    member.tier = Tier.objects.create(name="金卡", code="gold", rank=3, discount_percent=Decimal("10"))
    member.save()
    return member


def test_cart_checkout_order_page_and_email_show_each_lines_share_in_the_readers_language(
    browser, shopper, gold, warehouse, address, express, mailoutbox
):
    from orders.models import OutboxMessage
    from orders.services.notifications import send_outbox_message

    tea = stocked_variant(store=warehouse, price=Decimal("100.00"), name="龙井")
    browser.post("/cart/add/", {"variant": tea.pk, "quantity": 2})

    cart = browser.get("/cart/").content.decode()
    html = browser.get("/checkout/").content.decode()
    browser.post("/checkout/", browser_form_data(html, "checkout-form", place="1"))
    order = Order.objects.get(user=shopper)
    page = browser.get(order.get_absolute_url()).content.decode()
    send_outbox_message(message_id=OutboxMessage.objects.get(order=order, kind="order_placed").pk)

    for text in (cart, html, page, mailoutbox[-1].body):
        assert "金卡 member discount 10%" in text
        assert "-¥20.00" in text and "¥180.00" in text and "Paid for this item" in text


def test_the_order_page_makes_as_many_queries_for_five_lines_as_for_one(
    browser, shopper, gold, warehouse, address, express
):
    def order_page_queries(lines):
        for variant in lines:
            browser.post("/cart/add/", {"variant": variant.pk, "quantity": 2})
        html = browser.get("/checkout/").content.decode()
        browser.post("/checkout/", browser_form_data(html, "checkout-form", place="1"))
        order = Order.objects.filter(user=shopper).first()
        with CaptureQueriesContext(connection) as queries:
            assert browser.get(order.get_absolute_url()).status_code == 200
        return len(queries)

    one = order_page_queries([stocked_variant(store=warehouse)])
    five = order_page_queries([stocked_variant(store=warehouse) for _ in range(5)])

    assert five == one


@pytest.mark.parametrize("path", ["/cart/", "/checkout/"])
def test_the_cart_and_checkout_pages_make_as_many_queries_for_five_lines_as_for_one(
    browser, shopper, gold, warehouse, address, express, path
):
    def page_queries(count):
        for variant in [stocked_variant(store=warehouse) for _ in range(count)]:
            browser.post("/cart/add/", {"variant": variant.pk, "quantity": 3})
        with CaptureQueriesContext(connection) as queries:
            assert b"member discount" in browser.get(path).content
        return len(queries)

    from marketing.live_promotions import promotion_table

    promotion_table()  # the process's live-promotions table loads once per change of promotions, not per line
    from marketing.live_flash import flash_table

    flash_table()  # so does the flash-sale and group-buy table
    one = page_queries(1)
    five = page_queries(4)  # added to the first: five lines

    assert five == one


def test_a_lines_explanation_lists_its_share_of_each_adjustment_in_the_readers_language(shopper, gold, warehouse, address, express):
    from django.utils import translation

    from orders.selectors import line_explanation, order_for_member
    from tests.orders.conftest import buy, delivery_choice

    order = buy(shopper, [(stocked_variant(store=warehouse, price=Decimal("100.00")), 1)], delivery_choice(address, express))
    (line,) = order_for_member(shopper, order.number).lines.all()

    with translation.override("en"):
        assert line_explanation(line) == [("金卡 member discount 10%", Decimal("-10.00"))]
