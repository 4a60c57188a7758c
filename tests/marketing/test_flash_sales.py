"""Flash sales (限时秒杀): the flash price within the quota and the member's limit, taken at checkout, given back once."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import translation
from django.contrib.auth import get_user_model
from django.utils import timezone

from marketing.models import FlashSale, FlashSaleTake
from orders.exceptions import CheckoutError
from orders.models import Order
from orders.services import (
    cancel_order,
    expire_unpaid_orders,
    record_payment,
    refund_order,
)
from tests.factories import AddressFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    # Refusals and pages are matched in English; the shop speaks Chinese by default.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


def make_flash(variant, *, quota=10, limit=1, price="9.90", **fields):
    now = timezone.now()
    defaults = {"name": "秒杀", "variant": variant, "flash_price": Decimal(price), "starts_at": now - timedelta(minutes=5),
                "ends_at": now + timedelta(hours=1), "quota": quota, "per_member_limit": limit}
    defaults.update(fields)
    return FlashSale.objects.create(**defaults)


def member(name):
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x")
    AddressFactory(user=user, is_default=True)
    return user


def pay(order):
    return record_payment(order_number=order.number, provider="gateway", amount=order.amount_due,
                          currency=order.currency, transaction_id=f"T{order.number}")


@pytest.fixture
def phone(warehouse):
    return stocked_variant(store=warehouse, on_hand=50, price=Decimal("99.00"))


def test_a_live_flash_sale_prices_the_line_at_the_flash_price_and_takes_the_units(shopper, address, express, phone):
    sale = make_flash(phone, quota=10, limit=2)

    order = buy(shopper, [(phone, 2)], delivery_choice(address, express))

    sale.refresh_from_db()
    line = order.lines.get()
    assert line.unit_price == Decimal("9.90")
    assert sale.taken == 2
    assert FlashSaleTake.objects.get(order_number=order.number).quantity == 2


def test_a_flash_order_must_be_paid_within_the_flash_payment_minutes(shopper, address, express, phone, settings):
    settings.MARKETING_FLASH_PAYMENT_MINUTES = 15
    make_flash(phone)

    order = buy(shopper, [(phone, 1)], delivery_choice(address, express))

    assert order.expires_at <= timezone.now() + timedelta(minutes=15)
    assert order.expires_at > timezone.now() + timedelta(minutes=14)


def test_asking_for_more_than_the_member_limit_is_refused_with_a_clear_message(shopper, address, express, phone):
    sale = make_flash(phone, limit=1)

    with pytest.raises(CheckoutError, match="limited to 1 per member"):
        buy(shopper, [(phone, 2)], delivery_choice(address, express))

    sale.refresh_from_db()
    assert sale.taken == 0
    assert not Order.objects.exists()


def test_a_member_who_used_their_limit_pays_the_normal_price_next_time(shopper, address, express, phone):
    make_flash(phone, limit=1)
    buy(shopper, [(phone, 1)], delivery_choice(address, express))

    second = buy(shopper, [(phone, 1)], delivery_choice(address, express))

    assert second.lines.get().unit_price == Decimal("99.00")


def test_a_sold_out_flash_sale_leaves_the_normal_price(shopper, address, express, phone):
    sale = make_flash(phone, quota=1)
    FlashSale.objects.filter(pk=sale.pk).update(taken=1)

    order = buy(shopper, [(phone, 1)], delivery_choice(address, express))

    assert order.lines.get().unit_price == Decimal("99.00")


def test_fewer_units_left_than_asked_is_refused_and_takes_nothing(shopper, address, express, phone):
    sale = make_flash(phone, quota=3, limit=5)
    FlashSale.objects.filter(pk=sale.pk).update(taken=2)

    with pytest.raises(CheckoutError, match="Only 1 of"):
        buy(shopper, [(phone, 2)], delivery_choice(address, express))

    sale.refresh_from_db()
    assert sale.taken == 2


def test_a_sale_not_yet_started_or_ended_does_not_apply(shopper, address, express, phone):
    now = timezone.now()
    make_flash(phone, starts_at=now + timedelta(minutes=5), ends_at=now + timedelta(hours=1))
    make_flash(phone, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1))

    order = buy(shopper, [(phone, 1)], delivery_choice(address, express))

    assert order.lines.get().unit_price == Decimal("99.00")


def test_cancelling_an_unpaid_flash_order_gives_the_units_back_once(shopper, address, express, phone):
    sale = make_flash(phone, quota=5, limit=2)
    order = buy(shopper, [(phone, 2)], delivery_choice(address, express))

    cancel_order(order_id=order.pk, note="changed my mind")
    from marketing.services.flash import release_flash_units
    assert release_flash_units(order_number=order.number) == 0  # a second give-back finds nothing

    sale.refresh_from_db()
    assert sale.taken == 0
    assert FlashSaleTake.objects.get(order_number=order.number).released_at is not None


def test_an_expired_flash_order_gives_its_units_back(shopper, address, express, phone):
    sale = make_flash(phone, quota=5)
    order = buy(shopper, [(phone, 1)], delivery_choice(address, express))

    expire_unpaid_orders(now=timezone.now() + timedelta(hours=1))

    sale.refresh_from_db()
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert sale.taken == 0


def test_a_full_refund_before_shipping_gives_the_units_back(shopper, address, express, phone):
    sale = make_flash(phone, quota=5)
    order = buy(shopper, [(phone, 1)], delivery_choice(address, express))
    pay(order)

    refund_order(order_id=order.pk, by=None, reason="out of stock", key="r1")

    sale.refresh_from_db()
    assert sale.taken == 0


def test_units_given_back_can_be_bought_again_by_the_member(shopper, address, express, phone):
    sale = make_flash(phone, quota=1, limit=1)
    order = buy(shopper, [(phone, 1)], delivery_choice(address, express))
    cancel_order(order_id=order.pk)

    again = buy(shopper, [(phone, 1)], delivery_choice(address, express))

    sale.refresh_from_db()
    assert again.lines.get().unit_price == Decimal("9.90")
    assert sale.taken == 1
