"""A clerk runs a stocktake on their phone (390 px): opens it, scans and types counts, sees the variance;
the store manager applies it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from stores.models import Stock, Stocktake, StoreStaff
from tests.browser.test_clerk_pickup import log_in, make_clerk
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.browser


def count(page, sku: str, number: str = "") -> None:
    form = page.locator("form.count-form")
    form.locator('input[name="sku"]').fill(sku)
    form.locator('input[name="count"]').fill(number)
    form.locator('input[type="submit"]').tap()
    expect(page.locator(".messagelist .success").last).to_contain_text(sku)


def test_a_clerk_runs_a_stocktake_and_the_manager_applies_it(browser, live_server, page, transactional_db,
                                                             broken_responses, screenshot):
    store = StoreFactory(code="xuhui", name="徐汇店")
    milk = stocked_variant(store=store, on_hand=3, price=Decimal("8.00"), name="鲜牛奶", slug="milk")
    eggs = stocked_variant(store=store, on_hand=10, price=Decimal("1.50"), name="鸡蛋", slug="eggs")
    clerk = make_clerk("clerk", store)
    manager = make_clerk("manager", store, role=StoreStaff.Role.MANAGER)

    log_in(page, clerk.email, "/admin/stores/stocktake/open/")
    expect(page).to_have_url(re.compile(r"/admin/stores/stocktake/open/$"))
    page.locator('select[name="store"]').select_option(str(store.pk))
    page.locator('#content-main input[type="submit"]').tap()
    expect(page).to_have_url(re.compile(r"/admin/stores/stocktake/\d+/count/$"))
    for _scan in range(2):
        count(page, milk.sku)  # two scans: 2 on the shelf, 3 expected
    count(page, eggs.sku, "10")
    expect(page.locator(f"tr.line-{milk.sku} .variance")).to_have_text("-1")
    expect(page.locator(".value-total")).to_contain_text("8.00")
    expect(page.locator("form.apply-form")).to_have_count(0)  # a clerk counts; the manager applies
    screenshot("counted")
    stocktake = Stocktake.objects.get()

    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN", base_url=live_server.url)
    other = phone.new_page()
    try:
        log_in(other, manager.email, f"/admin/stores/stocktake/{stocktake.pk}/count/")
        other.locator("form.apply-form input[type=submit]").tap()
        expect(other.locator(".messagelist .success")).to_be_visible()
        expect(other.locator("form.apply-form")).to_have_count(0)
    finally:
        phone.close()

    assert Stocktake.objects.get().status == Stocktake.Status.APPLIED
    assert Stock.objects.get(store=store, variant=milk).on_hand == 2
    assert Stock.objects.get(store=store, variant=eggs).on_hand == 10
    assert broken_responses == []
