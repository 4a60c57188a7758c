"""A clerk rings up a member at the counter on a phone (390 px): scan, member, coupon, points, card and cash, receipt.

Setup is service calls; the clerk's steps are the real pages, typed as a
barcode scanner types (the SKU, then Enter).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from members import services as member_services
from orders.models import Order
from stores.models import Stock
from tests.browser.steps import fits_the_screen
from tests.browser.test_clerk_pickup import log_in, make_clerk
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.browser


@pytest.fixture
def counter(transactional_db):
    from marketing.models import CouponTemplate
    from marketing.services.coupons import issue_coupon

    store = StoreFactory(code="xuhui", name="上海徐汇店")
    clerk = make_clerk("clerk", store)
    shopper = get_user_model().objects.create_user(username="li", email="li@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=shopper, email=shopper.email, verified=True, primary=True)
    member = member_services.ensure_member(user=shopper)
    member.phone = "13800138000"
    member.save(update_fields=["phone"])
    member_services.staff_adjust_points(user_id=shopper.pk, change=1000, reason="welcome", by=clerk)
    template = CouponTemplate.objects.create(
        name="满100减20", kind=CouponTemplate.Kind.THRESHOLD, amount=Decimal("20.00"), threshold=Decimal("100.00"),
        valid_from=timezone.now() - timedelta(days=1), valid_until=timezone.now() + timedelta(days=30))
    coupon = issue_coupon(template_id=template.pk, user_id=shopper.pk, source="staff", check_rules=False)
    variant = stocked_variant(store=store, on_hand=2, price=Decimal("120.00"), name="有机大米", slug="rice")
    return store, clerk, shopper, coupon, variant


def test_a_clerk_rings_up_a_member_with_a_coupon_and_points_and_prints_the_receipt(page, counter, broken_responses,
                                                                                  screenshot):
    store, clerk, shopper, coupon, variant = counter
    log_in(page, clerk.email, "/store/counter/")
    expect(page).to_have_url(re.compile(rf"/store/counter/{store.pk}/$"))

    scan = page.locator('form.scan-form input[name="q"]')
    expect(scan).to_be_focused()  # the scanner types into the focused field
    scan.fill(variant.sku)
    scan.press("Enter")
    expect(page.locator("table.basket")).to_contain_text("有机大米")

    page.locator('input[name="member"]').fill("13800138000")
    page.locator('input[name="member"]').press("Enter")
    expect(page.locator(".member-found")).to_contain_text("1000")
    page.locator('input[name="code"]').fill(coupon.code)
    page.locator('input[name="code"]').press("Enter")
    page.locator('input[name="points"]').fill("1000")
    page.locator('input[name="points"]').press("Enter")
    expect(page.locator(".pay-form .due")).to_contain_text("90.00")  # 120 − 20 coupon − 10 points
    assert fits_the_screen(page)
    screenshot("till")

    # A mixed tender: ¥50 on the card, the other ¥40 in cash from a ¥50 note.
    expect(page.locator('input[name="card_amount"]')).to_be_hidden()  # only a split asks for a card amount
    page.locator('input[name="tender"][value="split"]').check()
    page.locator('input[name="card_amount"]').fill("50")
    page.locator('input[name="cash_given"]').fill("50")
    expect(page.locator("[data-change-preview]")).to_contain_text("¥10.00")  # the change, worked out as typed
    screenshot("till-split")
    page.locator('.pay-form button[type="submit"]').tap()

    expect(page).to_have_url(re.compile(r"/sales/\d+/$"))
    receipt = page.locator("article.receipt")
    expect(receipt).to_contain_text("有机大米")
    expect(receipt.locator(".tender-line")).to_have_count(2)  # the card and the cash, each on its line
    expect(receipt).to_contain_text("50.00")
    expect(receipt).to_contain_text("40.00")
    expect(receipt).to_contain_text("10.00")  # the change, on the tender line
    expect(page.locator("[data-print]")).to_be_visible()  # the static script, allowed by the CSP
    assert fits_the_screen(page)
    screenshot("receipt")
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".counter-actions")).to_be_hidden()
    screenshot("receipt-print")

    order = Order.objects.get(channel=Order.Channel.COUNTER)
    coupon.refresh_from_db()
    assert (order.total, order.points_used, order.sales_staff, order.user) == (Decimal("90.00"), 1000, clerk, shopper)
    assert coupon.order_number == order.number
    assert Stock.objects.get(store=store, variant=variant).on_hand == 1
    assert {p.provider: p.amount for p in order.payments.all()} == {"card": Decimal("50.00"), "cash": Decimal("40.00")}
    assert broken_responses == []
