"""Two member journeys at 390 px, each with JavaScript on and off:

- a buyer reviews a completed order line with a photo; staff publish it and reply in the admin;
  the product page then shows the review, its reply and the stars;
- a member asks to be told when a sold-out variant is back; stock arrives, the beat task runs
  (twice) and exactly one mail goes out through the outbox.

Locators use names and links, not English words, so they keep working once the strings are translated.
"""

import re
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from playwright.sync_api import expect

from catalog.models import Product, Review
from members.models import BackInStockRequest
from members.services import ensure_member, set_marketing_consent
from orders.models import Order
from orders.services import record_payment, ship_order
from orders.services.notifications import flush_outbox, send_back_in_stock_notices
from orders.workflow import Actor, move_order
from stores.services import receive_stock
from tests.browser.steps import fits_the_screen
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import AddressFactory, ShippingMethodFactory, png_bytes, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture(params=[True, False], ids=["js", "no-js"])
def phone(request, browser, live_server):
    """A phone with JavaScript on, then off: every step must work both ways."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                                  locale="zh-CN", base_url=live_server.url, java_script_enabled=request.param)
    page = context.new_page()
    yield page
    context.close()


def log_in(page, email: str, next_url: str) -> None:
    page.goto(f"/accounts/login/?next={next_url}")
    form = page.locator('main form[action^="/accounts/login/"]')
    form.locator('input[name="login"]').fill(email)
    form.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    form.locator('button[type="submit"]').click()
    expect(page).to_have_url(re.compile(re.escape(next_url) + "$"))


def make_user(username: str, **extra):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com",
                                                password=SHOPPER_PASSWORD, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ensure_member(user=user)
    return user


def shot(page, folder_name: str):
    import os
    from pathlib import Path

    folder = os.environ.get("BROWSER_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{folder_name}.png"), full_page=True)


@pytest.fixture
def completed_order(transactional_db, warehouse):
    buyer = make_user("buyer")
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("36.00"), name="桂花乌龙", slug="oolong")
    express = ShippingMethodFactory(code="express")
    order = buy(buyer, [(variant, 1)], delivery_choice(AddressFactory(user=buyer), express))
    record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency="CNY",
                   transaction_id=f"SIM-{order.number}")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=None)
    move_order(order_id=order.pk, action="confirm_receipt", actor=Actor.shopper(buyer))
    return Order.objects.get(pk=order.pk)


def test_a_review_goes_from_purchase_to_published_with_a_staff_reply(
    phone, browser, live_server, completed_order, tmp_path, request
):
    js = "js" if "[js]" in request.node.name else "nojs"
    line = completed_order.lines.get()
    product = Product.objects.get(pk=line.variant.product_id)
    log_in(phone, "buyer@example.com", "/account/")

    # 我的 → 待评价 → 写评价
    phone.locator('a[href="/orders/to-review/"]').first.click()
    expect(phone).to_have_url(re.compile(r"/orders/to-review/$"))
    shot(phone, f"review-to-review-390-{js}")
    phone.locator(f'a[href="/orders/to-review/{line.pk}/"]').click()
    form = phone.locator("form.review-form")
    form.locator('input[name="rating"][value="4"]').check()
    form.locator('textarea[name="text"]').fill("香气很足，回甘明显")
    photo = tmp_path / "cup.png"
    photo.write_bytes(png_bytes(size=(64, 64)))
    form.locator('input[name="photos"]').set_input_files(str(photo))
    shot(phone, f"review-write-390-{js}")
    assert fits_the_screen(phone)
    form.locator('button[type="submit"]').click()
    expect(phone).to_have_url(re.compile(r"/orders/to-review/$"))
    expect(phone.locator(f'a[href="/orders/to-review/{line.pk}/"]')).to_have_count(0)
    review = Review.objects.get(order_line_id=line.pk)
    assert review.status == Review.Status.PENDING and review.photos.count() == 1

    # Not shown before staff look at it.
    phone.goto(product.get_absolute_url())
    expect(phone.locator("#reviews .review")).to_have_count(0)

    # Staff publish it and reply, in the admin on a desktop.
    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=boss, email=boss.email, verified=True, primary=True)
    desk = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN", base_url=live_server.url,
                               java_script_enabled="[js]" in request.node.name)
    admin = desk.new_page()
    try:
        log_in(admin, boss.email, "/admin/catalog/review/")
        admin.locator(f'input[name="_selected_action"][value="{review.pk}"]').check()
        admin.locator('select[name="action"]').select_option("publish_selected")
        admin.locator('button[name="index"], input[name="index"]').first.click()
        expect(admin.locator(".messagelist .success")).to_have_count(1)
        admin.goto(f"/admin/catalog/review/{review.pk}/change/")
        admin.locator('textarea[name="reply"]').fill("感谢支持，欢迎再来")
        shot(admin, f"review-admin-1366-{js}")
        admin.locator('input[name="_save"]').click()
        expect(admin.locator(".messagelist .success")).to_have_count(1)
    finally:
        desk.close()

    # The product page shows the review, the reply and the stars.
    phone.goto(product.get_absolute_url())
    reviews = phone.locator("#reviews")
    expect(reviews.locator(".review")).to_have_count(1)
    expect(reviews.locator(".review-text")).to_contain_text("回甘明显")
    expect(reviews.locator(".review-reply")).to_contain_text("感谢支持")
    expect(reviews.locator(".review-photos img")).to_have_count(1)
    expect(phone.locator(".rating-line .stars")).to_have_text("★★★★☆")
    phone.locator("#reviews").scroll_into_view_if_needed()
    shot(phone, f"review-product-page-390-{js}")
    assert fits_the_screen(phone)


def test_a_back_in_stock_notice_is_sent_once_when_stock_returns(phone, transactional_db, warehouse, request):
    js = "js" if "[js]" in request.node.name else "nojs"
    waiting = make_user("waiting")
    set_marketing_consent(user=waiting, consent=True)
    variant = stocked_variant(store=warehouse, on_hand=0, price=Decimal("59.00"), name="手冲壶", slug="kettle")
    log_in(phone, waiting.email, variant.product.get_absolute_url())

    notify = phone.locator(f'form.back-in-stock[action="/account/back-in-stock/{variant.pk}/"] button')
    shot(phone, f"back-in-stock-product-390-{js}")
    notify.click()
    expect(phone.locator(".messages, .messagelist, [role=status]").first).to_be_visible()
    assert BackInStockRequest.objects.filter(user=waiting, variant=variant).count() == 1

    phone.goto("/account/back-in-stock/")
    expect(phone.locator(f'a[href*="sku={variant.sku}"]')).to_have_count(1)
    shot(phone, f"back-in-stock-list-390-{js}")
    assert fits_the_screen(phone)

    # Stock arrives; the beat task runs twice (a repeat, or two workers): one mail.
    receive_stock(store_id=warehouse.pk, variant_id=variant.pk, quantity=5)
    send_back_in_stock_notices()
    send_back_in_stock_notices()
    flush_outbox()
    flush_outbox()
    assert [m.to for m in mail.outbox] == [[waiting.email]]
    assert variant.sku in mail.outbox[0].body

    phone.goto("/account/back-in-stock/")
    expect(phone.locator(f'a[href*="sku={variant.sku}"]')).to_have_count(0)
    phone.goto(variant.product.get_absolute_url())
    expect(phone.locator("form.back-in-stock")).to_have_count(0)
