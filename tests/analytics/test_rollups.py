"""Monthly roll-ups: always the sum of their days, corrected with them, and read by the dashboards over long ranges."""

import datetime as dt
import json
import re
import random
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.db.models.functions import TruncMonth

from analytics import selectors
from analytics.models import STORE_FIGURES, DailyHourFact, DailyStoreFact, MonthlyHourFact, MonthlyStoreFact
from analytics.services.facts import build_facts
from orders.models import Order
from tests.analytics.orders_for_facts import at, make_order, member, products, random_money, refund
from tests.factories import StoreFactory

D = Decimal
pytestmark = pytest.mark.django_db


def daily_sums_by_month():
    return {
        (row["month"], row["store_id"], row["channel"]): tuple(row[name] for name in STORE_FIGURES)
        for row in DailyStoreFact.objects.annotate(month=TruncMonth("day")).values("month", "store_id", "channel")
        .annotate(**{name: Sum(name) for name in STORE_FIGURES}).order_by()
    }


def monthly_rows():
    return {(row["month"], row["store_id"], row["channel"]): tuple(row[name] for name in STORE_FIGURES)
            for row in MonthlyStoreFact.objects.values("month", "store_id", "channel", *STORE_FIGURES)}


def hour_sums_by_month():
    return {(row["month"], row["store_id"], row["hour"]): (row["o"], row["n"])
            for row in DailyHourFact.objects.annotate(month=TruncMonth("day")).values("month", "store_id", "hour")
            .annotate(o=Sum("orders"), n=Sum("net")).order_by()}


def test_each_month_row_equals_the_sum_of_its_days_on_random_orders_with_refunds_and_discounts():
    rng = random.Random(7)
    stores = [StoreFactory() for _ in range(3)]
    variants = products(3, price=D("29.90"))
    buyers = [member(f"m{n}") for n in range(6)]
    first = dt.date(2026, 9, 20)
    for _ in range(50):
        paid = at(first + dt.timedelta(days=rng.randint(0, 45)), rng.randint(0, 23))
        chosen = rng.sample(variants, rng.randint(1, 2))
        order = make_order(user=rng.choice(buyers), store=rng.choice(stores), variants=chosen, paid_at=paid,
                           discounts=[(random_money(rng, 0, 300), D(0), random_money(rng, 0, 100)) for _ in chosen],
                           channel=rng.choice(["online", "counter"]), shipping=random_money(rng, 0, 800))
        if rng.random() < 0.3:
            refund(order, when=paid + dt.timedelta(days=rng.randint(0, 3)))
    build_facts(first_day=first, last_day=first + dt.timedelta(days=50))

    assert monthly_rows() == daily_sums_by_month()
    assert {(r.month, r.store_id, r.hour): (r.orders, r.net) for r in MonthlyHourFact.objects.all()} == \
        hour_sums_by_month()
    assert {row[0] for row in monthly_rows()} == {dt.date(2026, 9, 1), dt.date(2026, 10, 1), dt.date(2026, 11, 1)}


def test_a_late_refund_for_a_past_day_corrects_its_month_when_that_day_is_rebuilt():
    store = StoreFactory()
    [variant] = products(1)
    day = dt.date(2026, 10, 12)
    order = make_order(user=member("late"), store=store, variants=[variant], paid_at=at(day))
    make_order(user=member("early"), store=store, variants=[variant], paid_at=at(day + dt.timedelta(days=5)))
    build_facts(first_day=dt.date(2026, 10, 1), last_day=dt.date(2026, 10, 31))
    month = MonthlyStoreFact.objects.get(month=dt.date(2026, 10, 1), store=store, channel="delivery")
    assert (month.orders, month.net, month.refunds) == (2, D("100.00"), D("0.00"))

    refund(order, when=at(day, 18))  # recorded late, for that day
    build_facts(first_day=day)  # the nightly catch-up rebuilds that one day only

    month.refresh_from_db()
    assert (month.orders, month.net, month.refunds) == (2, D("100.00"), D("50.00"))
    assert monthly_rows() == daily_sums_by_month()


def test_a_month_left_without_any_sale_loses_its_roll_up_rows():
    store = StoreFactory()
    [variant] = products(1)
    order = make_order(user=member("gone"), store=store, variants=[variant], paid_at=at(dt.date(2026, 8, 30), 10))
    build_facts(first_day=dt.date(2026, 8, 30))
    assert MonthlyStoreFact.objects.filter(month=dt.date(2026, 8, 1)).exists()
    assert MonthlyHourFact.objects.filter(month=dt.date(2026, 8, 1)).exists()

    Order.objects.filter(pk=order.pk).update(paid_at=at(dt.date(2026, 9, 2), 10))  # it was paid in September
    build_facts(first_day=dt.date(2026, 8, 30), last_day=dt.date(2026, 9, 2))

    assert not MonthlyStoreFact.objects.filter(month=dt.date(2026, 8, 1)).exists()
    assert not MonthlyHourFact.objects.filter(month=dt.date(2026, 8, 1)).exists()
    assert MonthlyStoreFact.objects.get(month=dt.date(2026, 9, 1)).orders == 1


def test_a_range_read_from_months_and_edge_days_gives_the_same_figures_as_the_days_alone():
    rng = random.Random(3)
    stores = [StoreFactory(region=region) for region in ("上海市 徐汇区", "上海市 静安区", "浙江省 杭州市")]
    variants = products(2, price=D("12.30"))
    buyers = [member(f"r{n}") for n in range(5)]
    first, last = dt.date(2026, 6, 1), dt.date(2026, 11, 25)
    for _ in range(80):
        paid = at(first + dt.timedelta(days=rng.randint(0, (last - first).days)), rng.randint(8, 21))
        order = make_order(user=rng.choice(buyers), store=rng.choice(stores), variants=rng.sample(variants, 1),
                           paid_at=paid, channel=rng.choice(["online", "counter"]),
                           fulfilment=rng.choice(["delivery", "pickup"]))
        if rng.random() < 0.2:
            refund(order, when=paid)
    build_facts(first_day=first, last_day=last)
    ids = [store.pk for store in stores]
    start, end = dt.date(2026, 6, 17), dt.date(2026, 11, 9)  # partial June and November, whole July–October

    days, months = selectors.month_spans(start, end)
    assert days == [(dt.date(2026, 6, 17), dt.date(2026, 6, 30)), (dt.date(2026, 11, 1), dt.date(2026, 11, 9))]
    assert months == (dt.date(2026, 7, 1), dt.date(2026, 10, 1))
    data = selectors.hq_dashboard(ids, start, end)
    direct = selectors.facts(ids, start, end).aggregate(**selectors.FACT_SUMS)
    assert {key: data["totals"][key] for key in direct} == direct
    assert data["trend_by"] == "month" and len(data["trend"]) == 6
    assert sum(row["net"] for row in data["trend"]) == direct["net"]
    for row in data["stores"]:
        assert row["net"] == selectors.facts([row["store"].pk], start, end).aggregate(n=Sum("net"))["n"] or D("0.00")
    by_channel = {row["channel"]: row["orders"] for row in data["channels"]}
    for channel, orders in by_channel.items():
        assert orders == (selectors.facts(ids, start, end).filter(channel=channel).aggregate(n=Sum("orders"))["n"] or 0)
    hours = DailyHourFact.objects.filter(store_id__in=ids, day__gte=start, day__lte=end).values("hour") \
        .annotate(n=Sum("net")).order_by()
    assert {row["hour"]: row["net"] for row in data["hours"] if row["net"]} == {row["hour"]: row["n"] for row in hours}
    [table] = selectors.sales_report(ids, start, end, "quarter")
    assert [row[0] for row in table.rows] == ["2026-Q2", "2026-Q3", "2026-Q4"]
    assert sum(row[4] for row in table.rows) == direct["net"]


def test_the_trend_is_per_day_up_to_a_quarter_and_per_month_beyond():
    store = StoreFactory()
    end = dt.date(2026, 11, 30)
    assert selectors.trend([store.pk], end - dt.timedelta(days=91), end)[0] == "day"
    by, rows = selectors.trend([store.pk], end - dt.timedelta(days=92), end)
    assert by == "month" and [row["day"] for row in rows][:2] == [dt.date(2026, 8, 1), dt.date(2026, 9, 1)]


@pytest.mark.parametrize(("start", "end", "days", "months"), [
    (dt.date(2026, 3, 1), dt.date(2026, 3, 31), [], (dt.date(2026, 3, 1), dt.date(2026, 3, 1))),
    (dt.date(2026, 3, 2), dt.date(2026, 3, 31), [(dt.date(2026, 3, 2), dt.date(2026, 3, 31))], None),
    (dt.date(2026, 2, 10), dt.date(2026, 2, 20), [(dt.date(2026, 2, 10), dt.date(2026, 2, 20))], None),
    (dt.date(2025, 12, 31), dt.date(2026, 2, 28), [(dt.date(2025, 12, 31), dt.date(2025, 12, 31))],
     (dt.date(2026, 1, 1), dt.date(2026, 2, 1))),
])
def test_a_range_splits_into_whole_months_and_the_days_around_them(start, end, days, months):
    assert selectors.month_spans(start, end) == (days, months)


def test_a_month_the_range_cuts_is_starred_on_the_hq_dashboards_trend(client):
    from django.urls import reverse

    from tests.analytics.facts_data import head_office

    store = StoreFactory()
    client.force_login(head_office())
    response = client.get(reverse("analytics:hq-dashboard"), {"start": "2025-12-15", "end": "2026-11-30",
                                                              "store": store.pk})
    trend = response.context["trend"]
    assert [row["is_partial"] for row in trend] == [True] + [False] * 11
    labels = json.loads(re.search(r'<script id="chart-trend" type="application/json">(.*?)</script>',
                                  response.content.decode(), re.DOTALL)[1])["labels"]
    assert labels[0] == "2025-12*" and labels[-1] == "2026-11"


def test_the_totals_of_a_range_over_months_and_days_are_one_row_equal_to_the_days_sum():
    from tests.analytics.facts_data import store_fact

    store = StoreFactory()
    for day in (dt.date(2026, 3, 30), dt.date(2026, 4, 2), dt.date(2026, 4, 29), dt.date(2026, 5, 3)):
        store_fact(store, day, net="10.00", orders=1)
    totals = selectors.fact_totals([store.pk], dt.date(2026, 3, 30), dt.date(2026, 5, 3))
    assert (totals["orders"], totals["net"]) == (4, D("40.00"))
