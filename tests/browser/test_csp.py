"""In a real browser, the Content-Security-Policy blocks nothing the shop, the gateway or the admin uses,
and staff reach the admin through the shop's log-in, with a two-factor code once they set one up."""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from tests.conftest import SHOPPER_PASSWORD
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.browser


@pytest.fixture
def csp_violations(page):
    """Console reports of anything the policy refused (chromium logs each one as an error)."""
    refused = []
    page.on("console", lambda message: refused.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    return refused


@pytest.fixture
def boss(transactional_db):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_storefront_gateway_and_admin_pages_run_under_the_policy(page, live_server, warehouse, boss, csp_violations):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"), name="有机草莓", slug="berries")
    order = buy(boss, [(variant, 1)], delivery_choice(AddressFactory(user=boss), ShippingMethodFactory(code="express")))

    for path in ("/", "/p/berries/", "/categories/", f"/gateway/pay/{order.number}/"):
        page.goto(path)
    # The admin's own log-in form is gone: staff land on the shop's, and come back to the admin.
    page.goto("/admin/orders/order/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(boss.email)
    form.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    form.locator('button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/admin/orders/order/$"))
    expect(page.locator("#result_list")).to_be_visible()
    page.goto(f"/admin/orders/order/{order.pk}/change/")
    page.goto(f"/admin/catalog/product/{variant.product_id}/change/")
    page.goto("/accounts/2fa/totp/activate/")

    assert csp_violations == []
