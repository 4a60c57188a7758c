"""A shopper's life as a member, on a phone: sign up, buy, earn points and a tier, pay with stored value.

Every step the shopper takes goes through the real pages in chromium: the
sign-up form, the link in the verification mail (read from Django's locmem
outbox, as the shopper would read their inbox), the login form, the cart,
checkout, the gateway simulator's hosted page, "I received it" on the order
page, and the member centre. Staff's part (shipping the parcel) and the
setup (tiers, stock, a stored-value top-up) are service calls; the test
checks the database afterwards.

Selectors go by form field name and value, CSS class or href rather than by
the interface's wording, which translators change. Amounts and points are
digits, the same in every language; a status is read in the shop's own
simplified Chinese translation of it.
"""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from members.models import MemberProfile, PointsEntry, Tier, TierChange, WalletEntry
from members.services import ensure_member, staff_top_up_wallet
from orders.models import Order, Payment
from orders.services import ship_order
from stores.models import Stock
from tests.conftest import SHOPPER_PASSWORD
from tests.browser.steps import (
    add_to_cart_on_the_product_page,
    fits_the_screen,
    go_to_checkout_from_the_cart,
    status_label,
)
from tests.factories import AddressFactory, ShippingMethodFactory, stocked_variant

pytestmark = pytest.mark.browser

NEW_EMAIL = "xiaomei@example.com"
NEW_PASSWORD = "a-long-unusual-pass-42"


def link_in(message) -> str:
    """The path of the first link in a mail (the live server's host and port are dropped)."""
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def log_in(page, email: str, password: str, next_url: str | None = None) -> None:
    """Log in through the real login form, as the shopper types it on the phone."""
    if next_url is not None or not page.url.endswith("/accounts/login/"):
        page.goto(f"/accounts/login/?next={next_url or '/'}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(email)
    form.locator('input[name="password"]').fill(password)
    form.locator('button[type="submit"]').tap()
    expect(page.locator('.site-header .top-links a[href="/account/"]')).to_be_visible()
    # The login link carries ?next=, so match its start: an exact href would never be there at all.
    expect(page.locator('.site-header .top-links a[href^="/accounts/login/"]')).to_have_count(0)


def verified_member(email: str, *, username: str):
    """A shopper who signed up earlier and confirmed their email (member profile at the lowest tier)."""
    user = get_user_model().objects.create_user(username=username, email=email, password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    ensure_member(user=user)
    return user


@pytest.fixture
def tiers(transactional_db):
    """普通 for everyone; 银卡 from ¥100 spent in 12 months, earning points ×1.5."""
    regular = Tier.objects.create(name="普通", code="regular", rank=1, threshold=Decimal("0"))
    silver = Tier.objects.create(
        name="银卡", code="silver", rank=2, threshold=Decimal("100"), points_multiplier=Decimal("1.5")
    )
    return regular, silver


@pytest.fixture
def express(transactional_db):
    """¥8 a parcel, free for goods from ¥150."""
    return ShippingMethodFactory(
        name="顺丰速运", code="sf-express", base_fee=Decimal("8.00"), free_over=Decimal("150.00")
    )


@pytest.fixture
def oil(warehouse):
    """¥100 a bottle, 10 bottles in the online warehouse."""
    return stocked_variant(
        store=warehouse, on_hand=10, price=Decimal("100.00"), name="压榨花生油 5L", slug="peanut-oil"
    )


@pytest.fixture
def admin(transactional_db):
    return get_user_model().objects.create_superuser(username="admin", email="admin@example.com", password="x")


def test_a_new_shopper_signs_up_buys_confirms_receipt_and_earns_points_and_the_silver_tier(
    page, live_server, tiers, warehouse, express, oil, admin, broken_responses, screenshot
):
    regular, silver = tiers

    # Sign up with an email address and a password.
    page.goto("/accounts/signup/")
    form = page.locator('main form[action="/accounts/signup/"]')
    form.locator('input[name="email"]').fill(NEW_EMAIL)
    form.locator('input[name="password1"]').fill(NEW_PASSWORD)
    form.locator('input[name="password2"]').fill(NEW_PASSWORD)
    form.locator('input[name="accept_terms"]').check()
    screenshot("signup")
    assert fits_the_screen(page)
    form.locator('button[type="submit"]').tap()

    # "We sent you a mail": the account waits for the address to be confirmed.
    expect(page).to_have_url(re.compile(r"/accounts/confirm-email/$"))
    screenshot("verification-sent")
    assert fits_the_screen(page)
    user = get_user_model().objects.get(email=NEW_EMAIL)
    assert not EmailAddress.objects.get(user=user).verified
    # Signing up made the member profile at the lowest tier.
    assert MemberProfile.objects.get(user=user).tier == regular
    sent = [message for message in mail.outbox if message.to == [NEW_EMAIL]]
    assert len(sent) == 1

    # The shopper opens the link from the mail and confirms.
    page.goto(link_in(sent[0]))
    expect(page.locator("main")).to_contain_text(NEW_EMAIL)
    confirm = page.locator('main form[action^="/accounts/confirm-email/"]')
    screenshot("confirm-email")
    assert fits_the_screen(page)
    confirm.locator('button[type="submit"]').tap()

    # Confirmed, and sent to log in.
    expect(page).to_have_url(re.compile(r"/accounts/login/$"))
    expect(page.locator(".messages .message.success")).to_contain_text(NEW_EMAIL)
    assert EmailAddress.objects.get(user=user).verified
    screenshot("email-confirmed")
    assert fits_the_screen(page)

    log_in(page, NEW_EMAIL, NEW_PASSWORD)

    # Two bottles of oil: ¥200, delivery free from ¥150.
    add_to_cart_on_the_product_page(page, oil, 2)
    expect(page.locator(".site-header .cart-link .badge-count")).to_have_text("2")
    go_to_checkout_from_the_cart(page)

    # A new member has no address: add one from checkout and come back.
    form = page.locator("form.checkout-form")
    expect(form.locator('input[name="address"]')).to_have_count(0)
    screenshot("checkout-no-address")
    assert fits_the_screen(page)
    form.locator('a[href^="/account/addresses/new/"]').tap()
    expect(page).to_have_url(re.compile(r"/account/addresses/new/\?next=/checkout/$"))
    address_form = page.locator("main form")
    address_form.locator('input[name="recipient"]').fill("王小美")
    address_form.locator('input[name="phone"]').fill("13700137000")
    address_form.locator('select[name="province"]').select_option("上海市")
    address_form.locator('select[name="city"]').select_option("上海市")
    address_form.locator('select[name="district"]').select_option("静安区")
    address_form.locator('input[name="detail"]').fill("南京西路 1266 号 8 楼")
    address_form.locator('input[name="is_default"]').check()
    screenshot("new-address")
    assert fits_the_screen(page)
    address_form.locator('button[type="submit"]:not([name="refresh"])').tap()

    expect(page).to_have_url(re.compile(r"/checkout/$"))
    address = user.addresses.get()
    expect(form.locator(f'input[name="address"][value="{address.pk}"]')).to_be_checked()
    expect(form.locator(f'input[name="shipping_method"][value="{express.pk}"]')).to_be_checked()
    expect(form.locator('input[name="payment_method"][value="online"]')).to_be_checked()
    # The member benefits panel names the tier; nothing to spend yet.
    benefits = form.locator(".member-benefits")
    expect(benefits).to_contain_text("普通")
    expect(benefits.locator('input[name="points_to_use"]')).to_have_count(0)
    expect(benefits.locator('input[name="use_wallet"]')).to_have_count(0)
    expect(form.locator('input[name="fulfilment"][value="delivery"]')).to_be_checked()
    expect(form.locator("dl.totals dd.total")).to_have_text("¥200.00")
    place = form.locator('.checkout-bar button[name="place"]')
    expect(place).to_be_visible()
    expect(form.locator(".checkout-bar .price")).to_have_text("¥200.00")  # the sticky 合计 bar
    screenshot("checkout")
    assert fits_the_screen(page)

    place.tap()

    # The gateway simulator's page: pay.
    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=user)
    card = page.locator(".gateway-card")
    expect(card).to_contain_text(order.number)
    expect(card.locator(".amount")).to_have_text("¥200.00")
    screenshot("gateway")
    assert fits_the_screen(page)
    card.locator('button[name="action"][value="pay"]').tap()

    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    expect(page.locator(".status.status-paid")).to_have_text(status_label(Order.Status.PAID))
    expect(page.locator(".order-actions form[action$='/received/']")).to_have_count(0)  # not shipped yet
    screenshot("order-paid")
    assert fits_the_screen(page)

    # Staff ship it.
    ship_order(order_id=order.pk, carrier="顺丰速运", tracking_number="SF1234567890", by=admin)

    # The shopper finds the order again from the member centre.
    page.locator('.site-header .top-links a[href="/account/"]').tap()
    expect(page).to_have_url(re.compile(r"/account/$"))
    page.locator('main .menu-list a[href="/orders/"]').tap()
    expect(page).to_have_url(re.compile(r"/orders/$"))
    listed = page.locator(f'.order-list a[href="{order.get_absolute_url()}"]')
    expect(listed.locator(".status")).to_have_text(status_label(Order.Status.SHIPPED))
    screenshot("order-list-shipped")
    assert fits_the_screen(page)
    listed.tap()

    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    expect(page.locator(".status.status-shipped")).to_have_text(status_label(Order.Status.SHIPPED))
    expect(page.locator(".tracking")).to_contain_text("SF1234567890")
    received = page.locator(".order-actions form[action$='/received/'] button[type='submit']")
    screenshot("order-shipped")
    assert fits_the_screen(page)

    received.tap()

    expect(page.locator(".messages .message.success")).to_be_visible()
    expect(page.locator(".status.status-completed")).to_have_text(status_label(Order.Status.COMPLETED))
    expect(received).to_have_count(0)
    screenshot("order-completed")
    assert fits_the_screen(page)

    # The member centre: 200 points (earned at 普通's ×1, the tier the order was placed and
    # completed in) and the new tier, 银卡, with its benefits.
    page.locator('.site-header .top-links a[href="/account/"]').tap()
    expect(page).to_have_url(re.compile(r"/account/$"))
    expect(page.locator(".member-card .member-who")).to_have_text(NEW_EMAIL)
    expect(page.locator(".member-card .tier-badge")).to_have_text("银卡")
    expect(page.locator('.member-stats a[href="/account/points/"] strong')).to_have_text("200")
    expect(page.locator('.member-stats a[href="/account/wallet/"] strong')).to_have_text("¥0.00")
    expect(page.locator(".tier-benefits")).to_contain_text("银卡")
    expect(page.locator(".tier-benefits")).to_contain_text("1.5")
    screenshot("member-centre")
    assert fits_the_screen(page)

    # The points history names the order.
    page.locator('.member-stats a[href="/account/points/"]').tap()
    expect(page).to_have_url(re.compile(r"/account/points/$"))
    expect(page.locator(".balance-line strong")).to_have_text("200")
    entries = page.locator(".ledger li")
    expect(entries).to_have_count(1)
    expect(entries.first).to_contain_text(order.number)
    expect(entries.first.locator(".change.plus")).to_have_text("+200")
    screenshot("points-history")
    assert fits_the_screen(page)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.total == Decimal("200.00")
    assert Payment.objects.get(order=order).amount == Decimal("200.00")
    member = MemberProfile.objects.get(user=user)
    assert member.points_balance == 200
    assert member.tier == silver
    assert member.total_spend == Decimal("200.00")
    assert member.last_order_at == order.completed_at
    earned = PointsEntry.objects.get(member=member)
    assert (earned.kind, earned.change, earned.reference) == (PointsEntry.Kind.EARN, 200, order.number)
    change = TierChange.objects.get(member=member)
    assert (change.from_tier, change.to_tier) == (regular, silver)
    assert order.number in change.reason
    assert Stock.objects.get(store=warehouse, variant=oil).on_hand == 8
    assert broken_responses == []


def test_a_member_pays_a_whole_order_from_stored_value_without_the_gateway(
    page, live_server, tiers, warehouse, express, oil, broken_responses, screenshot
):
    user = verified_member("laowang@example.com", username="laowang")
    AddressFactory(user=user, is_default=True)
    staff_top_up_wallet(user_id=user.pk, amount=Decimal("500.00"), reason="测试", by=None)

    log_in(page, user.email, SHOPPER_PASSWORD, oil.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, oil, 2)
    go_to_checkout_from_the_cart(page)

    form = page.locator("form.checkout-form")
    benefits = form.locator(".member-benefits")
    expect(benefits).to_contain_text("¥500.00")  # the stored value on hand
    use_wallet = benefits.locator('input[name="use_wallet"]')
    expect(use_wallet).not_to_be_checked()
    expect(form.locator("dl.totals dd.total")).to_have_text("¥200.00")
    expect(form.locator(".checkout-bar .price")).to_have_text("¥200.00")
    # Ticking the box re-prices the page in the background: no button to press.
    use_wallet.check()
    screenshot("checkout-wallet-ticked")
    assert fits_the_screen(page)

    # The wallet pays it all: ¥200 from stored value, nothing still to pay.
    expect(use_wallet).to_be_checked()
    totals = form.locator("dl.totals")
    expect(totals).to_have_count(2)
    expect(totals.first.locator("dd.total")).to_have_text("¥200.00")
    wallet_totals = totals.nth(1)
    expect(wallet_totals.locator("dd").first).to_have_text("¥200.00")
    expect(wallet_totals.locator("dd.total")).to_have_text("¥0.00")
    place = form.locator('.checkout-bar button[name="place"]')
    expect(form.locator(".checkout-bar .price")).to_have_text("¥0.00")  # the bar shows what is left to pay
    screenshot("checkout-wallet-updated")
    assert fits_the_screen(page)

    place.tap()

    # No gateway: straight to the order page, paid.
    expect(page).to_have_url(re.compile(r"/orders/\w+/$"))
    order = Order.objects.get(user=user)
    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    expect(page.locator(".status.status-paid")).to_have_text(status_label(Order.Status.PAID))
    expect(page.locator(".pay-now")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("¥200.00")
    screenshot("order-paid-from-wallet")
    assert fits_the_screen(page)

    # The wallet history shows the payment and the new balance.
    page.locator('.site-header .top-links a[href="/account/"]').tap()
    expect(page.locator('.member-stats a[href="/account/wallet/"] strong')).to_have_text("¥300.00")
    page.locator('.member-stats a[href="/account/wallet/"]').tap()
    expect(page).to_have_url(re.compile(r"/account/wallet/$"))
    expect(page.locator(".balance-line strong")).to_have_text("¥300.00")
    entries = page.locator(".ledger li")
    expect(entries).to_have_count(2)  # the payment, newest first, then the top-up
    payment = entries.first
    expect(payment).to_contain_text(order.number)
    expect(payment.locator(".change.minus")).to_have_text("-¥200.00")
    expect(payment.locator(".ledger-amount small")).to_contain_text("¥300.00")
    expect(entries.nth(1).locator(".change.plus")).to_have_text("+¥500.00")
    screenshot("wallet-history")
    assert fits_the_screen(page)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert (order.total, order.wallet_amount, order.amount_due) == (Decimal("200.00"), Decimal("200.00"), 0)
    assert Payment.objects.get(order=order).provider == "wallet"
    member = MemberProfile.objects.get(user=user)
    assert member.wallet_balance == Decimal("300.00")
    spent = WalletEntry.objects.get(member=member, kind=WalletEntry.Kind.PAYMENT)
    assert (spent.change, spent.balance_after) == (Decimal("-200.00"), Decimal("300.00"))
    assert spent.reference == order.number
    assert Stock.objects.get(store=warehouse, variant=oil).reserved == 2
    assert broken_responses == []


def test_stored_value_pays_part_of_an_order_and_the_gateway_collects_only_the_rest(
    page, live_server, tiers, warehouse, express, broken_responses, screenshot
):
    user = verified_member("xiaoli@example.com", username="xiaoli")
    AddressFactory(user=user, is_default=True)
    staff_top_up_wallet(user_id=user.pk, amount=Decimal("50.00"), reason="测试", by=None)
    tea = stocked_variant(store=warehouse, on_hand=5, price=Decimal("100.00"), name="西湖龙井 250g", slug="longjing")

    log_in(page, user.email, SHOPPER_PASSWORD, tea.product.get_absolute_url())
    add_to_cart_on_the_product_page(page, tea, 1)
    go_to_checkout_from_the_cart(page)

    # ¥100 of tea and ¥8 delivery: ¥108, of which the wallet's ¥50.
    form = page.locator("form.checkout-form")
    expect(form.locator("dl.totals dd.total")).to_have_text("¥108.00")
    expect(form.locator(".checkout-bar .price")).to_have_text("¥108.00")
    form.locator('input[name="use_wallet"]').check()  # re-prices the page in the background

    wallet_totals = form.locator("dl.totals").nth(1)
    expect(wallet_totals.locator("dd").first).to_have_text("¥50.00")
    expect(wallet_totals.locator("dd.total")).to_have_text("¥58.00")
    expect(form.locator(".checkout-bar .price")).to_have_text("¥58.00")
    screenshot("checkout-split")
    assert fits_the_screen(page)

    form.locator('.checkout-bar button[name="place"]').tap()

    # The gateway asks for the rest only.
    expect(page).to_have_url(re.compile(r"/gateway/pay/\w+/$"))
    order = Order.objects.get(user=user)
    card = page.locator(".gateway-card")
    expect(card).to_contain_text(order.number)
    expect(card.locator(".amount")).to_have_text("¥58.00")
    screenshot("gateway-rest")
    assert fits_the_screen(page)
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT  # the wallet part alone does not pay it
    card.locator('button[name="action"][value="pay"]').tap()

    expect(page).to_have_url(live_server.url + order.get_absolute_url())
    expect(page.locator(".status.status-paid")).to_have_text(status_label(Order.Status.PAID))
    expect(page.locator(".pay-now")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("¥50.00")  # paid from stored value
    screenshot("order-paid-split")
    assert fits_the_screen(page)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert (order.total, order.wallet_amount) == (Decimal("108.00"), Decimal("50.00"))
    payments = {p.provider: p for p in Payment.objects.filter(order=order)}
    assert payments["wallet"].amount == Decimal("50.00")
    gateway = [p for provider, p in payments.items() if provider != "wallet"]
    assert len(gateway) == 1 and gateway[0].amount == Decimal("58.00")
    assert gateway[0].status == Payment.Status.SUCCEEDED
    member = MemberProfile.objects.get(user=user)
    assert member.wallet_balance == Decimal("0.00")
    assert WalletEntry.objects.get(member=member, kind=WalletEntry.Kind.PAYMENT).change == Decimal("-50.00")
    assert broken_responses == []
