"""Issue 13 on a phone (390 px): checkout by pick-up and by delivery with taps only, and filter and sort
with the drawer, each journey once with JavaScript (no page reload while choosing) and once without.

Selectors go by field name, value and class, not by wording (translators change it).
"""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from catalog.services import refresh_product_summary
from orders.models import Order
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from stores.services import receive_stock
from tests.browser.conftest import PHONE
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import (
    AddressFactory,
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ShippingMethodFactory,
    StoreFactory,
    stocked_variant,
)

pytestmark = pytest.mark.browser


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


def shot(page, name):
    page.screenshot(path=f"/tmp/shots/{name}-{'js' if page.js else 'nojs'}.png", full_page=False)


def log_in(page, user, next_url):
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(user.email)
    form.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    form.locator('button[type="submit"]').tap()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


@pytest.fixture
def cart(shopper, warehouse):
    """Two bags of rice (¥10 each) in the cart, a default address, two ways to ship, one pick-up store."""
    rice = stocked_variant(store=warehouse, on_hand=10, price=Decimal("10.00"), name="五常大米 1kg", slug="rice")
    AddressFactory(user=shopper, is_default=True)
    express = ShippingMethodFactory(name="顺丰速运", code="sf", base_fee=Decimal("8.00"), position=1)
    fast = ShippingMethodFactory(name="同城闪送", code="flash", base_fee=Decimal("15.00"), position=2)
    jingan = StoreFactory(code="jingan", name="上海静安店", priority=10)
    receive_stock(store_id=jingan.pk, variant_id=rice.pk, quantity=5)
    add_to_cart(cart=MemberCart(shopper), variant_id=rice.pk, quantity=2)
    return {"rice": rice, "express": express, "fast": fast, "store": jingan}


def mark_the_page(page):
    if page.js:
        page.evaluate("window.__sameDocument = true")


def still_the_same_page(page) -> bool:
    return not page.js or page.evaluate("window.__sameDocument === true")


def test_checkout_by_pick_up_with_taps_only(phone, live_server, shopper, cart):
    page = phone
    log_in(page, shopper, "/checkout/")
    form = page.locator("form.checkout-form")
    bar = page.locator(".checkout-bar")
    expect(bar.locator(".price")).to_have_text("¥28.00")
    expect(page.locator(".tab-bar")).to_be_hidden()
    # Under delivery no store is chosen; the pick-up section is hidden.
    expect(form.locator('input[name="pickup_store"]:checked')).to_have_count(0)
    expect(form.locator(".pickup-section")).to_be_hidden()
    mark_the_page(page)

    form.locator('.fulfilment-tab:has(input[value="pickup"])').tap()

    expect(form.locator(".pickup-section")).to_be_visible()
    expect(form.locator(".delivery-section")).to_be_hidden()
    form.locator(f'label:has(input[name="pickup_store"][value="{cart["store"].pk}"])').tap()
    expect(form.locator('input[name="contact_name"]')).to_have_value("张三")  # from the member's address
    expect(form.locator('input[name="contact_phone"]')).to_have_value("13800138000")
    if page.js:
        expect(bar.locator(".price")).to_have_text("¥20.00")  # re-priced live, no shipping
        assert still_the_same_page(page)
    shot(page, "checkout-pickup")

    bar.locator('button[name="place"]').tap()
    if not page.js:
        # Without JavaScript the page could not re-price the tap: it shows the new total, refusing nothing.
        expect(page.locator(".messages .message.info")).to_be_visible()
        expect(page.locator(".messages .message.error")).to_have_count(0)
        expect(bar.locator(".price")).to_have_text("¥20.00")
        bar.locator('button[name="place"]').tap()

    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=shopper)
    assert (order.fulfilment, order.store, order.total) == (Order.Fulfilment.PICKUP, cart["store"], Decimal("20.00"))
    assert (order.recipient, order.phone) == ("张三", "13800138000")
    assert page.broken == []


def test_checkout_by_delivery_with_the_dearer_shipping_option_with_taps_only(phone, live_server, shopper, cart):
    page = phone
    log_in(page, shopper, "/checkout/")
    form = page.locator("form.checkout-form")
    bar = page.locator(".checkout-bar")
    options = form.locator(".shipping-option")
    expect(options).to_have_count(2)
    expect(options.nth(0).locator(".fee")).to_have_text("¥8.00")
    expect(options.nth(1).locator(".fee")).to_have_text("¥15.00")
    mark_the_page(page)

    options.nth(1).tap()

    if page.js:
        expect(bar.locator(".price")).to_have_text("¥35.00")
        assert still_the_same_page(page)
    shot(page, "checkout-delivery")
    bar.locator('button[name="place"]').tap()
    if not page.js:
        expect(bar.locator(".price")).to_have_text("¥35.00")
        bar.locator('button[name="place"]').tap()

    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=shopper)
    assert (order.fulfilment, order.total) == (Order.Fulfilment.DELIVERY, Decimal("35.00"))
    assert page.broken == []


def test_filter_and_sort_with_the_drawer(phone, live_server, warehouse):
    page = phone
    drinks = CategoryFactory(slug="drinks", name="饮料")
    nongfu = BrandFactory(slug="nongfu", name="农夫山泉")
    for name, price, sold, brand in [("矿泉水", "2.00", 3, nongfu), ("茶饮", "6.00", 50, nongfu), ("冷萃咖啡", "16.00", 90, None)]:
        product = ProductFactory(name=name, category=drinks, brand=brand, price=Decimal(price), units_sold=sold)
        refresh_product_summary(product_ids=[product.pk])
    page.goto("/c/drinks/")
    drawer = page.locator("details.filter-drawer")

    drawer.locator("summary").tap()
    sheet = drawer.locator(".drawer-sheet")
    expect(sheet).to_be_visible()
    shot(page, "filter-drawer")
    sheet.locator('label:has(input[name="brand"][value="nongfu"])').tap()
    sheet.locator('input[name="price_min"]').fill("1")
    sheet.locator('button[type="submit"]').tap()

    expect(page).to_have_url(re.compile(r"brand=nongfu"))
    expect(page.locator(".drawer-sheet")).to_be_hidden()  # applied: the drawer is closed
    chips = page.locator(".active-filters li a:not(.clear)")
    expect(chips).to_have_count(2)
    names = page.locator(".product-grid .product-card .name")
    expect(names).to_have_count(2)

    page.locator(".sort-bar a.sort-sales").tap()
    expect(page.locator(".sort-bar a.sort-sales")).to_have_class(re.compile("active"))
    expect(names).to_have_text(["茶饮", "矿泉水"])
    page.locator(".sort-bar a.sort-price").tap()
    expect(names).to_have_text(["矿泉水", "茶饮"])
    page.locator(".sort-bar a.sort-price").tap()  # again: high to low
    expect(names).to_have_text(["茶饮", "矿泉水"])
    shot(page, "listing-sorted")

    chips.filter(has_text="农夫山泉").tap()  # drop the brand chip: the coffee is back
    expect(names).to_have_count(3)
    assert page.broken == []
