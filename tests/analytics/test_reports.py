"""Reports: periods with their change, regions, hours, products, customers, campaigns and staff — each scoped."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from analytics import selectors
from analytics.models import DailyProductFact
from tests.analytics.facts_data import (
    head_office,
    manager_of,
    store_fact,
    two_stores_with_facts,
)
from tests.factories import ProductFactory, StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db
REPORTS = list(selectors.REPORTS)
# What a store manager may open: every report but head office's chain-wide ones (traffic has no store).
STORE_REPORTS = [name for name in REPORTS if name not in selectors.HQ_ONLY_REPORTS]


def test_the_sales_report_groups_by_month_and_shows_the_change_on_the_month_before():
    store = StoreFactory()
    store_fact(store, date(2026, 1, 5), net="100.00")
    store_fact(store, date(2026, 1, 20), net="100.00")
    store_fact(store, date(2026, 2, 3), net="300.00")
    [table] = selectors.sales_report([store.pk], date(2026, 1, 1), date(2026, 2, 28), "month")
    assert [row[0] for row in table.rows] == ["2026-01", "2026-02"]
    assert table.rows[0][4] == Decimal("200.00") and table.rows[0][-1] is None
    assert table.rows[1][4] == Decimal("300.00") and table.rows[1][-1] == Decimal("50.0")


@pytest.mark.parametrize("period, first_label", [("day", "2026-01-05"), ("week", "2026-W02"),
                                                 ("quarter", "2026-Q1"), ("year", "2026")])
def test_the_sales_report_labels_each_period_kind(period, first_label):
    store = StoreFactory()
    store_fact(store, date(2026, 1, 5))
    [table] = selectors.sales_report([store.pk], date(2026, 1, 1), date(2026, 12, 31), period)
    assert table.rows[0][0] == first_label


def test_the_product_report_computes_sell_through_from_stock_on_hand_now_and_the_refund_rate():
    store = StoreFactory()
    variant = stocked_variant(store=store, on_hand=30, name="茶")
    idle = stocked_variant(store=store, on_hand=5, name="无人问津")
    DailyProductFact.objects.create(day=date(2026, 3, 1), store=store, product=variant.product, units=10, orders=8,
                                    net=Decimal("90.00"), refunded_units=1, refunds=Decimal("9.00"))
    top, slow = selectors.product_report([store.pk], date(2026, 3, 1), date(2026, 3, 31))
    assert top.rows == [["茶", 10, Decimal("90.00"), 30, Decimal("25.0"), 1, Decimal("10.0")]]
    assert slow.rows[0][0] == idle.product.name and slow.rows[0][1] == 0 and slow.rows[0][4] == Decimal("0.0")


def test_the_region_report_takes_the_province_from_the_stores_region():
    ours, theirs = two_stores_with_facts(days=2)
    regions, _stores = selectors.region_report([ours.pk, theirs.pk], selectors.today() - timedelta(days=2),
                                              selectors.today())
    assert [row[0] for row in regions.rows] == ["广东省", "上海市"]
    assert selectors.province_of("北京市 朝阳区") == "北京市" and selectors.province_of("")  # a label, never blank


def test_the_hour_report_has_all_twenty_four_hours():
    ours, _theirs = two_stores_with_facts(days=1)
    [table] = selectors.hour_report([ours.pk], selectors.today() - timedelta(days=1), selectors.today())
    assert len(table.rows) == 24 and table.rows[10][2] == Decimal("100.00") and table.rows[10][3] == Decimal("100.0")


def test_the_campaign_report_divides_revenue_by_discount_for_orders_of_the_viewers_stores():
    from marketing.models import Promotion, PromotionUse
    from orders.models import Order

    ours, theirs = StoreFactory(), StoreFactory()
    from django.utils import timezone

    promotion = Promotion.objects.create(name="满100减10", kind=Promotion.Kind.THRESHOLD, starts_at=timezone.now(),
                                         ends_at=timezone.now() + timedelta(days=1))
    for store in (ours, theirs):
        order = Order.objects.create(number=f"N{store.pk}", user=head_office(f"buyer{store.pk}"), status="paid",
                                     fulfilment="delivery", payment_method="online", store=store,
                                     checkout_token=f"00000000-0000-0000-0000-00000000000{store.pk % 10}",
                                     recipient="x", phone="1", subtotal=Decimal(100), total=Decimal(90))
        PromotionUse.objects.create(promotion=promotion, order_number=order.number, discount=Decimal("10.00"),
                                    order_total=Decimal("90.00"))
    [table] = selectors.campaign_report([ours.pk], selectors.today() - timedelta(days=1), selectors.today())
    [row] = table.rows
    assert row[:1] + row[2:] == ["满100减10", None, 1, Decimal("10.00"), Decimal("90.00"), Decimal("9.00")]


def test_the_staff_report_credits_counter_and_share_link_sales_to_the_staff_member(django_user_model):
    from orders.models import Order

    store = StoreFactory()
    clerk = django_user_model.objects.create_user(username="clerk", password="x", first_name="小红", last_name="王")
    buyer = django_user_model.objects.create_user(username="buyer", password="x")
    for n, channel in enumerate(["counter", "online", "online"]):
        Order.objects.create(number=f"S{n}", user=buyer, status="completed", fulfilment="pickup",
                             payment_method="online", store=store, channel=channel, sales_staff=clerk,
                             checkout_token=f"00000000-0000-0000-0000-0000000000a{n}", recipient="x", phone="1",
                             subtotal=Decimal(50), total=Decimal("50.00"))
    [table] = selectors.staff_report([store.pk], selectors.today(), selectors.today())
    assert table.rows == [["王 小红", 3, 1, 2, Decimal("150.00"), Decimal("100.0")]]


def test_the_customer_report_counts_new_and_returning_from_facts_and_tiers_from_members():
    ours, _theirs = two_stores_with_facts(days=2)
    mix, repeat, _tiers, bands = selectors.customer_report([ours.pk], selectors.today() - timedelta(days=2),
                                                          selectors.today())
    assert mix.rows == [[4, 2, 2, Decimal("50.0")]]
    assert repeat.rows == [[0, 0, None]]
    assert next(row[0] for row in bands.rows) == "0–500"


@pytest.mark.parametrize("name", STORE_REPORTS)
def test_every_report_page_opens_for_a_store_manager_with_only_their_store(client, name):
    ours, _theirs = two_stores_with_facts(days=3)
    client.force_login(manager_of(ours))
    response = client.get(reverse("analytics:report", args=[name]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "天河店" not in html and "别人的咖啡" not in html and "7777" not in html and "广东省" not in html


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_answers_a_forged_store_with_a_404(client, name):
    ours, theirs = two_stores_with_facts(days=1)
    client.force_login(manager_of(ours))
    assert client.get(reverse("analytics:report", args=[name]), {"store": theirs.pk}).status_code == 404


def test_an_unknown_report_is_a_404_and_bad_dates_are_a_form_error(client):
    two_stores_with_facts(days=1)
    client.force_login(head_office())
    assert client.get(reverse("analytics:report", args=["nope"])).status_code == 404
    response = client.get(reverse("analytics:report", args=["sales"]), {"start": "2026-02-01", "end": "2026-01-01",
                                                                         "period": "century"})
    assert response.status_code == 200 and response.context["tables"] == []


def test_head_office_sees_every_store_in_the_region_report(client):
    two_stores_with_facts(days=2)
    client.force_login(head_office())
    html = client.get(reverse("analytics:report", args=["regions"])).content.decode()
    assert "天河店" in html and "徐汇店" in html and 'id="chart-regions"' in html


def test_the_report_index_lists_every_report(client):
    ours, _theirs = two_stores_with_facts(days=1)
    client.force_login(manager_of(ours))
    html = client.get(reverse("analytics:reports")).content.decode()
    for name in STORE_REPORTS:
        assert reverse("analytics:report", args=[name]) in html


def test_a_product_without_facts_and_stock_is_not_in_the_product_report():
    store = StoreFactory()
    ProductFactory()
    top, slow = selectors.product_report([store.pk], date(2026, 1, 1), date(2026, 1, 2))
    assert top.rows == [] and slow.rows == []
