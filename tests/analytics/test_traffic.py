"""Traffic: page views, visitors and the funnel counted without a database write per request."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from analytics.models import DailyFunnel, DailyTraffic
from analytics.services import traffic
from analytics.services.facts import shop_today
from analytics.services.traffic import (
    ALL_SOURCES,
    Hit,
    flush_traffic,
    record_hit,
    visitor_hash,
)
from tests.analytics.orders_for_facts import at, make_order, member, products
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Safari/604.1"


@pytest.fixture(autouse=True)
def _fresh_counts():
    traffic._local.clear()
    yield
    traffic._local.clear()


def test_a_page_view_makes_no_database_query_and_is_written_by_the_flush(client):
    client.get(reverse("home"), HTTP_USER_AGENT=BROWSER)  # warm up (session, caches)
    traffic._local.clear()
    from django.http import HttpResponse
    from django.test import RequestFactory
    from django.urls import resolve

    from analytics.middleware import TrafficMiddleware

    request = RequestFactory().get("/", HTTP_USER_AGENT=BROWSER)
    request.resolver_match = resolve("/")
    response = HttpResponse("<p>home</p>", content_type="text/html")
    middleware = TrafficMiddleware(lambda r: response)
    with CaptureQueriesContext(connection) as queries:
        middleware(request)
    assert len(queries) == 0
    assert "shop_vid" in response.cookies
    flush_traffic()
    row = DailyTraffic.objects.get(day=shop_today(), page_type="home", source="")
    assert (row.page_views, row.visitors) == (1, 1)


def test_bots_static_files_and_the_back_office_are_not_counted(client):
    client.get(reverse("home"), HTTP_USER_AGENT="Googlebot/2.1 (+http://www.google.com/bot.html)")
    client.get(reverse("home"))  # no user agent at all
    client.get("/admin/login/", HTTP_USER_AGENT=BROWSER)
    client.get(reverse("healthz"), HTTP_USER_AGENT=BROWSER)
    flush_traffic()
    assert not DailyTraffic.objects.exists()


def test_visitors_are_unique_per_day_page_type_and_source_and_sources_come_from_utm_or_the_referrer(client):
    client.get(reverse("home") + "?utm_source=WeChat", HTTP_USER_AGENT=BROWSER)
    client.get(reverse("home"), HTTP_USER_AGENT=BROWSER)  # same visitor, source remembered for the session
    other = type(client)()
    other.get(reverse("home"), HTTP_USER_AGENT=BROWSER, HTTP_REFERER="https://www.baidu.com/s?wd=shop")
    flush_traffic()
    rows = {(r.page_type, r.source): (r.page_views, r.visitors) for r in DailyTraffic.objects.all()}
    assert rows == {("home", "wechat"): (2, 1), ("home", "www.baidu.com"): (1, 1)}
    # A second flush adds nothing it already wrote.
    flush_traffic()
    assert DailyTraffic.objects.get(source="wechat").page_views == 2


def test_nothing_personal_is_kept_for_a_guest():
    day = shop_today()
    hashed = visitor_hash("a" * 32, day)
    assert "a" * 32 not in hashed and hashed != visitor_hash("a" * 32, day + dt.timedelta(days=1))
    record_hit(Hit(day=day, page_type="home", source="", visitor=hashed))
    assert all("127.0.0.1" not in str(key) for key in traffic._local.views)


def test_the_funnel_counts_product_views_carts_and_checkouts_by_source_and_paid_orders_from_the_orders():
    day = shop_today()
    for n in range(3):
        record_hit(Hit(day=day, page_type="product", source="weibo", visitor=f"v{n}"))
    record_hit(Hit(day=day, page_type="cart", source="weibo", visitor="v0", step="add_to_cart", counts_view=False))
    record_hit(Hit(day=day, page_type="checkout", source="weibo", visitor="v0", step="checkout_started"))
    [variant] = products(1)
    make_order(user=member("payer"), store=StoreFactory(), variants=[variant], paid_at=at(day, 0, 5))
    flush_traffic()
    weibo = DailyFunnel.objects.get(day=day, source="weibo")
    assert (weibo.product_views, weibo.add_to_cart, weibo.checkout_started) == (3, 1, 1)
    everyone = DailyFunnel.objects.get(day=day, source=ALL_SOURCES)
    assert (everyone.product_views, everyone.add_to_cart, everyone.checkout_started, everyone.paid) == (3, 1, 1, 1)


def test_counts_kept_in_memory_during_an_outage_reach_redis_when_it_is_back(settings, monkeypatch):
    import redis as redis_lib

    url = settings.REDIS_URL if getattr(settings, "REDIS_URL", None) else None
    if not url:
        pytest.skip("needs the test Redis")
    client = redis_lib.Redis.from_url(url)
    client.flushdb()
    day = shop_today()
    monkeypatch.setattr(traffic, "_redis", lambda: None)
    record_hit(Hit(day=day, page_type="search", source="", visitor="x1"))
    monkeypatch.setattr(traffic, "_redis", lambda: client)
    record_hit(Hit(day=day, page_type="search", source="", visitor="x2"))
    assert traffic._local.is_empty
    flush_traffic()
    row = DailyTraffic.objects.get(day=day, page_type="search")
    assert (row.page_views, row.visitors) == (2, 2)
    client.flushdb()
