"""Staff refund one line of a tier-discounted order in the admin; the shopper's order page shows the net refund.

A gold member (10 % off) bought 2 × ¥100 and paid ¥180 online; the parcel
was shipped. Staff open the order in the admin on a desktop browser, choose
"only the quantities below", refund one unit and submit. The shopper, on their
phone, then sees the refund of ¥90.00 (the net price, not the shelf price)
paid back on the order page. Setup (tier, stock, payment, shipping) is service
calls; the staff and shopper steps go through the real pages.
"""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.utils import translation
from playwright.sync_api import expect

from members.models import Tier
from members.services import ensure_member
from orders.models import Refund
from orders.services import record_payment, ship_order
from tests.browser.steps import fits_the_screen
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.browser


def log_in(page, email: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(email)
    form.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    form.locator('button[type="submit"]').click()


def refund_status_label(status: str) -> str:
    with translation.override("zh-hans"):
        return str(Refund.Status(status).label)


@pytest.fixture
def shipped_gold_order(transactional_db, warehouse):
    """A gold member's shipped online order: 2 × ¥100 with 10 % off, ¥180 paid through the gateway."""
    shopper = get_user_model().objects.create_user(username="gold", email="gold@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=shopper, email=shopper.email, verified=True, primary=True)
    member = ensure_member(user=shopper)
    member.tier = Tier.objects.create(name="金卡", code="gold", rank=3, threshold=Decimal("500"),
                                      discount_percent=Decimal("10"))
    member.save(update_fields=["tier"])
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("100.00"), name="羊绒围巾", slug="scarf")
    express = ShippingMethodFactory(code="express", free_over=Decimal("99.00"))
    order = buy(shopper, [(variant, 2)], delivery_choice(AddressFactory(user=shopper), express))
    assert order.total == Decimal("180.00")
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY",
                   transaction_id="SIM-BROWSER-REFUND")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF100", by=None)
    return order


@pytest.fixture
def boss(transactional_db):
    user = get_user_model().objects.create_superuser("boss", "boss@example.com", SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def test_staff_refund_one_line_of_a_discounted_order_and_the_shopper_sees_the_net_refund(
    browser, live_server, page, shipped_gold_order, boss, broken_responses, screenshot
):
    order = shipped_gold_order
    line = order.lines.get()

    # Staff, on a desktop browser of their own.
    desk = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server.url)
    admin = desk.new_page()
    try:
        log_in(admin, boss.email, f"/admin/orders/order/{order.pk}/change/")
        expect(admin).to_have_url(re.compile(rf"/admin/orders/order/{order.pk}/change/$"))
        admin.locator(f'a[href="/admin/orders/order/{order.pk}/refund/"]').first.click()
        expect(admin).to_have_url(re.compile(rf"/admin/orders/order/{order.pk}/refund/$"))
        form = admin.locator("#content-main form")
        form.locator('input[name="scope"][value="lines"]').check()
        form.locator(f'input[name="line_{line.pk}"]').fill("1")
        form.locator('input[name="reason"]').fill("尺寸不合适，退一条")
        form.locator('input[type="submit"]').click()
        expect(admin).to_have_url(re.compile(rf"/admin/orders/order/{order.pk}/change/$"))
        expect(admin.locator(".messagelist .success")).to_contain_text("90.00")
    finally:
        desk.close()

    refund = Refund.objects.get(order=order)
    assert refund.amount == Decimal("90.00")
    assert refund.status == Refund.Status.SUCCEEDED  # the gateway leg was paid out after commit

    # The shopper, on their phone.
    log_in(page, "gold@example.com", order.get_absolute_url())
    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    refunds = page.locator(".refund-list .refund")
    expect(refunds).to_have_count(1)
    expect(refunds.locator(".refund-amount")).to_have_text("¥90.00")
    expect(refunds.locator(".refund-status")).to_have_text(refund_status_label(Refund.Status.SUCCEEDED))
    screenshot("order-with-refund")
    assert fits_the_screen(page)
    assert broken_responses == []
