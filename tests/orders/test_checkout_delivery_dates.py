"""Expected arrival dates on each shipping option at checkout, counted in the shop's time zone."""

from datetime import date, datetime, timezone as dt_timezone
from decimal import Decimal

import pytest
from django.conf import settings

from orders.admin import ShippingMethodAdminForm
from orders.models import ShippingMethod
from orders.services.delivery_dates import arrival_window, arrival_window_for
from tests.factories import ShippingMethodFactory, stocked_variant
from tests.orders.browser_form import browser_form_data

pytestmark = pytest.mark.django_db

# 1 December 2026, 17:30 UTC = 2 December, 01:30 in Shanghai.
LATE_EVENING_UTC = datetime(2026, 12, 1, 17, 30, tzinfo=dt_timezone.utc)


def test_delivery_days_are_counted_from_today_in_the_shops_time_zone_not_utc():
    window = arrival_window(days_min=1, days_max=3, now=LATE_EVENING_UTC)

    assert window.today == date(2026, 12, 2)
    assert (window.first_on, window.last_on) == (date(2026, 12, 3), date(2026, 12, 5))
    assert not window.is_one_day


def test_a_method_that_always_takes_the_same_time_has_one_arrival_day():
    window = arrival_window(days_min=2, days_max=2, now=LATE_EVENING_UTC)

    assert window.is_one_day and window.first_on == date(2026, 12, 4)
    assert not window.is_today and not window.is_tomorrow


def test_same_day_and_next_day_delivery_are_told_apart():
    assert arrival_window(days_min=0, days_max=0, now=LATE_EVENING_UTC).is_today
    assert arrival_window(days_min=1, days_max=1, now=LATE_EVENING_UTC).is_tomorrow


def test_a_range_the_database_would_refuse_is_an_error_not_a_wrong_date():
    with pytest.raises(ValueError):
        arrival_window(days_min=4, days_max=2)


def test_the_window_of_a_shipping_method_uses_its_own_days():
    method = ShippingMethodFactory(code="slow", delivery_days_min=3, delivery_days_max=6)

    window = arrival_window_for(method, now=LATE_EVENING_UTC)

    assert (window.first_on, window.last_on) == (date(2026, 12, 5), date(2026, 12, 8))


@pytest.fixture
def late_evening(monkeypatch):
    """The checkout page asks the time of day at 01:30 Shanghai time (still the evening before in UTC)."""
    from types import SimpleNamespace

    from django.utils import timezone

    clock = SimpleNamespace(now=lambda: LATE_EVENING_UTC, localdate=timezone.localdate)
    monkeypatch.setattr("orders.services.delivery_dates.timezone", clock)


@pytest.fixture
def browser(client, shopper):
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_every_shipping_option_at_checkout_shows_its_arrival_dates(browser, warehouse, address, express, late_evening):
    ShippingMethod.objects.filter(pk=express.pk).update(delivery_days_min=2, delivery_days_max=4)
    ShippingMethodFactory(name="同城次日达", code="next", base_fee=Decimal("12.00"), delivery_days_min=1, delivery_days_max=1)
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"))
    browser.post("/cart/add/", {"variant": variant.pk, "quantity": 1})

    html = browser.get("/checkout/").content.decode()

    assert "Arrives Dec 4–Dec 6" in html
    assert "Arrives tomorrow" in html


def test_the_live_repriced_checkout_shows_the_dates_too(browser, warehouse, address, express, late_evening):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"))
    browser.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    html = browser.get("/checkout/").content.decode()

    data = browser_form_data(html, "checkout-form", update="1")
    repriced = browser.post("/checkout/", data, HTTP_X_REQUESTED_WITH="fetch")

    assert repriced.status_code == 200
    assert "Arrives Dec 3–Dec 5" in repriced.content.decode()  # the factory's 1–3 days


def form_data(**days):
    return {
        "name": "全国快递", "code": "express-x", "base_fee": "8.00", "included_weight_grams": "1000",
        "fee_per_extra_kg": "2.00", "free_over": "", "provinces": "", "is_active": "on", "position": "0", **days,
    }


def test_the_admin_refuses_a_longest_delivery_shorter_than_the_shortest_on_the_field():
    form = ShippingMethodAdminForm(data=form_data(delivery_days_min="5", delivery_days_max="2"))

    assert not form.is_valid()
    assert list(form.errors) == ["delivery_days_max"]
    assert not ShippingMethod.objects.filter(code="express-x").exists()


def test_the_admin_saves_an_ordered_range(admin_client):
    response = admin_client.post(
        "/admin/orders/shippingmethod/add/", form_data(delivery_days_min="2", delivery_days_max="4")
    )

    assert response.status_code == 302
    method = ShippingMethod.objects.get(code="express-x")
    assert (method.delivery_days_min, method.delivery_days_max) == (2, 4)


def test_the_admin_page_answers_a_bad_range_with_a_form_error_not_a_500(admin_client):
    response = admin_client.post(
        "/admin/orders/shippingmethod/add/", form_data(delivery_days_min="5", delivery_days_max="2")
    )

    assert response.status_code == 200
    assert "delivery_days_max" in response.context["adminform"].form.errors
    assert not ShippingMethod.objects.filter(code="express-x").exists()
