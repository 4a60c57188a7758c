"""Flash sales and group buys on a phone: a flash sale sells out, a group fills, a group fails and refunds.

Selectors go by CSS class, form action and href rather than wording (translators change it).
"""

import re
import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from marketing.models import FlashSale, Group, GroupBuy
from orders.models import Order, Refund
from orders.services import CheckoutChoice, cancel_order, place_order, record_payment
from orders.services.group_orders import close_overdue_groups
from tests.browser.steps import (
    add_to_cart_on_the_product_page,
    fits_the_screen,
    status_label,
)
from tests.browser.test_checkout import log_in
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant

pytestmark = pytest.mark.browser


@pytest.fixture
def express(db):
    return ShippingMethodFactory(name="顺丰速运", code="sf-express", base_fee=Decimal("0.00"))


@pytest.fixture
def address(shopper):
    return AddressFactory(user=shopper, is_default=True)


@pytest.fixture
def phone(warehouse):
    return stocked_variant(store=warehouse, on_hand=10, price=Decimal("999.00"), name="秒杀手机", slug="flash-phone")


def place_and_pay_on_the_gateway(page, live_server, user) -> Order:
    page.locator('form.checkout-form button[name="place"]').tap()
    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    page.locator('.gateway-card button[name="action"][value="pay"]').tap()
    order = Order.objects.filter(user=user).latest("pk")
    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    return order


def friend_joins_and_pays(campaign, code, express):
    friend = get_user_model().objects.create_user(username="friend", email="friend@example.com")
    choice = CheckoutChoice(fulfilment=Order.Fulfilment.DELIVERY, payment_method=Order.PaymentMethod.ONLINE,
                            address=AddressFactory(user=friend, is_default=True), shipping_method=express,
                            group_buy_id=campaign.pk, group_code=code)
    order = place_order(user_id=friend.pk, token=uuid.uuid4(), choice=choice, expected_total=None)
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency=order.currency,
                   transaction_id=f"T{order.number}")
    return order


def test_the_last_flash_unit_is_bought_and_the_product_page_says_all_gone_until_it_comes_back(
    page, live_server, shopper, address, express, phone, broken_responses, screenshot
):
    now = timezone.now()
    sale = FlashSale.objects.create(name="整点秒杀", variant=phone, flash_price=Decimal("1.00"), quota=1,
                                    per_member_limit=1, starts_at=now - timedelta(minutes=1), ends_at=now + timedelta(hours=1))
    log_in(page, shopper, phone.product.get_absolute_url())
    box = page.locator(".flash-sale")
    expect(box.locator(".flash-price")).to_contain_text("¥1.00")
    expect(box.locator("time[data-countdown]")).to_have_text(re.compile(r"^00:\d\d:\d\d$"))
    screenshot("flash-live")
    assert fits_the_screen(page)

    add_to_cart_on_the_product_page(page, phone, 1)
    page.goto("/checkout/")
    expect(page.locator("form.checkout-form dl.totals dd.total")).to_have_text("¥1.00")
    page.locator('form.checkout-form button[name="place"]').tap()
    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=shopper)
    assert order.lines.get().unit_price == Decimal("1.00")

    page.goto(phone.product.get_absolute_url())
    expect(page.locator(".flash-sale.sold-out .flash-state.sold-out")).to_be_visible()
    screenshot("flash-sold-out")

    cancel_order(order_id=order.pk, note="not paid")  # an unpaid order gives its unit back
    page.reload()
    expect(page.locator(".flash-sale.sold-out")).to_have_count(0)
    expect(page.locator(".flash-sale .flash-state")).to_contain_text("1")
    sale.refresh_from_db()
    assert sale.taken == 0
    assert broken_responses == []


@pytest.fixture
def campaign(phone):
    now = timezone.now()
    return GroupBuy.objects.create(name="两人团", variant=phone, group_price=Decimal("599.00"), group_size=2,
                                   starts_at=now - timedelta(hours=1), ends_at=now + timedelta(days=2))


def start_a_group_from_the_product_page(page, live_server, shopper, phone, screenshot) -> Order:
    log_in(page, shopper, phone.product.get_absolute_url())
    box = page.locator(".group-buy")
    expect(box).to_contain_text("¥599.00")
    box.locator('form[action$="/start/"] button[type="submit"]').tap()
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    expect(page.locator(".notice.group-checkout")).to_be_visible()
    expect(page.locator("form.checkout-form dl.totals dd.total")).to_have_text("¥599.00")
    screenshot("group-checkout")
    order = place_and_pay_on_the_gateway(page, live_server, shopper)
    assert order.is_waiting_for_group
    expect(page.locator(".group-order")).to_be_visible()
    return order


def test_a_group_started_on_the_phone_fills_when_a_friend_joins_and_pays(
    page, live_server, shopper, address, express, campaign, phone, broken_responses, screenshot
):
    order = start_a_group_from_the_product_page(page, live_server, shopper, phone, screenshot)

    page.locator(f'.group-order a[href="/groups/{order.group_code}/"]').tap()
    expect(page.locator(".group-members .avatar.leader")).to_have_text("S")
    expect(page.locator(".group-members .avatar.empty")).to_have_count(1)
    expect(page.locator(".slots-left")).to_contain_text("1")
    expect(page.locator(".share input")).to_have_value(re.compile(rf"/groups/{order.group_code}/$"))
    screenshot("group-waiting")
    assert fits_the_screen(page)

    friend_joins_and_pays(campaign, order.group_code, express)

    page.reload()
    expect(page.locator(".group-state.succeeded")).to_be_visible()
    expect(page.locator(".group-members .avatar")).to_have_count(2)
    page.goto(order.get_absolute_url())
    expect(page.locator(".status.status-paid")).to_have_text(status_label(Order.Status.PAID))
    expect(page.locator(".group-order")).to_be_visible()
    order.refresh_from_db()
    assert not order.is_waiting_for_group
    assert Group.objects.get().status == Group.Status.SUCCEEDED
    assert broken_responses == []


def test_a_group_that_does_not_fill_in_time_fails_and_the_leader_is_refunded(
    page, live_server, shopper, address, express, campaign, phone, broken_responses, screenshot
):
    order = start_a_group_from_the_product_page(page, live_server, shopper, phone, screenshot)
    Group.objects.update(deadline=timezone.now() - timedelta(minutes=1))

    close_overdue_groups()  # what the beat task runs every minute

    page.goto(order.get_absolute_url())
    expect(page.locator(".status.status-cancelled")).to_have_text(status_label(Order.Status.CANCELLED))
    expect(page.locator(".refund .refund-amount")).to_have_text("¥599.00")
    page.goto(f"/groups/{order.group_code}/")
    expect(page.locator(".group-state.failed")).to_be_visible()
    screenshot("group-failed")
    refund = Refund.objects.get(order=order)
    assert refund.amount == Decimal("599.00")
    assert refund.key == f"group-failed-{order.group_code}-{order.number}"
    assert broken_responses == []
