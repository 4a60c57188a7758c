"""The back office as a store manager sees it on a phone (390 px) and a laptop (1366 px): the
index by task, the order list and an order page, under the Content-Security-Policy, with no
changelist column cut off. Screenshots go to /tmp/shots/admin_*.png for a human to look at."""

from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from orders.services import record_payment
from stores.models import StoreStaff
from stores.roles import assign_store_role
from tests.browser.steps import wait_for_path
from tests.browser.test_clerk_pickup import log_in
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import StoreFactory, stocked_variant
from tests.orders.conftest import buy, pickup_choice

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
SCREENS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}


@pytest.fixture
def manager_and_orders(transactional_db):
    store = StoreFactory(code="xuhui", name="上海徐汇店")
    other = StoreFactory(code="jingan", name="上海静安店")
    shopper = get_user_model().objects.create_user(username="li", email="li@example.com", password=SHOPPER_PASSWORD)
    orders = []
    for index, (where, price) in enumerate([(store, "25.00"), (store, "128.50"), (other, "66.00")]):
        variant = stocked_variant(store=where, on_hand=5, price=Decimal(price), name=f"鲜牛奶 {index}", slug=f"milk-{index}")
        order = buy(shopper, [(variant, 2)], pickup_choice(where))
        record_payment(order_number=order.number, provider="gateway", amount=order.total, currency="CNY",
                       transaction_id=f"SIM-SHOT-{index}")
        orders.append(order)
    manager = get_user_model().objects.create_user(username="staff", email="staff@example.com",
                                                   password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=manager, email=manager.email, verified=True, primary=True)
    assign_store_role(user=manager, store=store, role=StoreStaff.Role.MANAGER)
    return manager, orders


def test_a_store_manager_works_the_back_office_on_a_phone_and_a_laptop(browser, live_server, manager_and_orders):
    manager, orders = manager_and_orders
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in SCREENS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url,
                                      is_mobile=name == "390", has_touch=True)  # log_in taps
        page = context.new_page()
        refused = []
        page.on("console", lambda message, refused=refused: refused.append(message.text)
                if message.type == "error" and "Content Security Policy" in message.text else None)
        try:
            log_in(page, manager.email, "/admin/")
            wait_for_path(page, "/admin/")
            page.screenshot(path=str(SHOTS / f"admin_index_{name}.png"), full_page=True)

            listing = page.goto("/admin/orders/order/")
            page.screenshot(path=str(SHOTS / f"admin_order_list_{name}.png"), full_page=True)
            # Django renders #result_list only when the list has rows: say which page came instead
            # (a login, a 403 or 500, an empty list) rather than fail inside the script below.
            assert listing.status == 200 and page.locator("#result_list").count() == 1, (
                name, listing.status, page.url, page.title())
            listed = page.locator("#result_list tbody tr").count()
            # Every column fits: nothing hides behind a sideways scroll of the list.
            clipped = page.evaluate("""() => {
                const table = document.querySelector('#result_list');
                const box = table.closest('.results') || table.parentElement;
                return box.scrollWidth > box.clientWidth + 1;
            }""")
            page.goto(f"/admin/orders/order/{orders[1].pk}/change/")
            page.screenshot(path=str(SHOTS / f"admin_order_page_{name}.png"), full_page=True)
            workbench = page.locator(".order-workbench").inner_text()
        finally:
            context.close()

        assert listed == 2, name  # the other store's order is not theirs
        assert not clipped, name
        assert "上海徐汇店" in workbench, name  # the workbench head says where the order stands
        assert refused == [], refused
