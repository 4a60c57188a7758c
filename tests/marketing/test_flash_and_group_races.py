"""Flash quotas and group slots under real concurrency: threads on PostgreSQL, released together."""

import uuid
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from marketing.models import FlashSale, FlashSaleTake, Group, GroupBuy, GroupMember
from marketing.services.flash import FlashSaleError, take_flash_units
from members.services import ensure_member
from orders.exceptions import CheckoutError
from orders.locks import lock_member
from orders.models import Order
from orders.services import add_to_cart, place_order, record_payment
from orders.services.cart import MemberCart
from tests.factories import AddressFactory, stocked_variant
from tests.orders.conftest import delivery_choice
from tests.orders.test_checkout_races import run_together

pytestmark = pytest.mark.django_db(transaction=True)


def members(count, prefix):
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"{prefix}{i}", email=f"{prefix}{i}@example.com") for i in range(count)
    )
    for user in users:
        AddressFactory(user=user, is_default=True)
    return users


def checkout_job(user, express):
    address = user.addresses.get()
    return lambda: place_order(user_id=user.pk, token=uuid.uuid4(), choice=delivery_choice(address, express),
                               expected_total=None)


def test_forty_shoppers_racing_for_ten_flash_units_get_exactly_ten_at_the_flash_price(warehouse, express):
    phone = stocked_variant(store=warehouse, on_hand=100, price=Decimal("99.00"))
    now = timezone.now()
    sale = FlashSale.objects.create(name="秒杀", variant=phone, flash_price=Decimal("1.00"), quota=10,
                                    per_member_limit=1, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    shoppers = members(40, "racer")
    jobs = []
    for user in shoppers:
        add_to_cart(cart=MemberCart(user), variant_id=phone.pk, quantity=1)
        jobs.append(checkout_job(user, express))

    outcomes = run_together(jobs)

    unexpected = [exc for _order, exc in outcomes if exc is not None and not isinstance(exc, CheckoutError)]
    assert unexpected == []
    sale.refresh_from_db()
    flash_lines = Order.objects.filter(lines__unit_price=Decimal("1.00")).count()
    assert sale.taken == 10
    assert flash_lines == 10
    assert FlashSaleTake.objects.aggregate(units=Sum("quantity"))["units"] == 10
    refused = [exc for _order, exc in outcomes if isinstance(exc, CheckoutError)]
    # Losers either were refused (sold out under the lock) or bought later at the normal price.
    assert len(refused) + Order.objects.filter(lines__unit_price=Decimal("99.00")).count() == 30


def test_one_member_with_ten_tabs_gets_the_flash_price_only_up_to_the_limit(warehouse, express):
    phone = stocked_variant(store=warehouse, on_hand=100, price=Decimal("99.00"))
    now = timezone.now()
    sale = FlashSale.objects.create(name="秒杀", variant=phone, flash_price=Decimal("1.00"), quota=50,
                                    per_member_limit=2, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    (user,) = members(1, "tabs")
    ensure_member(user=user)

    def tab(number):
        # Each tab's checkout reaches the take with the member lock held, as place_order does.
        def job():
            with transaction.atomic():
                lock_member(user.pk)
                return take_flash_units(user_id=user.pk, order_number=number, flash_sale_id=sale.pk, quantity=1)
        return job

    outcomes = run_together([tab(f"TAB{i}") for i in range(10)])

    assert [exc for _o, exc in outcomes if exc is not None and not isinstance(exc, FlashSaleError)] == []
    assert sum(1 for _o, exc in outcomes if exc is None) == 2
    sale.refresh_from_db()
    assert sale.taken == 2
    assert FlashSaleTake.objects.filter(user=user).aggregate(units=Sum("quantity"))["units"] == 2


def test_ten_shoppers_racing_for_the_last_slot_of_a_group_give_it_to_exactly_one(warehouse, express):
    tea = stocked_variant(store=warehouse, on_hand=50, price=Decimal("99.00"))
    now = timezone.now()
    campaign = GroupBuy.objects.create(name="三人团", variant=tea, group_price=Decimal("59.00"), group_size=3,
                                       starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    leader, second, *racers = members(12, "grp")
    first = place_order(user_id=leader.pk, token=uuid.uuid4(), expected_total=None,
                        choice=delivery_choice(leader.addresses.get(), express, group_buy_id=campaign.pk))
    place_order(user_id=second.pk, token=uuid.uuid4(), expected_total=None,
                choice=delivery_choice(second.addresses.get(), express, group_buy_id=campaign.pk, group_code=first.group_code))

    def joiner(user):
        address = user.addresses.get()
        return lambda: place_order(
            user_id=user.pk, token=uuid.uuid4(), expected_total=None,
            choice=delivery_choice(address, express, group_buy_id=campaign.pk, group_code=first.group_code),
        )

    outcomes = run_together([joiner(user) for user in racers])

    won = [order for order, exc in outcomes if exc is None]
    errors = Counter(type(exc).__name__ for _o, exc in outcomes if exc is not None)
    assert len(won) == 1
    assert errors == {"CheckoutError": 9}
    group = Group.objects.get()
    assert group.joined == 3
    assert GroupMember.objects.filter(group=group, left_at=None).count() == 3
    assert Order.objects.filter(group_code=group.code).count() == 3


def test_the_last_two_members_paying_at_once_close_the_group_as_succeeded_once(warehouse, express):
    tea = stocked_variant(store=warehouse, on_hand=50, price=Decimal("99.00"))
    now = timezone.now()
    campaign = GroupBuy.objects.create(name="两人团", variant=tea, group_price=Decimal("59.00"), group_size=2,
                                       starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=1))
    leader, friend = members(2, "pay")
    first = place_order(user_id=leader.pk, token=uuid.uuid4(), expected_total=None,
                        choice=delivery_choice(leader.addresses.get(), express, group_buy_id=campaign.pk))
    second = place_order(user_id=friend.pk, token=uuid.uuid4(), expected_total=None,
                         choice=delivery_choice(friend.addresses.get(), express, group_buy_id=campaign.pk,
                                                group_code=first.group_code))

    def pay(order):
        return lambda: record_payment(order_number=order.number, provider="gateway", amount=order.amount_due,
                                      currency=order.currency, transaction_id=f"T{order.number}")

    outcomes = run_together([pay(first), pay(second)])

    assert [exc for _o, exc in outcomes if exc is not None] == []
    assert Group.objects.get().status == Group.Status.SUCCEEDED
    assert not Order.objects.filter(is_waiting_for_group=True).exists()
