"""满减 reached by adding an item: the cart says how much more to spend, then shows the discount on the lines."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from marketing.models import PromotionUse
from orders.models import Order
from tests.browser.steps import add_to_cart_on_the_product_page, fits_the_screen
from tests.browser.test_checkout import log_in
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant
from tests.marketing.test_promotions import tiered

pytestmark = pytest.mark.browser


def test_a_threshold_reduction_is_reached_by_adding_an_item_and_applies_at_checkout(
    page, live_server, shopper, warehouse, broken_responses, screenshot
):
    AddressFactory(user=shopper, is_default=True)
    ShippingMethodFactory(name="顺丰速运", code="sf-express", base_fee=Decimal("8.00"), free_over=Decimal("99.00"))
    rice = stocked_variant(store=warehouse, on_hand=10, price=Decimal("120.00"), name="五常大米 5kg", slug="rice")
    oil = stocked_variant(store=warehouse, on_hand=10, price=Decimal("89.00"), name="花生油 1.8L", slug="oil")
    campaign = tiered(name="满199减20", badge="满减")

    log_in(page, shopper, "/p/rice/")
    expect(page.locator(".promotions")).to_contain_text("满199减20")
    add_to_cart_on_the_product_page(page, rice, 1)
    page.locator(".site-header .cart-link").tap()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    hint = page.locator(".promotion-hint")
    expect(hint).to_contain_text("¥79.00")  # 199 − 120
    expect(hint).to_contain_text("满199减20")
    screenshot("cart-short-of-the-threshold")
    assert fits_the_screen(page)

    add_to_cart_on_the_product_page(page, oil, 1)
    page.locator(".site-header .cart-link").tap()
    expect(page.locator(".promotion-hint")).to_contain_text("¥90.00")  # now the next step: 299 − 209 for ¥40 off
    expect(page.locator(".cart-lines .line-shares").first).to_contain_text("满199减20")
    expect(page.locator(".cart-summary")).to_contain_text("¥189.00")  # 209 − 20
    screenshot("cart-with-the-discount")
    assert fits_the_screen(page)

    page.locator('.cart-summary a[href="/checkout/"]').tap()
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    page.locator('button[name="place"]').tap()
    expect(page).to_have_url(re.compile(r"/pay/"))

    order = Order.objects.get(user=shopper)
    assert order.total == Decimal("189.00")  # free shipping from ¥99
    assert order.adjustments.get(kind="promotion").amount == Decimal("-20.00")
    assert PromotionUse.objects.get(promotion=campaign).order_number == order.number
    assert broken_responses == []
