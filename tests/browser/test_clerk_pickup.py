"""A clerk verifies a pick-up code on their phone (390 px) and hands the order over.

The shopper's order was paid and made ready (services); the shopper's page
shows the code and its QR code; the clerk of that store types the code on
"Verify a pick-up code" in the admin, sees what to hand over, and the order
is completed. Setup is service calls; the clerk's steps are the real pages.
"""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from playwright.sync_api import expect

from orders.models import Order
from orders.services import mark_ready_for_pickup, record_payment
from stores.models import StoreStaff
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import StoreFactory, stocked_variant
from tests.orders.conftest import buy, pickup_choice

pytestmark = pytest.mark.browser


def make_clerk(username, store, *, role=StoreStaff.Role.CLERK, apps=("orders", "stores")):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com",
                                                password=SHOPPER_PASSWORD, is_staff=True)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label__in=apps).exclude(codename__startswith="delete"))
    StoreStaff.objects.create(store=store, user=user, role=role)
    return user


def log_in(page, email: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(email)
    form.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    form.locator('button[type="submit"]').tap()


@pytest.fixture
def ready_order(transactional_db):
    store = StoreFactory(code="xuhui", name="上海徐汇店")
    shopper = get_user_model().objects.create_user(username="li", email="li@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=shopper, email=shopper.email, verified=True, primary=True)
    variant = stocked_variant(store=store, on_hand=3, price=Decimal("25.00"), name="鲜牛奶", slug="milk")
    order = buy(shopper, [(variant, 2)], pickup_choice(store))
    record_payment(order_number=order.number, provider="gateway", amount=order.total, currency="CNY",
                   transaction_id="SIM-PICKUP")
    mark_ready_for_pickup(order_id=order.pk, by=None)
    return Order.objects.get(pk=order.pk)


def test_a_clerk_verifies_a_pick_up_code_and_hands_the_order_over(browser, live_server, page, ready_order,
                                                                   broken_responses, screenshot):
    order = ready_order
    clerk = make_clerk("clerk", order.store)

    # The shopper's page shows the code and its QR code.
    log_in(page, "li@example.com", order.get_absolute_url())
    expect(page.locator(".pickup-code-digits")).to_have_text(order.pickup_code)
    expect(page.locator("svg.pickup-qr")).to_be_visible()
    screenshot("shopper-code")

    # The clerk, on a phone of their own.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                locale="zh-CN", base_url=live_server.url)
    desk = phone.new_page()
    try:
        log_in(desk, clerk.email, "/admin/orders/order/pickup/verify/")
        expect(desk).to_have_url(re.compile(r"/admin/orders/order/pickup/verify/$"))
        desk.locator('input[name="pickup_code"]').fill(order.pickup_code)
        desk.locator('#content-main input[type="submit"]').tap()
        expect(desk.locator(".messagelist .success")).to_contain_text(order.number)
        expect(desk.locator(".pickup-handed")).to_contain_text("鲜牛奶")
        screenshot("clerk-handed-over")
    finally:
        phone.close()

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert broken_responses == []
