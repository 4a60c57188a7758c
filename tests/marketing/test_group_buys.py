"""Group buys (拼团): start and join by share code, fill and move on, fail at the deadline and refund once."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from django.contrib.auth import get_user_model
from django.utils import timezone

from marketing.models import Group, GroupBuy, GroupMember
from orders.exceptions import CheckoutError
from orders.models import Order, Refund
from orders.services import (
    cancel_order,
    expire_unpaid_orders,
    place_order,
    record_payment,
)
from orders.services.group_orders import close_overdue_groups
from orders.workflow import ActionRefused, Actor, ActorKind, move_order
from tests.factories import AddressFactory, stocked_variant
from tests.orders.conftest import delivery_choice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Refusals and pages are matched in English; the shop speaks Chinese by default.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def make_group_buy(variant, *, size=2, price="59.00", hours=24):
    now = timezone.now()
    return GroupBuy.objects.create(name="两人团", variant=variant, group_price=Decimal(price), group_size=size,
                                   hours_to_fill=hours, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=3))


def member(name):
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x")
    AddressFactory(user=user, is_default=True)
    return user


def group_order(user, campaign, method, code=""):
    choice = delivery_choice(user.addresses.get(), method, group_buy_id=campaign.pk, group_code=code)
    return place_order(user_id=user.pk, token=uuid.uuid4(), choice=choice, expected_total=None)


def pay(order):
    return record_payment(order_number=order.number, provider="gateway", amount=order.amount_due,
                          currency=order.currency, transaction_id=f"T{order.number}")


@pytest.fixture
def tea(warehouse):
    return stocked_variant(store=warehouse, on_hand=20, price=Decimal("99.00"))


@pytest.fixture
def campaign(tea):
    return make_group_buy(tea, size=2)


def test_starting_a_group_makes_a_waiting_order_at_the_group_price_holding_the_first_slot(campaign, express):
    leader = member("leader")

    order = group_order(leader, campaign, express)

    group = Group.objects.get()
    assert order.group_code == group.code
    assert order.is_waiting_for_group
    assert order.lines.get().unit_price == Decimal("59.00")
    assert (group.joined, group.size, group.status) == (1, 2, Group.Status.OPEN)
    assert GroupMember.objects.get(order_number=order.number).is_leader


def test_a_group_order_leaves_the_shoppers_cart_alone(campaign, express, tea, warehouse):
    from orders.models import CartLine
    from orders.services import add_to_cart
    from orders.services.cart import MemberCart

    leader = member("leader")
    add_to_cart(cart=MemberCart(leader), variant_id=tea.pk, quantity=3)

    group_order(leader, campaign, express)

    assert CartLine.objects.get(cart__user=leader).quantity == 3


def test_a_group_that_fills_and_is_paid_moves_every_order_on_to_fulfilment(campaign, express):
    first = group_order(member("leader"), campaign, express)
    second = group_order(member("friend"), campaign, express, code=first.group_code)
    pay(first)

    first.refresh_from_db()
    assert first.is_waiting_for_group  # full, but the friend has not paid yet
    pay(second)

    first.refresh_from_db()
    second.refresh_from_db()
    assert Group.objects.get().status == Group.Status.SUCCEEDED
    assert not first.is_waiting_for_group and not second.is_waiting_for_group


def test_a_waiting_group_order_cannot_be_shipped(campaign, express):
    order = group_order(member("leader"), campaign, express)
    pay(order)

    hq = Actor(kind=ActorKind.HQ, user=None)
    with pytest.raises(ActionRefused):
        move_order(order_id=order.pk, action="ship", actor=hq, carrier="SF", tracking_number="SF1")

    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_full_group_cannot_be_joined(campaign, express):
    first = group_order(member("leader"), campaign, express)
    group_order(member("friend"), campaign, express, code=first.group_code)

    with pytest.raises(CheckoutError, match="full"):
        group_order(member("late"), campaign, express, code=first.group_code)

    assert Order.objects.count() == 2


def test_a_member_cannot_join_their_own_group_twice(campaign, express):
    leader = member("leader")
    first = group_order(leader, campaign, express)

    with pytest.raises(CheckoutError, match="already in this group"):
        group_order(leader, campaign, express, code=first.group_code)


def test_an_unknown_share_code_is_a_clear_message(campaign, express):
    with pytest.raises(CheckoutError, match="No such group"):
        group_order(member("friend"), campaign, express, code="NOPE\x00" * 100)


def test_an_unpaid_member_who_expires_gives_the_slot_back(campaign, express, settings):
    first = group_order(member("leader"), campaign, express)
    group_order(member("friend"), campaign, express, code=first.group_code)
    pay(first)

    expire_unpaid_orders(now=timezone.now() + timedelta(minutes=settings.MARKETING_FLASH_PAYMENT_MINUTES + 1))

    group = Group.objects.get()
    assert group.joined == 1
    assert group.status == Group.Status.OPEN
    third = group_order(member("third"), campaign, express, code=first.group_code)
    pay(third)
    assert Group.objects.get().status == Group.Status.SUCCEEDED


def test_a_group_that_fails_at_its_deadline_refunds_every_paid_member_once_and_cancels_the_unpaid(campaign, express):
    campaign.group_size = 3
    campaign.save()
    first = group_order(member("leader"), campaign, express)
    second = group_order(member("friend"), campaign, express, code=first.group_code)
    pay(first)
    pay(second)
    third = group_order(member("third"), campaign, express, code=first.group_code)
    Group.objects.update(size=4, deadline=timezone.now() - timedelta(minutes=1))

    close_overdue_groups()
    close_overdue_groups()  # a second run (or a second worker) refunds nobody twice

    for order in (first, second, third):
        order.refresh_from_db()
        assert order.status == Order.Status.CANCELLED
        assert not order.is_waiting_for_group
    assert Group.objects.get().status == Group.Status.FAILED
    refunds = Refund.objects.filter(order__in=[first, second])
    assert refunds.count() == 2
    assert {r.amount for r in refunds} == {first.total}
    assert not Refund.objects.filter(order=third).exists()
    assert {r.key for r in refunds} == {f"group-failed-{first.group_code}-{o.number}" for o in (first, second)}


def test_cancelling_a_group_order_before_it_fills_leaves_the_group(campaign, express):
    first = group_order(member("leader"), campaign, express)
    second = group_order(member("friend"), campaign, express, code=first.group_code)

    cancel_order(order_id=second.pk)

    assert Group.objects.get().joined == 1
    assert GroupMember.objects.get(order_number=second.number).left_at is not None


def test_a_group_order_cannot_be_paid_cash_on_delivery(campaign, express):
    leader = member("leader")
    choice = delivery_choice(leader.addresses.get(), express, payment="cod", group_buy_id=campaign.pk)

    with pytest.raises(CheckoutError, match="cash on delivery"):
        place_order(user_id=leader.pk, token=uuid.uuid4(), choice=choice, expected_total=None)

    assert not Group.objects.exists()
