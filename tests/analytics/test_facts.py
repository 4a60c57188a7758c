"""Daily facts: what counts on which day, exact sums equal to aggregates over the orders, idempotent rebuilds."""

import datetime as dt
import random
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from analytics.models import DailyHourFact, DailyProductFact, DailyStoreFact, FactBuild
from analytics.services.facts import (
    build_facts,
    build_recent_facts,
    days_to_rebuild,
    shop_today,
)
from orders.models import Order, OrderLine, Refund
from tests.analytics.orders_for_facts import (
    at,
    make_order,
    member,
    products,
    random_money,
    refund,
)
from tests.factories import StoreFactory

D = Decimal
DAY = dt.date(2026, 11, 10)
pytestmark = pytest.mark.django_db


def store_fact(day, store, channel):
    return DailyStoreFact.objects.get(day=day, store=store, channel=channel)


def test_a_paid_order_counts_on_its_paid_day_in_shanghai_time_not_utc():
    store = StoreFactory()
    [variant] = products(1)
    # 00:30 in Shanghai is still the day before in UTC.
    make_order(user=member("a"), store=store, variants=[variant], paid_at=at(DAY, 0, 30))
    build_facts(first_day=DAY - dt.timedelta(days=1), last_day=DAY)
    fact = store_fact(DAY, store, "delivery")
    assert (fact.orders, fact.gross, fact.net) == (1, D("50.00"), D("50.00"))
    assert not DailyStoreFact.objects.filter(day=DAY - dt.timedelta(days=1)).exists()
    assert DailyHourFact.objects.get(day=DAY, store=store).hour == 0


def test_cash_on_delivery_counts_on_completion_and_an_order_cancelled_before_payment_never_counts():
    store = StoreFactory()
    [variant] = products(1)
    make_order(user=member("cod"), store=store, variants=[variant], status=Order.Status.COMPLETED,
               payment_method="cod", completed_at=at(DAY, 18))
    make_order(user=member("gone"), store=store, variants=[variant], status=Order.Status.CANCELLED)
    make_order(user=member("waiting"), store=store, variants=[variant], status=Order.Status.PENDING_PAYMENT)
    build_facts(first_day=DAY)
    assert DailyStoreFact.objects.get().orders == 1
    assert FactBuild.objects.get(day=DAY).orders_seen == 1


def test_channels_are_counter_pickup_and_delivery():
    store = StoreFactory()
    [variant] = products(1)
    for name, channel, fulfilment in [("c", "counter", "pickup"), ("p", "online", "pickup"), ("d", "online", "delivery")]:
        make_order(user=member(name), store=store, variants=[variant], paid_at=at(DAY), channel=channel,
                   fulfilment=fulfilment)
    build_facts(first_day=DAY)
    assert sorted(DailyStoreFact.objects.values_list("channel", "orders")) == [
        ("counter", 1), ("delivery", 1), ("pickup", 1)]


def test_a_refund_counts_on_its_own_day_in_the_orders_store_and_channel_and_a_failed_one_not_at_all():
    store = StoreFactory()
    [variant] = products(1)
    order = make_order(user=member("r"), store=store, variants=[variant], paid_at=at(DAY), fulfilment="pickup",
                       quantities=[2])
    later = DAY + dt.timedelta(days=3)
    refund(order, when=at(later, 9))
    refund(order, when=at(later, 10), status=Refund.Status.FAILED)
    build_facts(first_day=DAY, last_day=later)
    sale, back = store_fact(DAY, store, "pickup"), store_fact(later, store, "pickup")
    assert (sale.orders, sale.net, sale.refunds) == (1, D("100.00"), D("0.00"))
    assert (back.orders, back.net, back.refunds, back.refunded_orders) == (0, D("0.00"), D("50.00"), 1)
    product_back = DailyProductFact.objects.get(day=later)
    assert (product_back.refunded_units, product_back.refunds, product_back.units) == (1, D("50.00"), 0)


def test_discounts_by_kind_points_shipping_and_wallet_add_up_and_a_floor_is_netted_into_coupons():
    store = StoreFactory()
    a, b = products(2, price=D("30.00"))
    make_order(user=member("m"), store=store, variants=[a, b], paid_at=at(DAY), shipping=D("8.00"),
               wallet=D("10.00"), discounts=[(D("3.00"), D("5.00"), D("2.00")), (D("3.00"), D("0.00"), D("1.00"))],
               points=[D("1.50"), D("0.50")])
    make_order(user=member("f"), store=store, variants=[a], paid_at=at(DAY), coupon_kind="floor",
               discounts=[(D("0"), D("0"), D("0"))])
    build_facts(first_day=DAY)
    fact = store_fact(DAY, store, "delivery")
    assert (fact.gross, fact.discount_tier, fact.discount_promotion, fact.discount_coupon) == (
        D("90.00"), D("6.00"), D("5.00"), D("3.00"))
    assert (fact.points_value, fact.shipping, fact.wallet_used) == (D("2.00"), D("8.00"), D("10.00"))
    assert fact.gross - fact.discount_tier - fact.discount_promotion - fact.discount_coupon - fact.points_value == fact.net
    assert fact.average_order_value == (fact.net / 2).quantize(D("0.01"))


def test_a_customer_is_new_on_their_first_paid_order_ever_and_returning_after():
    store = StoreFactory()
    [variant] = products(1)
    old, fresh = member("old"), member("fresh")
    make_order(user=old, store=store, variants=[variant], paid_at=at(DAY - dt.timedelta(days=30)))
    make_order(user=old, store=store, variants=[variant], paid_at=at(DAY))
    make_order(user=fresh, store=store, variants=[variant], paid_at=at(DAY, 9))
    make_order(user=fresh, store=store, variants=[variant], paid_at=at(DAY, 15))
    # Never paid: does not make the fresh customer's first order a returning one.
    make_order(user=old, store=store, variants=[variant], status=Order.Status.CANCELLED)
    build_facts(first_day=DAY)
    fact = store_fact(DAY, store, "delivery")
    assert (fact.orders, fact.customers, fact.new_customers, fact.returning_customers) == (3, 2, 1, 1)


def test_facts_equal_direct_aggregates_over_the_orders_on_random_orders_with_refunds_and_discounts():
    rng = random.Random(12)
    stores = [StoreFactory() for _ in range(3)]
    variants = products(4, price=D("19.90"))
    members = [member(f"rand{n}") for n in range(8)]
    first, last = DAY, DAY + dt.timedelta(days=4)
    for n in range(60):
        day = first + dt.timedelta(days=rng.randint(0, 4))
        chosen = rng.sample(variants, rng.randint(1, 3))
        quantities = [rng.randint(1, 3) for _ in chosen]
        discounts = [(random_money(rng, 0, 300), random_money(rng, 0, 200), random_money(rng, 0, 100)) for _ in chosen]
        points = [random_money(rng, 0, 99) for _ in chosen]
        paid = at(day, rng.randint(0, 23), rng.randint(0, 59))
        cod = rng.random() < 0.15
        order = make_order(
            user=rng.choice(members), store=rng.choice(stores), variants=chosen, quantities=quantities,
            discounts=discounts, points=points, shipping=random_money(rng, 0, 1200), wallet=random_money(rng, 0, 2000),
            channel=rng.choice(["online", "online", "counter"]), fulfilment=rng.choice(["delivery", "pickup"]),
            paid_at=None if cod else paid, completed_at=paid if cod else None, payment_method="cod" if cod else "online",
            status=Order.Status.COMPLETED if cod else Order.Status.PAID,
        )
        if rng.random() < 0.3:
            refund(order, when=paid + dt.timedelta(days=rng.randint(0, 2)),
                   status=rng.choice([Refund.Status.SUCCEEDED, Refund.Status.PENDING, Refund.Status.FAILED]))
    for _ in range(5):
        make_order(user=rng.choice(members), store=rng.choice(stores), variants=variants[:1], status=Order.Status.CANCELLED)
    build_facts(first_day=first, last_day=last + dt.timedelta(days=2))

    facts = DailyStoreFact.objects.aggregate(
        orders=Sum("orders"), units=Sum("units"), gross=Sum("gross"), net=Sum("net"), points=Sum("points_value"),
        shipping=Sum("shipping"), wallet=Sum("wallet_used"), refunds=Sum("refunds"),
        discounts=Sum(F("discount_tier") + F("discount_promotion") + F("discount_coupon")),
    )
    sold = Order.objects.annotate(sale_at=Coalesce("paid_at", "completed_at")).filter(sale_at__isnull=False)
    lines = OrderLine.objects.filter(order__in=sold)
    expected_lines = lines.aggregate(units=Sum("quantity"), gross=Sum("line_total"), net=Sum("net_total"),
                                     points=Sum("points_value"), discounts=Sum("discount"))
    expected_orders = sold.aggregate(shipping=Sum("shipping_fee"), wallet=Sum("wallet_amount"))
    expected_refunds = Refund.objects.exclude(status=Refund.Status.FAILED).aggregate(total=Sum("amount"))["total"]
    assert facts["orders"] == sold.count()
    assert {k: facts[k] for k in ("units", "gross", "net", "points", "discounts")} == expected_lines
    assert (facts["shipping"], facts["wallet"], facts["refunds"]) == (
        expected_orders["shipping"], expected_orders["wallet"], expected_refunds)
    # Per key, too: each store's net on each shop day equals the orders' net of that store and day.
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT (COALESCE(o.paid_at, o.completed_at) AT TIME ZONE 'Asia/Shanghai')::date, o.store_id,
                      SUM(l.net_total), SUM(l.line_total)
               FROM orders_order o JOIN orders_orderline l ON l.order_id = o.id
               WHERE COALESCE(o.paid_at, o.completed_at) IS NOT NULL GROUP BY 1, 2"""
        )
        by_key = {(day, store): (net, gross) for day, store, net, gross in cursor.fetchall()}
    built = {}
    for row in DailyStoreFact.objects.filter(orders__gt=0).values("day", "store_id").annotate(n=Sum("net"), g=Sum("gross")):
        built[(row["day"], row["store_id"])] = (row["n"], row["g"])
    assert built == by_key
    products_net = DailyProductFact.objects.aggregate(net=Sum("net"), units=Sum("units"), refunds=Sum("refunds"))
    assert (products_net["net"], products_net["units"]) == (expected_lines["net"], expected_lines["units"])
    assert products_net["refunds"] == expected_refunds
    assert DailyHourFact.objects.aggregate(net=Sum("net"))["net"] == expected_lines["net"]
    assert all(isinstance(value, Decimal) for key, value in facts.items() if key not in ("orders", "units"))


def test_rebuilding_a_day_gives_the_same_rows_and_removes_rows_without_orders_left():
    store, other = StoreFactory(), StoreFactory()
    [variant] = products(1)
    make_order(user=member("x"), store=store, variants=[variant], paid_at=at(DAY))
    moved = make_order(user=member("y"), store=other, variants=[variant], paid_at=at(DAY))
    build_facts(first_day=DAY)
    before = list(DailyStoreFact.objects.values_list("store", "channel", "orders", "net"))
    build_facts(first_day=DAY)
    assert list(DailyStoreFact.objects.values_list("store", "channel", "orders", "net")) == before
    assert DailyStoreFact.objects.count() == 2
    # The other store's only order turns out to have been paid the next day.
    Order.objects.filter(pk=moved.pk).update(paid_at=at(DAY + dt.timedelta(days=1)))
    build_facts(first_day=DAY)
    assert list(DailyStoreFact.objects.filter(day=DAY).values_list("store", flat=True)) == [store.pk]
    assert DailyProductFact.objects.filter(day=DAY).count() == 1
    assert DailyHourFact.objects.filter(day=DAY).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_builds_of_the_same_days_at_once_leave_one_row_each_with_the_same_figures():
    store = StoreFactory()
    variants = products(2)
    for n in range(6):
        make_order(user=member(f"t{n}"), store=store, variants=variants, paid_at=at(DAY, n))
    errors = []

    def build():
        try:
            build_facts(first_day=DAY, last_day=DAY + dt.timedelta(days=1))
        except Exception as err:  # noqa: BLE001 - the assertion below shows it
            errors.append(err)
        finally:
            connection.close()

    threads = [threading.Thread(target=build) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fact = DailyStoreFact.objects.get()
    assert (fact.orders, fact.net) == (6, D("600.00"))
    assert DailyProductFact.objects.count() == 2
    assert DailyHourFact.objects.count() == 6
    assert FactBuild.objects.count() == 2


def test_the_nightly_build_catches_up_missed_days_and_corrects_a_past_day_after_a_late_order_or_refund():
    store = StoreFactory()
    [variant] = products(1)
    today = shop_today()
    past = today - dt.timedelta(days=10)
    old = make_order(user=member("early"), store=store, variants=[variant], paid_at=at(past))
    built = build_recent_facts(today=today)
    assert past in built and today in built
    assert store_fact(past, store, "delivery").orders == 1
    assert days_to_rebuild(today=today) == [today - dt.timedelta(days=n) for n in (2, 1, 0)]
    # A counter sale of a past day recorded only now corrects that day on the next run.
    late_day = today - dt.timedelta(days=6)
    make_order(user=member("late"), store=store, variants=[variant], paid_at=at(late_day), channel="counter")
    assert late_day in days_to_rebuild(today=today)
    build_recent_facts(today=today)
    assert store_fact(late_day, store, "counter").orders == 1
    # A refund decided now for the old order counts today, and today is rebuilt.
    refund(old, when=timezone.now())
    build_recent_facts(today=today)
    assert store_fact(today, store, "delivery").refunds == D("50.00")
    # The scheduler missed a day: it has no FactBuild and is built on the next run.
    FactBuild.objects.filter(day=today - dt.timedelta(days=5)).delete()
    assert today - dt.timedelta(days=5) in days_to_rebuild(today=today)
