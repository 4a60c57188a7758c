"""A shopper claims a coupon in the claim centre (领券中心) on a phone, and it applies at checkout by itself."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from marketing.models import Coupon, CouponTemplate
from orders.models import Order
from tests.browser.steps import (
    add_to_cart_on_the_product_page,
    fits_the_screen,
    go_to_checkout_from_the_cart,
)
from tests.browser.test_checkout import log_in
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant

pytestmark = pytest.mark.browser


def test_a_coupon_claimed_in_the_claim_centre_applies_at_checkout(page, live_server, shopper, warehouse,
                                                                  broken_responses, screenshot):
    AddressFactory(user=shopper, is_default=True)
    ShippingMethodFactory(name="顺丰速运", code="sf-express", base_fee=Decimal("8.00"), free_over=Decimal("99.00"))
    oil = stocked_variant(store=warehouse, on_hand=10, price=Decimal("110.00"), name="橄榄油 1L", slug="oil")
    now = timezone.now()
    template = CouponTemplate.objects.create(
        name="满100减20", kind="threshold", amount=Decimal("20.00"), threshold=Decimal("100.00"),
        valid_from=now - timedelta(days=1), valid_until=now + timedelta(days=7), is_claimable=True,
    )

    log_in(page, shopper, "/coupons/")
    screenshot("claim-centre")
    assert fits_the_screen(page)
    page.locator(f'form[action="/coupons/{template.pk}/claim/"] button').tap()
    expect(page.locator(".messages .message.success")).to_contain_text("满100减20")
    assert Coupon.objects.filter(user=shopper, template=template).exists()

    add_to_cart_on_the_product_page(page, oil, 1)
    go_to_checkout_from_the_cart(page)
    code = Coupon.objects.get(user=shopper).code
    expect(page.locator(f'.coupon-picker input[name="coupon"][value="{code}"]')).to_be_checked()
    screenshot("checkout-with-coupon")
    assert fits_the_screen(page)
    page.locator('button[name="place"]').tap()
    expect(page).to_have_url(re.compile(r"/pay/"))

    order = Order.objects.get(user=shopper)
    assert order.total == Decimal("98.00")  # 110 − 20 = 90, below free shipping over 99: + 8
    assert Coupon.objects.get(user=shopper).order_number == order.number
    assert broken_responses == []
