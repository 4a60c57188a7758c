"""The store and head-office dashboards: figures from facts, scoped to the viewer's stores, few and fast queries."""

import json
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse

from analytics import selectors
from analytics.models import DailyStoreFact
from tests.analytics.facts_data import (
    head_office,
    manager_of,
    store_fact,
    two_stores_with_facts,
)

pytestmark = pytest.mark.django_db


def json_blocks(html: str) -> dict:
    return {match[0]: json.loads(match[1]) for match in
            re.findall(r'<script id="([^"]+)" type="application/json">(.*?)</script>', html, re.DOTALL)}


def test_a_store_manager_sees_their_own_stores_figures_on_the_store_dashboard(client):
    ours, _theirs = two_stores_with_facts()
    client.force_login(manager_of(ours))
    response = client.get(reverse("analytics:store-dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "徐汇店" in html and "我们的茶" in html
    assert "天河店" not in html and "别人的咖啡" not in html and "7,777" not in html and "7777" not in html


def test_a_store_manager_asking_for_another_stores_dashboard_gets_a_404(client):
    ours, theirs = two_stores_with_facts(days=1)
    client.force_login(manager_of(ours))
    assert client.get(reverse("analytics:store-dashboard"), {"store": theirs.pk}).status_code == 404
    assert client.get(reverse("analytics:store-dashboard"), {"store": "abc"}).status_code == 404


def test_a_store_manager_forging_a_store_on_the_hq_dashboard_gets_a_404(client):
    ours, theirs = two_stores_with_facts(days=1)
    client.force_login(manager_of(ours))
    assert client.get(reverse("analytics:hq-dashboard"), {"store": theirs.pk}).status_code == 404
    response = client.get(reverse("analytics:hq-dashboard"))
    assert response.status_code == 200
    assert "天河店" not in response.content.decode() and "广东省" not in response.content.decode()


def test_staff_without_a_store_and_shoppers_cannot_open_the_dashboards(client, django_user_model):
    _ours, _theirs = two_stores_with_facts(days=1)
    client.force_login(django_user_model.objects.create_user(username="someone", password="x"))
    assert client.get(reverse("analytics:store-dashboard")).status_code == 302  # to the back-office log-in
    catalogue_staff = django_user_model.objects.create_user(username="cat", password="x", is_staff=True)
    client.force_login(catalogue_staff)
    assert client.get(reverse("analytics:store-dashboard")).status_code == 403


def test_head_office_can_pick_any_store_on_the_store_dashboard(client):
    _ours, theirs = two_stores_with_facts(days=2)
    client.force_login(head_office())
    response = client.get(reverse("analytics:store-dashboard"), {"store": theirs.pk})
    assert response.status_code == 200
    assert response.context["yesterday"]["net"] == Decimal("7777.00")
    assert response.context["store"] == theirs


def test_the_store_dashboard_shows_yesterday_from_facts_and_today_from_orders_and_links_the_order_queues(client):
    ours, _theirs = two_stores_with_facts(days=3)
    store_fact(ours, selectors.today() - timedelta(days=1), DailyStoreFact.Channel.PICKUP, orders=1, net="50.00")
    client.force_login(manager_of(ours))
    response = client.get(reverse("analytics:store-dashboard"))
    yesterday = response.context["yesterday"]
    assert yesterday["net"] == Decimal("150.00") and yesterday["orders"] == 3
    assert yesterday["aov"] == Decimal("50.00")
    assert response.context["today"] == {"orders": 0, "net": Decimal("0.00"), "aov": Decimal("0.00"),
                                         "new_customers": 0}
    html = response.content.decode()
    assert f"status__exact=paid&amp;store__id__exact={ours.pk}" in html
    assert f"status__exact=ready_for_pickup&amp;store__id__exact={ours.pk}" in html


def test_the_dashboards_charts_are_json_blocks_with_thirty_days_and_twenty_four_hours(client):
    ours, _theirs = two_stores_with_facts()
    client.force_login(manager_of(ours))
    html = client.get(reverse("analytics:store-dashboard")).content.decode()
    charts = json_blocks(html)
    assert len(charts["chart-trend"]["labels"]) == 30
    assert charts["chart-trend"]["series"][0]["data"][-1] == "100.00"  # exact decimals as text, never floats
    assert len(charts["chart-hours"]["labels"]) == 24
    assert 'data-chart="chart-trend"' in html
    # No inline executable script: only the two static files and JSON data blocks.
    scripts = re.findall(r"<script(?![^>]*application/json)([^>]*)>", html)
    assert all("src=" in attrs for attrs in scripts)


def test_the_hq_dashboard_compares_stores_provinces_and_channels_for_the_chosen_range(client):
    ours, theirs = two_stores_with_facts(days=10)
    client.force_login(head_office())
    yesterday = selectors.today() - timedelta(days=1)
    response = client.get(reverse("analytics:hq-dashboard"),
                          {"start": (yesterday - timedelta(days=4)).isoformat(), "end": yesterday.isoformat()})
    assert response.status_code == 200
    assert [row["store"] for row in response.context["stores"]] == [theirs, ours]
    assert {row["province"]: row["net"] for row in response.context["regions"]} == {
        "广东省": Decimal("38885.00"), "上海市": Decimal("500.00")}
    channels = {row["channel"]: row["net"] for row in response.context["channels"]}
    assert channels == {"delivery": Decimal("500.00"), "pickup": Decimal("0.00"), "counter": Decimal("38885.00")}
    assert response.context["totals"]["orders"] == 20


def test_the_hq_dashboard_narrows_to_one_store_when_asked(client):
    ours, _theirs = two_stores_with_facts(days=3)
    client.force_login(head_office())
    response = client.get(reverse("analytics:hq-dashboard"), {"store": ours.pk})
    assert [row["store"] for row in response.context["stores"]] == [ours]


def test_a_reversed_date_range_on_the_hq_dashboard_is_a_form_error_not_a_crash(client):
    two_stores_with_facts(days=1)
    client.force_login(head_office())
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(reverse("analytics:hq-dashboard"), {"start": "2026-05-02", "end": "2026-05-01"})
    assert response.status_code == 200
    assert "must not be after" in response.content.decode()
    assert client.get(reverse("analytics:hq-dashboard"), {"start": "not-a-date"}).status_code == 200


def test_the_dashboards_read_facts_in_a_small_fixed_number_of_queries(client, django_assert_max_num_queries):
    ours, _theirs = two_stores_with_facts()
    hq = head_office()
    client.force_login(hq)
    client.get(reverse("analytics:hq-dashboard"))  # warm the session and the content types
    with django_assert_max_num_queries(14):
        assert client.get(reverse("analytics:store-dashboard"), {"store": ours.pk}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("analytics:hq-dashboard")).status_code == 200
