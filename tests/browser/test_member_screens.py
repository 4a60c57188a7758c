"""The member pages of the phone storefront at 390 px and 1366 px: each renders, fits a phone, and is kept
as a screenshot in BROWSER_SCREENSHOTS (for a human to look at)."""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from members.models import Favourite, Tier
from members.services import ensure_member, set_marketing_consent
from members.services.wishlist import request_back_in_stock
from tests.browser.steps import fits_the_screen
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.browser

PAGES = [
    ("account", "/account/"),
    ("favourites", "/account/favourites/"),
    ("back-in-stock", "/account/back-in-stock/"),
    ("to-review", "/orders/to-review/"),
    ("address-new", "/account/addresses/new/"),
    ("stores", "/stores/"),
    ("terms", "/account/terms/"),
    ("privacy-policy", "/account/privacy-policy/"),
    ("product", "/p/kettle/"),
]


@pytest.mark.parametrize("width", [390, 1366])
def test_the_member_pages_render_and_fit(browser, live_server, transactional_db, warehouse, width):
    StoreFactory(code="xuhui", name="上海徐汇店", address="漕溪北路 88 号", opening_hours="10:00–22:00")
    Tier.objects.create(name="金卡", code="gold", rank=2, threshold=Decimal("500"))
    user = get_user_model().objects.create_user(username="m", email="m@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ensure_member(user=user)
    set_marketing_consent(user=user, consent=True)
    kettle = stocked_variant(store=warehouse, on_hand=0, price=Decimal("59.00"), name="手冲壶", slug="kettle")
    Favourite.objects.create(user=user, product=kettle.product)
    request_back_in_stock(user=user, variant_id=kettle.pk)

    context = browser.new_context(viewport={"width": width, "height": 844}, locale="zh-CN", base_url=live_server.url,
                                  is_mobile=width < 800, has_touch=width < 800)
    page = context.new_page()
    try:
        page.goto("/accounts/signup/")
        _shot(page, f"signup-{width}")
        page.goto("/accounts/login/?next=/account/")
        page.locator('input[name="login"]').fill(user.email)
        page.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
        page.locator('main form[action^="/accounts/login/"] button[type="submit"]').click()
        expect(page).to_have_url(re.compile(r"/account/$"))
        for name, url in PAGES:
            response = page.goto(url)
            assert response.status == 200, url
            _shot(page, f"{name}-{width}")
            if width == 390:
                assert fits_the_screen(page), url
    finally:
        context.close()


def _shot(page, name):
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)
