"""Issue 13 on the cart and checkout pages, through HTTP with the form as the browser posts it."""

from decimal import Decimal

import pytest
from django.conf import settings

from members import services as member_services
from members.models import MemberProfile
from orders.models import CartLine, Order
from stores.models import Stock
from tests.factories import ShippingMethodFactory, stocked_variant
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
    return browser.get("/checkout/").content.decode()


def test_each_shipping_option_shows_its_price_and_no_store_is_chosen_under_delivery(browser, variant, store, address, express):
    ShippingMethodFactory(name="同城闪送", code="flash", base_fee=Decimal("15.00"))

    html = open_checkout(browser, variant)

    assert "¥8.00" in html and "¥15.00" in html
    assert "pickup_store" not in browser_form_data(html, "checkout-form")
    assert 'class="checkout-bar"' in html


def test_the_pickup_contact_is_filled_in_from_the_member(browser, shopper, variant, store, address, express):
    MemberProfile.objects.filter(user=shopper).update(phone="13800138000")
    shopper.first_name, shopper.last_name = "三", "张"
    shopper.save()

    data = browser_form_data(open_checkout(browser, variant), "checkout-form")

    assert data["contact_phone"] == "13800138000" and data["contact_name"]


def test_switching_to_pickup_and_placing_at_once_shows_the_new_total_without_a_refusal(
    browser, shopper, variant, store, address, express
):
    html = open_checkout(browser, variant)
    data = browser_form_data(html, "checkout-form", fulfilment="pickup", pickup_store=str(store.pk),
                             contact_name="李四", contact_phone="13900139000", place="1")
    assert data["expected_total"] == "33.00"  # what the page showed: with ¥8 shipping

    shown = browser.post("/checkout/", data)

    assert shown.status_code == 200 and not Order.objects.exists()
    notes = [str(m) for m in shown.context["messages"]]
    assert not any("changed" in note and "from" in note for note in notes)  # no "总额已由…变为…"
    again = browser_form_data(shown.content.decode(), "checkout-form", place="1")
    assert again["expected_total"] == "25.00"

    placed = browser.post("/checkout/", again)

    order = Order.objects.get(user=shopper)
    assert placed.status_code == 302 and order.total == Decimal("25.00") and order.store == store


def test_a_price_change_on_unchanged_options_is_still_refused(browser, shopper, variant, store, address, express):
    data = browser_form_data(open_checkout(browser, variant), "checkout-form", place="1")
    variant.price = Decimal("30.00")
    variant.save()

    response = browser.post("/checkout/", data)

    assert response.status_code == 200 and not Order.objects.exists()


def test_the_cart_stepper_adds_and_removes_one(browser, shopper, variant):
    browser.post("/cart/add/", {"variant": variant.pk, "quantity": 2})

    browser.post("/cart/update/", {"variant": variant.pk, "quantity": "2", "step": "1"})
    assert CartLine.objects.get(cart__user=shopper).quantity == 3
    browser.post("/cart/update/", {"variant": variant.pk, "quantity": "3", "step": "-1"})
    assert CartLine.objects.get(cart__user=shopper).quantity == 2
    page = browser.get("/cart/").content.decode()
    assert 'class="line-total">¥50.00' in page


def test_a_bad_quantity_names_the_quantity_field(browser, variant):
    response = browser.post("/cart/add/", {"variant": variant.pk, "quantity": "0"}, follow=True)

    assert any(str(m).startswith("Quantity") for m in response.context["messages"])


def test_buy_now_goes_straight_to_checkout(browser, variant):
    response = browser.post("/cart/add/", {"variant": variant.pk, "quantity": "1", "buy_now": "1"})

    assert response.status_code == 302 and response["Location"].endswith("/checkout/")


def pickup_form(browser, variant, store, **changes):
    html = open_checkout(browser, variant, quantity=2)
    return browser_form_data(html, "checkout-form", fulfilment="pickup", pickup_store=str(store.pk),
                             contact_name="李四", **changes)


def test_a_malformed_pick_up_phone_is_named_once_not_also_as_missing(browser, shopper, variant, store, address, express):
    data = pickup_form(browser, variant, store, contact_phone="139", place="1")

    response = browser.post("/checkout/", data)

    assert response.status_code == 200 and not Order.objects.exists()
    assert len(response.context["form"].errors["contact_phone"]) == 1


def test_the_live_re_pricing_prices_the_points_while_the_phone_is_half_typed_and_does_not_scold_it(
    browser, shopper, variant, store, address, express
):
    member_services.ensure_member(user=shopper)
    member_services.staff_adjust_points(user_id=shopper.pk, change=500, reason="活动", by=None)
    data = pickup_form(browser, variant, store, contact_phone="139", points_to_use="500", update="1")

    live = browser.post("/checkout/", data, headers={"X-Requested-With": "fetch"})

    # ¥50 of goods picked up (no shipping), less ¥5 for the 500 points.
    assert live.context["priced"].points_used == 500 and live.context["priced"].amount_due == Decimal("45.00")
    assert "contact_phone" not in live.context["form"].errors
    assert 'class="error"' not in live.content.decode()

    # The page's own "Update total" button (no JavaScript) shows the mistake beside the same total.
    button = browser.post("/checkout/", data)
    assert button.context["priced"].amount_due == Decimal("45.00") and button.context["form"].errors["contact_phone"]

    # Placing still refuses the half-typed phone, and nothing is ordered.
    placed = browser.post("/checkout/", {**data, "place": "1"}, headers={"X-Requested-With": "fetch"})
    assert placed.status_code == 200 and placed.context["form"].errors["contact_phone"]
    assert not Order.objects.exists()
