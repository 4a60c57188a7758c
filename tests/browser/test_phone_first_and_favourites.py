"""Issue 13 at the door and on the product page, on a phone (390 px), each journey with JavaScript and
without: sign up with a mobile number (the code read off the test SMS outbox) and come back to the page
the shopper started from; log in with the number and the password; save a product as a favourite and
remove it (without a reload when JavaScript runs); see when each shipping option arrives at checkout.

Selectors go by field name, value and class, not by wording (translators change it).
"""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from playwright.sync_api import expect

from members import sms
from members.models import ConsentRecord, Favourite, MemberProfile
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.browser.conftest import PHONE
from tests.browser.steps import fits_the_screen
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant

pytestmark = pytest.mark.browser

NUMBER = "13900001111"
PASSWORD = "a-long-unusual-pass-42"
SHOTS = Path("/tmp/shots")


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(request, browser, live_server):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN",
        base_url=live_server.url, java_script_enabled=request.param,
    )
    page = context.new_page()
    page.js = request.param
    broken = []
    page.on("response", lambda r: broken.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    page.broken = broken
    yield page
    context.close()


@pytest.fixture
def text_outbox():
    sms.outbox.clear()
    with override_settings(SMS_BACKEND="members.sms.LocmemBackend"):
        yield sms.outbox
    sms.outbox.clear()


@pytest.fixture
def rice(warehouse):
    return stocked_variant(store=warehouse, on_hand=10, price=Decimal("10.00"), name="五常大米 1kg", slug="rice")


def mark_the_page(page):
    if page.js:
        page.evaluate("window.__sameDocument = true")


def still_the_same_page(page) -> bool:
    return not page.js or page.evaluate("window.__sameDocument === true")


def test_a_shopper_signs_up_with_a_mobile_number_and_comes_back_to_the_product(phone, rice, text_outbox):
    page = phone
    page.goto(rice.product.get_absolute_url())
    page.goto(f"/accounts/signup/?next={rice.product.get_absolute_url()}")
    form = page.locator('main form[action="/accounts/signup/"]')
    # The number comes first, on the phone keypad.
    first = form.locator("input:not([type=hidden])").first
    expect(first).to_have_attribute("name", "phone")
    expect(first).to_have_attribute("type", "tel")
    first.fill("139 0000 1111")
    form.locator('input[name="password1"]').fill(PASSWORD)
    form.locator('input[name="password2"]').fill(PASSWORD)
    form.locator('input[name="accept_terms"]').check()
    assert fits_the_screen(page)
    form.locator('button[type="submit"]').tap()

    expect(page).to_have_url(re.compile(r"/accounts/phone/verify/"))
    assert [message.phone for message in text_outbox] == [NUMBER]
    code = re.search(r"\b(\d{6})\b", text_outbox[0].text).group(1)
    page.locator('main input[name="code"]').fill(code)
    page.locator('main form button[type="submit"]').first.tap()

    expect(page).to_have_url(re.compile(re.escape(rice.product.get_absolute_url()) + "$"))
    user = get_user_model().objects.get(member__phone=NUMBER)
    assert ConsentRecord.objects.filter(user=user).exists()
    assert MemberProfile.objects.get(user=user).phone == NUMBER
    assert page.broken == []


@pytest.fixture
def phone_member(transactional_db):
    from members.services import ensure_member

    user = get_user_model().objects.create_user(username="lin", email="", password=PASSWORD)
    MemberProfile.objects.filter(pk=ensure_member(user=user).pk).update(phone=NUMBER)
    return user


def log_in_by_number(page, next_url):
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill("139 0000 1111")
    form.locator('input[name="password"]').fill(PASSWORD)
    form.locator('button[type="submit"]').tap()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def test_a_member_logs_in_with_the_number_saves_a_favourite_and_removes_it(phone, phone_member, rice):
    page = phone
    url = rice.product.get_absolute_url()
    log_in_by_number(page, url)
    button = page.locator("form.favourite button[type=submit]")
    expect(button).to_have_attribute("aria-pressed", "false")
    mark_the_page(page)

    button.tap()

    expect(page.locator("form.favourite.is-saved button")).to_have_attribute("aria-pressed", "true")
    assert Favourite.objects.filter(user=phone_member, product=rice.product).exists()
    assert still_the_same_page(page)
    expect(page).to_have_url(re.compile(re.escape(url) + "$"))

    page.locator("form.favourite button[type=submit]").tap()

    expect(page.locator("form.favourite button")).to_have_attribute("aria-pressed", "false")
    assert not Favourite.objects.exists()
    assert still_the_same_page(page)
    assert page.broken == []


def test_each_shipping_option_at_checkout_says_when_it_arrives(phone, phone_member, rice):
    page = phone
    AddressFactory(user=phone_member, is_default=True)
    ShippingMethodFactory(name="顺丰速运", code="sf", base_fee=Decimal("8.00"), position=1,
                          delivery_days_min=2, delivery_days_max=4)
    ShippingMethodFactory(name="同城次日达", code="next", base_fee=Decimal("15.00"), position=2,
                          delivery_days_min=1, delivery_days_max=1)
    add_to_cart(cart=MemberCart(phone_member), variant_id=rice.pk, quantity=2)
    log_in_by_number(page, "/checkout/")

    arrivals = page.locator(".delivery-section .shipping-option .arrival")
    expect(arrivals).to_have_count(2)
    expect(arrivals.nth(0)).to_contain_text("–")  # a range of dates
    expect(arrivals.nth(0)).to_contain_text("月")
    if page.js:
        # Re-pricing after choosing the other option swaps the section in; the dates come with it.
        mark_the_page(page)
        page.locator('input[name="shipping_method"]').nth(1).check()
        expect(page.locator('input[name="shipping_method"]').nth(1)).to_be_checked()
        expect(page.locator(".delivery-section .shipping-option .arrival")).to_have_count(2)
        assert still_the_same_page(page)
    assert fits_the_screen(page)
    assert page.broken == []


@pytest.mark.parametrize("width", [390, 1366])
def test_screens_of_the_door_the_favourite_and_the_delivery_dates(browser, live_server, phone_member, rice, width):
    """Screenshots for a person to look at (/tmp/shots/h13-*.png); each page must fit a phone."""
    AddressFactory(user=phone_member, is_default=True)
    ShippingMethodFactory(name="顺丰速运", code="sf", base_fee=Decimal("8.00"), delivery_days_min=2, delivery_days_max=4)
    ShippingMethodFactory(name="江浙沪次日达", code="next", base_fee=Decimal("12.00"), delivery_days_min=1, delivery_days_max=1)
    add_to_cart(cart=MemberCart(phone_member), variant_id=rice.pk, quantity=2)
    Favourite.objects.create(user=phone_member, product=rice.product)
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="zh-CN", base_url=live_server.url,
                                  is_mobile=width < 800, has_touch=width < 800)
    page = context.new_page()
    SHOTS.mkdir(parents=True, exist_ok=True)
    try:
        for name, url in [("signup", "/accounts/signup/"), ("login", "/accounts/login/")]:
            page.goto(url)
            page.screenshot(path=str(SHOTS / f"h13-{name}-{width}.png"), full_page=True)
            if width == 390:
                assert fits_the_screen(page), url
        page.locator('input[name="login"]').fill(NUMBER)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('main form[action^="/accounts/login/"] button[type="submit"]').click()
        expect(page).to_have_url(re.compile(r"/$"))
        page.goto(rice.product.get_absolute_url())
        expect(page.locator("form.favourite.is-saved")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"h13-product-favourite-{width}.png"), full_page=True)
        page.goto("/checkout/")
        expect(page.locator(".shipping-option .arrival").first).to_be_visible()
        page.locator(".delivery-section").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"h13-checkout-delivery-{width}.png"), full_page=True)
        if width == 390:
            assert fits_the_screen(page)
    finally:
        context.close()
