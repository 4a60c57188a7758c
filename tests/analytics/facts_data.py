"""Fact rows and people for the dashboard, report and export tests, written directly (no facts build needed).

Each helper that writes a daily row also rolls its month up (as the facts build does), so reads over whole
months find the same figures in the monthly roll-ups.
"""

from datetime import timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model

from analytics import selectors
from analytics.models import DailyHourFact, DailyProductFact, DailyStoreFact
from analytics.services.facts import roll_up_months
from stores.models import StoreStaff
from tests.factories import ProductFactory, StoreFactory


def head_office(username="hq"):
    return get_user_model().objects.create_superuser(username=username, password="x", email=f"{username}@example.com")


def manager_of(store, username="manager"):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    StoreStaff.objects.create(store=store, user=user, role=StoreStaff.Role.MANAGER)
    return user


def store_fact(store, day, channel=DailyStoreFact.Channel.DELIVERY, *, orders=2, net="100.00", **fields):
    net = Decimal(net)
    fact = DailyStoreFact.objects.create(day=day, store=store, channel=channel, orders=orders, units=orders * 2,
                                         gross=net + Decimal("10.00"), net=net, customers=orders,
                                         new_customers=1, returning_customers=orders - 1, **fields)
    roll_up_months(first_day=day, last_day=day)
    return fact


def hour_fact(store, day, hour, *, orders=2, net="100.00"):
    fact = DailyHourFact.objects.create(day=day, store=store, hour=hour, orders=orders, net=Decimal(net))
    roll_up_months(first_day=day, last_day=day)
    return fact


def two_stores_with_facts(days=30):
    """Two stores in two provinces, each with facts for the last ``days`` days (ours sells 100, theirs 7,777)."""
    ours = StoreFactory(name="徐汇店", region="上海市 徐汇区")
    theirs = StoreFactory(name="天河店", region="广东省 广州市")
    product = ProductFactory(name="我们的茶")
    other_product = ProductFactory(name="别人的咖啡")
    yesterday = selectors.today() - timedelta(days=1)
    for n in range(days):
        day = yesterday - timedelta(days=n)
        store_fact(ours, day, net="100.00")
        store_fact(theirs, day, net="7777.00", channel=DailyStoreFact.Channel.COUNTER)
        DailyProductFact.objects.create(day=day, store=ours, product=product, units=3, orders=2,
                                        gross=Decimal("60.00"), net=Decimal("50.00"))
        DailyProductFact.objects.create(day=day, store=theirs, product=other_product, units=9, orders=5,
                                        gross=Decimal("900.00"), net=Decimal("880.00"))
        DailyHourFact.objects.create(day=day, store=ours, hour=10, orders=2, net=Decimal("100.00"))
        DailyHourFact.objects.create(day=day, store=theirs, hour=15, orders=2, net=Decimal("7777.00"))
    roll_up_months(first_day=yesterday - timedelta(days=days), last_day=yesterday)
    return ours, theirs
