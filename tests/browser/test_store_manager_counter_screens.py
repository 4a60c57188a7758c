"""A store manager's counter and member look-up on a phone (390 px) and a laptop (1366 px): a card-and-cash
sale, its receipt, and the member's page with their purchases at this store only. Screenshots go to
/tmp/shots/h11-*.png for a human to look at."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from members import services as member_services
from orders.services.counter import Basket, Tendered, ring_up_sale
from stores.models import StoreStaff
from stores.roles import assign_store_role
from tests.browser.steps import fits_the_screen
from tests.browser.test_clerk_pickup import log_in
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
SCREENS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}


@pytest.fixture
def shop(transactional_db):
    store = StoreFactory(code="xuhui", name="上海徐汇店")
    other = StoreFactory(code="jingan", name="上海静安店")
    users = get_user_model().objects
    manager = users.create_user(username="manager", email="manager@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=manager, email=manager.email, verified=True, primary=True)
    assign_store_role(user=manager, store=store, role=StoreStaff.Role.MANAGER)
    head_office = users.create_superuser(username="hq", email="hq@example.com", password=SHOPPER_PASSWORD)
    shopper = users.create_user(username="li", email="li@example.com", password=SHOPPER_PASSWORD,
                                first_name="李", last_name="四")
    member = member_services.ensure_member(user=shopper)
    member.phone = "13800138000"
    member.save(update_fields=["phone"])
    sold = {}
    for where, name in ((store, "有机豆浆"), (other, "静安面包")):
        variant = stocked_variant(store=where, on_hand=5, price=Decimal("18.00"), name=name, slug=where.code)
        sold[where.code] = ring_up_sale(basket=Basket(store_id=where.pk, lines={variant.pk: 1},
                                                      member_user_id=shopper.pk),
                                        clerk=head_office, tendered=Tendered("card"), expected_total=None)
    rice = stocked_variant(store=store, on_hand=10, price=Decimal("88.00"), name="有机大米 5kg", slug="rice")
    return manager, member, rice, sold


def test_a_store_manager_rings_up_a_split_sale_and_looks_the_member_up_on_a_phone_and_a_laptop(
    browser, live_server, shop
):
    manager, member, rice, sold = shop
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in SCREENS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url,
                                      is_mobile=name == "390", has_touch=True)
        page = context.new_page()
        broken = []
        page.on("response", lambda response, broken=broken: broken.append(f"{response.status} {response.url}")
                if response.status >= 400 and not response.url.endswith("/favicon.ico") else None)
        try:
            log_in(page, manager.email, "/store/counter/")
            expect(page).to_have_url(re.compile(r"/store/counter/\d+/$"))
            scan = page.locator('form.scan-form input[name="q"]')
            scan.fill(rice.sku)
            scan.press("Enter")
            page.locator('input[name="member"]').fill("13800138000")
            page.locator('input[name="member"]').press("Enter")
            expect(page.locator(".member-found")).to_be_visible()
            page.locator('input[name="tender"][value="split"]').check()
            page.locator('input[name="card_amount"]').fill("60")
            page.locator('input[name="cash_given"]').fill("30")
            expect(page.locator("[data-change-preview]")).to_contain_text("¥2.00")
            counter_fits = fits_the_screen(page)
            page.screenshot(path=str(SHOTS / f"h11-counter-{name}.png"), full_page=True)
            page.locator('.pay-form button[type="submit"]').click()

            expect(page).to_have_url(re.compile(r"/sales/\d+/$"))
            receipt = page.locator("article.receipt")
            expect(receipt.locator(".tender-line")).to_have_count(2)
            expect(receipt).to_contain_text("2.00")
            receipt_fits = fits_the_screen(page)
            page.screenshot(path=str(SHOTS / f"h11-receipt-{name}.png"), full_page=True)

            page.goto("/admin/members/memberprofile/?q=13800138000")
            page.locator("#result_list tbody tr a").first.click()
            section = page.locator(".member-purchases")
            expect(section).to_be_visible()
            purchases = section.inner_text()
            member_page = page.locator("#content").inner_text()  # what staff read (links carry the search)
            page.screenshot(path=str(SHOTS / f"h11-member-admin-{name}.png"), full_page=True)
        finally:
            context.close()

        assert counter_fits and receipt_fits, name
        assert sold["xuhui"].number in purchases and sold["jingan"].number not in purchases, name
        assert "13800138000" not in member_page and member.masked_phone in member_page, name
        assert broken == [], broken
