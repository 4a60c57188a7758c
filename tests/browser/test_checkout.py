"""A shopper buys on a phone: cart, checkout, and each way to receive and pay for the goods.

Every step goes through the real pages in chromium, from logging in with
the login form to tapping "pay" on the gateway simulator's hosted page,
whose server-to-server callback reaches the live server. The test itself
only creates data and checks the database afterwards.

Selectors go by form field name and value, CSS class or href rather than by
the interface's wording, which translators change. Where a status must be
read, the expected text comes from the shop's own translation of it.
"""

import re
import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from orders.models import CartLine, Order, Payment
from orders.services import CheckoutChoice, add_to_cart, place_order
from orders.services.cart import MemberCart
from stores.models import Stock
from stores.services import receive_stock
from tests.conftest import SHOPPER_PASSWORD
from tests.browser.steps import (
    add_to_cart_on_the_product_page,
    fits_the_screen,
    hold_requests,
    let_go,
    status_label,
    tap_the_fulfilment_tab,
    wait_until_held,
)
from tests.factories import AddressFactory, ShippingMethodFactory, StoreFactory, stocked_variant

pytestmark = pytest.mark.browser


def log_in(page, user, next_url: str, screenshot=None) -> None:
    """Log in through the real login form, as the shopper types it on the phone."""
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(user.email)
    form.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    if screenshot:
        screenshot("login")
        assert fits_the_screen(page)
    form.locator('button[type="submit"]').tap()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))
    expect(page.locator('.site-header .top-links a[href^="/accounts/login/"]')).to_have_count(0)


@pytest.fixture
def express(db):
    """¥8 for the first kilogram, wherever the parcel goes."""
    return ShippingMethodFactory(name="顺丰速运", code="sf-express", base_fee=Decimal("8.00"))


@pytest.fixture
def address(shopper):
    return AddressFactory(user=shopper, is_default=True)


@pytest.fixture
def rice(warehouse):
    """¥10 a bag, 10 bags in the online warehouse."""
    return stocked_variant(store=warehouse, on_hand=10, price=Decimal("10.00"), name="五常大米 1kg", slug="rice")


def test_a_shopper_checks_out_for_delivery_and_pays_on_the_gateway_page(
    page, live_server, shopper, address, express, warehouse, rice, broken_responses, screenshot
):
    log_in(page, shopper, rice.product.get_absolute_url(), screenshot)
    screenshot("product")
    assert fits_the_screen(page)

    add_to_cart_on_the_product_page(page, rice, 2)

    badge = page.locator(".site-header .cart-link .badge-count")
    expect(badge).to_have_text("2")
    screenshot("added-to-cart")
    assert fits_the_screen(page)

    page.locator(".site-header .cart-link").tap()

    expect(page).to_have_url(re.compile(r"/cart/$"))
    lines = page.locator(".cart-lines .cart-line")
    expect(lines).to_have_count(1)
    expect(lines.locator(".name")).to_have_text(rice.product.name)
    expect(lines.locator(".qty-form input.qty")).to_have_value("2")
    expect(page.locator(".cart-summary .price")).to_have_text("¥20.00")
    screenshot("cart")
    assert fits_the_screen(page)

    page.locator('.cart-summary a[href="/checkout/"]').tap()

    expect(page).to_have_url(re.compile(r"/checkout/$"))
    form = page.locator("form.checkout-form")
    # Delivery to the default address with the only shipping method, paid online: all chosen already.
    expect(form.locator('input[name="fulfilment"][value="delivery"]')).to_be_checked()
    expect(form.locator(f'input[name="address"][value="{address.pk}"]')).to_be_checked()
    expect(form.locator(f'input[name="shipping_method"][value="{express.pk}"]')).to_be_checked()
    expect(form.locator('input[name="payment_method"][value="online"]')).to_be_checked()
    totals = form.locator("dl.totals")
    expect(totals.locator("dd").first).to_have_text("¥20.00")  # the goods
    expect(totals.locator("dt.adjustment.shipping")).to_have_text("顺丰速运")
    expect(totals.locator("dd.adjustment")).to_have_text("¥8.00")
    expect(totals.locator("dd.total")).to_have_text("¥28.00")
    place = form.locator('button[name="place"]')
    expect(form.locator(".checkout-bar .price")).to_have_text("¥28.00")  # the sticky 合计 bar
    screenshot("checkout")
    assert fits_the_screen(page)

    place.tap()

    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=shopper)
    assert page.url.endswith(f"/gateway/pay/{order.number}/")
    card = page.locator(".gateway-card")
    expect(card).to_contain_text(order.number)
    expect(card.locator(".amount")).to_have_text("¥28.00")
    screenshot("gateway")
    assert fits_the_screen(page)

    card.locator('button[name="action"][value="pay"]').tap()

    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    paid = status_label(Order.Status.PAID)
    expect(page.locator(".status.status-paid")).to_have_text(paid)
    expect(page.locator(".pay-now")).to_have_count(0)
    timeline = page.locator("ol.timeline li")
    expect(timeline.last.locator("strong")).to_have_text(paid)
    expect(timeline).to_have_count(2)  # placed, then paid
    expect(badge).to_have_count(0)  # the cart was emptied
    screenshot("order-paid")
    assert fits_the_screen(page)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.total == Decimal("28.00")
    assert order.store == warehouse
    payment = Payment.objects.get(order=order)
    assert payment.amount == Decimal("28.00")
    assert payment.status == Payment.Status.SUCCEEDED
    assert Stock.objects.get(store=warehouse, variant=rice).reserved == 2
    assert not CartLine.objects.filter(cart__user=shopper).exists()
    assert broken_responses == []


def test_a_shopper_picks_up_in_a_chosen_store_and_pays_by_bank_transfer(
    page, live_server, settings, shopper, address, express, warehouse, rice, broken_responses, screenshot
):
    settings.BANK_TRANSFER_ACCOUNT = "联家优选商贸有限公司 · 招商银行 · 6214 0000 1111 2222"
    xuhui = StoreFactory(code="xuhui", name="上海徐汇店", priority=10, address="漕溪北路 1 号")
    jingan = StoreFactory(code="jingan", name="上海静安店", priority=20, address="南京西路 2 号")
    pudong = StoreFactory(code="pudong", name="上海浦东店", priority=30)
    for store, on_hand in [(xuhui, 5), (jingan, 5), (pudong, 1)]:
        receive_stock(store_id=store.pk, variant_id=rice.pk, quantity=on_hand)
    log_in(page, shopper, rice.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, rice, 2)
    page.goto("/checkout/")

    form = page.locator("form.checkout-form")
    bar_total = form.locator(".checkout-bar .price")  # the sticky 合计 bar
    expect(bar_total).to_have_text("¥28.00")  # delivery, chosen by default
    tap_the_fulfilment_tab(form, "pickup")
    stores = form.locator('.pickup-section input[name="pickup_store"]')
    # Only the stores with both bags on hand are offered; Pudong has one.
    expect(stores).to_have_count(2)
    expect(form.locator(f'input[name="pickup_store"][value="{pudong.pk}"]')).to_have_count(0)
    form.locator(f'input[name="pickup_store"][value="{jingan.pk}"]').check()
    form.locator('input[name="contact_name"]').fill("李四")
    form.locator('input[name="contact_phone"]').fill("13900139000")
    form.locator('input[name="payment_method"][value="bank_transfer"]').check()
    screenshot("checkout-pickup-chosen")
    assert fits_the_screen(page)
    # No shipping for a pick-up: the page re-prices itself as the shopper taps (issue 13).
    totals = form.locator("dl.totals")
    expect(totals.locator("dd.total")).to_have_text("¥20.00")
    expect(totals.locator("dd.adjustment")).to_have_count(0)
    expect(bar_total).to_have_text("¥20.00")
    # The choices, and what was typed, survive the re-pricing.
    expect(form.locator('input[name="fulfilment"][value="pickup"]')).to_be_checked()
    expect(form.locator(f'input[name="pickup_store"][value="{jingan.pk}"]')).to_be_checked()
    expect(form.locator('input[name="payment_method"][value="bank_transfer"]')).to_be_checked()
    expect(form.locator('input[name="contact_name"]')).to_have_value("李四")
    expect(form.locator('input[name="contact_phone"]')).to_have_value("13900139000")
    screenshot("checkout-pickup-updated")
    assert fits_the_screen(page)

    form.locator('.checkout-bar button[name="place"]').tap()

    expect(page).to_have_url(re.compile(r"/orders/\w+/$"))
    order = Order.objects.get(user=shopper)
    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    expect(page.locator(".status.status-pending_payment")).to_have_text(status_label(Order.Status.PENDING_PAYMENT))
    instructions = page.locator(".pay-now")
    expect(instructions).to_contain_text("¥20.00")
    expect(instructions).to_contain_text(order.number)
    expect(instructions.locator(".bank-account")).to_have_text(settings.BANK_TRANSFER_ACCOUNT)
    expect(page.locator("main")).to_contain_text("上海静安店")
    screenshot("order-transfer")
    assert fits_the_screen(page)

    order.refresh_from_db()
    assert order.fulfilment == Order.Fulfilment.PICKUP
    assert order.payment_method == Order.PaymentMethod.BANK_TRANSFER
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.store == jingan
    assert (order.recipient, order.phone) == ("李四", "13900139000")
    assert order.total == Decimal("20.00")
    assert Stock.objects.get(store=jingan, variant=rice).reserved == 2
    assert Stock.objects.get(store=xuhui, variant=rice).reserved == 0
    assert Stock.objects.get(store=warehouse, variant=rice).reserved == 0
    assert not Payment.objects.filter(order=order).exists()
    assert broken_responses == []


def test_switching_to_pick_up_re_prices_the_page_and_places_at_the_new_total_without_a_refusal(
    page, live_server, shopper, address, express, warehouse, rice, broken_responses, screenshot
):
    xuhui = StoreFactory(code="xuhui", name="上海徐汇店", priority=10)
    receive_stock(store_id=xuhui.pk, variant_id=rice.pk, quantity=5)
    log_in(page, shopper, rice.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, rice, 2)
    page.goto("/checkout/")
    form = page.locator("form.checkout-form")
    place = form.locator('button[name="place"]')
    total = form.locator(".checkout-bar .price")
    expect(total).to_have_text("¥28.00")  # with delivery
    form.locator('input[name="fulfilment"][value="pickup"]').check()
    form.locator(f'input[name="pickup_store"][value="{xuhui.pk}"]').check()
    expect(total).to_have_text("¥20.00")  # re-priced as the shopper changed the option
    screenshot("checkout-total-changed")
    assert fits_the_screen(page)

    place.tap()  # straight away: no "total changed from ¥28.00 to ¥20.00" refusal

    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=shopper)
    expect(page.locator(".gateway-card .amount")).to_have_text("¥20.00")
    assert (order.fulfilment, order.store, order.total) == (Order.Fulfilment.PICKUP, xuhui, Decimal("20.00"))
    assert broken_responses == []


PRICING = re.compile(r"\bis-pricing\b")  # the checkout form's class while a re-pricing is on its way


def open_pick_up_checkout_with_two_stores(page, shopper, rice):
    """The shopper's checkout for a bag of rice, on the pick-up tab, priced, with two stores to pick; its form."""
    for code, name in [("xuhui", "上海徐汇店"), ("jingan", "上海静安店")]:
        receive_stock(store_id=StoreFactory(code=code, name=name).pk, variant_id=rice.pk, quantity=5)
    log_in(page, shopper, rice.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, rice, 1)
    page.goto("/checkout/")
    form = page.locator("form.checkout-form")
    tap_the_fulfilment_tab(form, "pickup")
    expect(form).not_to_have_class(PRICING)
    return form


def test_a_phone_number_typed_while_the_page_re_prices_keeps_its_digits_in_order(
    page, live_server, shopper, address, express, warehouse, rice, broken_responses
):
    form = open_pick_up_checkout_with_two_stores(page, shopper, rice)
    # The next re-pricing is held on its way, so that its answer lands while the shopper is typing.
    held = hold_requests(page, "**/checkout/", method="POST")
    form.locator('input[name="pickup_store"]:not(:checked)').check()  # the other store
    phone = form.locator('input[name="contact_phone"]')
    phone.fill("")
    phone.press_sequentially("139")
    expect(form).to_have_class(PRICING)
    assert len(held) == 1
    held[0].continue_()
    expect(form).not_to_have_class(PRICING)

    page.keyboard.type("00139000")  # the shopper never looked up

    expect(phone).to_have_value("13900139000")
    expect(phone).to_be_focused()
    # The answer judged "139", which the field no longer holds: no error is shown under it.
    expect(form.locator(".pickup-section .error")).to_have_count(0)
    assert broken_responses == []


def test_the_page_shows_it_is_pricing_until_the_last_change_is_priced(
    page, live_server, shopper, address, express, warehouse, rice, broken_responses
):
    form = open_pick_up_checkout_with_two_stores(page, shopper, rice)
    held = hold_requests(page, "**/checkout/", method="POST")
    form.locator('input[name="pickup_store"]:not(:checked)').check()
    form.locator('input[name="payment_method"][value="bank_transfer"]').check()  # the first re-pricing is dropped
    wait_until_held(page, held, 2)
    page.wait_for_timeout(200)

    expect(form).to_have_class(PRICING)  # still: the answer for the last change has not come
    let_go(held[0])
    held[1].continue_()
    expect(form).not_to_have_class(PRICING)
    expect(form.locator('input[name="payment_method"][value="bank_transfer"]')).to_be_checked()
    expect(form.locator(".checkout-bar .price")).to_have_text("¥10.00")
    assert broken_responses == []


def test_quick_taps_on_the_cart_stepper_all_count(page, live_server, shopper, warehouse, rice, broken_responses):
    log_in(page, shopper, rice.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, rice, 1)
    page.goto("/cart/")
    stepper = page.locator(".cart-lines form.stepper")
    # The first tap's post is held on its way, so that the next taps come before its answer, as on a slow network.
    held = hold_requests(page, "**/cart/update/", method="POST", limit=1)
    for _ in range(3):
        stepper.locator("button.plus").tap()
    expect(stepper.locator('input[name="quantity"]')).to_have_value("4")  # shown at once
    assert len(held) == 1
    held[0].continue_()

    expect(page.locator(".site-header .cart-link .badge-count")).to_have_text("4")
    expect(page.locator(".cart-lines .line-total")).to_have_text("¥40.00")
    expect(page.locator(".cart-lines form.stepper.is-sending")).to_have_count(0)
    assert CartLine.objects.get(cart__user=shopper).quantity == 4

    stepper.locator("button.minus").tap()
    expect(page.locator(".cart-lines .line-total")).to_have_text("¥30.00")
    assert CartLine.objects.get(cart__user=shopper).quantity == 3
    assert broken_responses == []


def test_a_shopper_orders_for_cash_on_delivery_and_skips_the_payment_step(
    page, live_server, shopper, address, express, warehouse, rice, broken_responses, screenshot
):
    log_in(page, shopper, rice.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, rice, 1)
    page.locator(".site-header .cart-link").tap()
    page.locator('.cart-summary a[href="/checkout/"]').tap()

    form = page.locator("form.checkout-form")
    form.locator('input[name="payment_method"][value="cod"]').check()
    expect(form.locator("dd.total")).to_have_text("¥18.00")
    screenshot("checkout-cod")
    assert fits_the_screen(page)

    form.locator('button[name="place"]').tap()

    # Straight to the order page: nothing to pay now.
    expect(page).to_have_url(re.compile(r"/orders/\w+/$"))
    order = Order.objects.get(user=shopper)
    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    expect(page.locator(".status.status-placed")).to_have_text(status_label(Order.Status.PLACED))
    expect(page.locator(".pay-now")).to_have_count(0)
    expect(page.locator('a[href*="/gateway/"], form[action$="/pay/"]')).to_have_count(0)
    screenshot("order-cod")
    assert fits_the_screen(page)

    order.refresh_from_db()
    assert order.status == Order.Status.PLACED
    assert order.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY
    assert not Payment.objects.filter(order=order).exists()
    assert Stock.objects.get(store=warehouse, variant=rice).reserved == 1
    assert broken_responses == []


def test_goods_sold_to_someone_else_during_checkout_stop_the_order_with_a_message_naming_them(
    page, live_server, shopper, address, express, warehouse, broken_responses, screenshot
):
    tea = stocked_variant(store=warehouse, on_hand=4, price=Decimal("30.00"), name="西湖龙井 250g", slug="longjing")
    log_in(page, shopper, tea.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, tea, 3)
    page.goto("/checkout/")
    form = page.locator("form.checkout-form")
    expect(form.locator("dd.total")).to_have_text("¥98.00")

    # Meanwhile another shopper buys three of the four tins.
    rival = get_user_model().objects.create_user(username="rival", email="rival@example.com", password="x")
    rival_address = AddressFactory(user=rival, is_default=True)
    add_to_cart(cart=MemberCart(rival), variant_id=tea.pk, quantity=3)
    place_order(
        user_id=rival.pk,
        token=uuid.uuid4(),
        choice=CheckoutChoice(
            fulfilment=Order.Fulfilment.DELIVERY,
            payment_method=Order.PaymentMethod.ONLINE,
            address=rival_address,
            shipping_method=express,
        ),
        expected_total=None,
    )
    assert Stock.objects.get(store=warehouse, variant=tea).available == 1

    form.locator('button[name="place"]').tap()

    # Still on checkout, told which product ran short; nothing ordered, the cart intact.
    error = page.locator(".messages .message.error")
    expect(error).to_contain_text(tea.product.name)
    expect(page).to_have_url(re.compile(r"/checkout/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(form.locator('button[name="place"]')).to_be_visible()
    expect(page.locator(".site-header .cart-link .badge-count")).to_have_text("3")
    screenshot("checkout-out-of-stock")
    assert fits_the_screen(page)

    assert not Order.objects.filter(user=shopper).exists()
    assert CartLine.objects.get(cart__user=shopper).quantity == 3
    assert Stock.objects.get(store=warehouse, variant=tea).reserved == 3  # the rival's only
    assert broken_responses == []


def test_a_sold_out_product_offers_no_add_to_cart_button(page, live_server, warehouse, broken_responses, screenshot):
    gone = stocked_variant(store=warehouse, on_hand=0, name="限量月饼礼盒", slug="mooncakes")

    page.goto(gone.product.get_absolute_url())

    expect(page.get_by_role("heading", level=1)).to_have_text("限量月饼礼盒")
    expect(page.locator(".buy-box .availability.sold-out")).to_be_visible()
    expect(page.locator("form.add-to-cart")).to_have_count(0)
    expect(page.locator('form[action="/cart/add/"]')).to_have_count(0)
    screenshot("sold-out")
    assert fits_the_screen(page)
    assert broken_responses == []
