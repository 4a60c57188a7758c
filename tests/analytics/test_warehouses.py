"""Warehouses on the dashboards: their sales count in the chain's totals, but they are not compared as shops."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from analytics import selectors
from analytics.models import DailyStoreFact
from stores.models import Store
from tests.analytics.facts_data import head_office, store_fact
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    # The warehouse is made first (lowest id), as the online flagship warehouse usually is.
    warehouse = StoreFactory(name="线上旗舰仓", kind=Store.Kind.WAREHOUSE, region="江苏省 苏州市", priority=1)
    shop = StoreFactory(name="徐汇店", region="上海市 徐汇区", priority=10)
    other = StoreFactory(name="天河店", region="广东省 广州市", priority=20)
    yesterday = selectors.today() - timedelta(days=1)
    for n in range(3):
        day = yesterday - timedelta(days=n)
        store_fact(warehouse, day, net="9000.00", orders=30)
        store_fact(shop, day, net="100.00")
        store_fact(other, day, net="200.00", channel=DailyStoreFact.Channel.COUNTER)
    return warehouse, shop, other


def hq_client(client):
    client.force_login(head_office())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_the_hq_dashboard_compares_shops_only_and_shows_warehouses_apart_while_the_totals_keep_their_sales(
    client, chain
):
    warehouse, shop, other = chain
    response = hq_client(client).get(reverse("analytics:hq-dashboard"))

    context = response.context
    assert [row["store"] for row in context["stores"]] == [other, shop]
    assert [row["store"] for row in context["warehouses"]] == [warehouse]
    assert context["totals"]["net"] == Decimal("27900.00")  # 3 × (9000 + 100 + 200)
    assert {row["channel"]: row["net"] for row in context["channels"]}["delivery"] == Decimal("27300.00")
    regions = [(row["province"], row["net"]) for row in context["regions"]]
    assert regions == [("广东省", Decimal("600.00")), ("上海市", Decimal("300.00")), ("Warehouses", Decimal("27000.00"))]
    html = response.content.decode()
    charts = {m[0]: json.loads(m[1]) for m in
              re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html, re.DOTALL)}
    assert "线上旗舰仓" not in charts["chart-stores"]["labels"]
    assert '<h3 id="warehouses">Warehouses</h3>' in html


def test_the_store_dashboard_opens_on_a_shop_and_lists_warehouses_under_their_own_heading(client, chain):
    warehouse, shop, _other = chain
    client = hq_client(client)

    response = client.get(reverse("analytics:store-dashboard"))

    assert response.context["store"] == shop  # not the warehouse, though its id is the lowest
    html = response.content.decode()
    picker = html[html.index('<select name="store"'):html.index("</select>")]
    assert picker.index("徐汇店") < picker.index('<optgroup label="Warehouses">') < picker.index("线上旗舰仓")
    warehouse_page = client.get(reverse("analytics:store-dashboard"), {"store": warehouse.pk})
    assert warehouse_page.status_code == 200
    assert warehouse_page.context["title"] == "Warehouse dashboard: 线上旗舰仓"


def test_the_dashboard_filter_lists_warehouses_after_the_shops_and_one_can_still_be_chosen(client, chain):
    warehouse, _shop, _other = chain
    client = hq_client(client)
    html = client.get(reverse("analytics:hq-dashboard")).content.decode()
    picker = html[html.index('<select name="store"'):html.index("</select>")]
    assert picker.index("天河店") < picker.index('<optgroup label="Warehouses">') < picker.index("线上旗舰仓")

    response = client.get(reverse("analytics:hq-dashboard"), {"store": warehouse.pk})

    assert response.context["stores"] == [] and response.context["totals"]["net"] == Decimal("27000.00")


def test_the_region_report_labels_warehouses_and_keeps_them_out_of_the_provinces(client, chain):
    client = hq_client(client)
    yesterday = selectors.today() - timedelta(days=1)
    response = client.get(reverse("analytics:report", args=["regions"]),
                          {"start": (yesterday - timedelta(days=6)).isoformat(), "end": yesterday.isoformat()})
    regions, stores = response.context["tables"]
    assert [row[0] for row in regions.rows] == ["广东省", "上海市", "Warehouses"]
    assert [row[0] for row in stores.rows][-1] == "线上旗舰仓 (warehouse)"
