"""The dashboards in a browser at 390 px and 1366 px: charts drawn under the Content-Security-Policy, nothing
wider than the screen. Screenshots go to /tmp/shots/dashboard_*.png for a human to look at."""

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model

from analytics import selectors
from analytics.models import DailyHourFact, DailyProductFact, DailyStoreFact
from analytics.services.facts import roll_up_months
from stores.models import Store, StoreStaff
from tests.browser.steps import fits_the_screen, wait_for_path
from tests.browser.test_clerk_pickup import log_in
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import ProductFactory, StoreFactory, stocked_variant

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/shots")
SCREENS = {"390": {"width": 390, "height": 844}, "1366": {"width": 1366, "height": 900}}
REGIONS = ["上海市 徐汇区", "上海市 静安区", "北京市 朝阳区", "广东省 广州市", "浙江省 杭州市"]


@pytest.fixture
def chain(transactional_db):
    """Five stores with 30 days of varied facts; a manager of the first and a head-office user, both verified."""
    stores = [StoreFactory(code=f"s{n}", name=name, region=region) for n, (name, region) in
              enumerate(zip(["上海徐汇店", "上海静安店", "北京朝阳店", "广州天河店", "杭州西湖店"], REGIONS, strict=True))]
    # The online warehouse ships for the whole chain: on the HQ page apart from the shops, in the totals.
    stores.append(StoreFactory(code="w0", name="线上旗舰仓", region="江苏省 苏州市", kind=Store.Kind.WAREHOUSE))
    products = [ProductFactory(name=name) for name in ["鲜牛奶 1L", "有机鸡蛋 10枚", "全麦面包", "苹果 500g", "酸奶"]]
    yesterday = selectors.today() - timedelta(days=1)
    for index, store in enumerate(stores):
        for n in range(30):
            day = yesterday - timedelta(days=n)
            for c_index, channel in enumerate(DailyStoreFact.Channel.values):
                orders = 5 + (n * 7 + index * 3 + c_index * 5) % 17
                net = Decimal(orders * (60 + index * 11)) + Decimal("0.50")
                DailyStoreFact.objects.create(day=day, store=store, channel=channel, orders=orders, units=orders * 2,
                                              gross=net + 20, net=net, customers=orders, new_customers=orders // 4,
                                              returning_customers=orders - orders // 4)
            for p_index, product in enumerate(products):
                DailyProductFact.objects.create(day=day, store=store, product=product, units=1 + (n + p_index) % 6,
                                                orders=1, gross=Decimal("30.00"), net=Decimal("28.00"))
            for hour in range(9, 22):
                DailyHourFact.objects.create(day=day, store=store, hour=hour, orders=1 + abs(hour - 15) % 5,
                                             net=Decimal(100 + 40 * (6 - abs(hour - 15) % 7)))
    roll_up_months(first_day=yesterday - timedelta(days=29), last_day=yesterday)
    stocked_variant(store=stores[0], on_hand=2, name="低库存的酱油")
    User = get_user_model()
    manager = User.objects.create_user(username="mgr", email="mgr@example.com", password=SHOPPER_PASSWORD,
                                       is_staff=True)
    StoreStaff.objects.create(store=stores[0], user=manager, role=StoreStaff.Role.MANAGER)
    hq = User.objects.create_superuser(username="hq", email="hq@example.com", password=SHOPPER_PASSWORD)
    for user in (manager, hq):
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return manager, hq


@pytest.mark.parametrize("who, url, shot", [("manager", "/admin/analytics/", "store"),
                                            ("hq", "/admin/analytics/hq/", "hq")])
def test_the_dashboards_draw_their_charts_on_a_phone_and_a_laptop(browser, live_server, chain, who, url, shot):
    manager, hq = chain
    user = manager if who == "manager" else hq
    SHOTS.mkdir(parents=True, exist_ok=True)
    for name, viewport in SCREENS.items():
        context = browser.new_context(viewport=viewport, locale="zh-CN", base_url=live_server.url,
                                      is_mobile=name == "390", has_touch=True)
        page = context.new_page()
        problems = []
        page.on("console", lambda message, problems=problems: problems.append(message.text)
                if message.type == "error" else None)
        try:
            log_in(page, user.email, url)
            wait_for_path(page, url)
            page.locator("[data-chart='chart-trend'] canvas").first.wait_for()
            page.wait_for_timeout(600)  # ECharts animates its first frame
            page.screenshot(path=str(SHOTS / f"dashboard_{shot}_{name}.png"), full_page=True)
            assert page.locator(".an-chart canvas").count() == (2 if shot == "store" else 5)
            if shot == "hq":
                assert page.locator("#warehouses").count() == 1
            assert fits_the_screen(page)
            assert problems == []
        finally:
            context.close()
