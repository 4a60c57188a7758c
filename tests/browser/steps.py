"""Steps and checks the browser journeys share: a shopper's taps, and what they should see."""

import re

from django.utils import translation
from playwright.sync_api import expect

from orders.models import Order


def fits_the_screen(page) -> bool:
    """No sideways scrolling: nothing on the page is wider than the phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def status_label(status: str) -> str:
    """The status as a shopper reads it in simplified Chinese."""
    with translation.override("zh-hans"):
        return str(Order.Status(status).label)


def add_to_cart_on_the_product_page(page, variant, quantity: int) -> None:
    page.goto(variant.product.get_absolute_url())
    expect(page.get_by_role("heading", level=1)).to_have_text(variant.product.name)
    form = page.locator("form.add-to-cart")
    form.locator('input[name="quantity"]').fill(str(quantity))
    form.locator('button[type="submit"]:not([name="buy_now"])').tap()  # 加入购物车, not 立即购买
    expect(page.locator(".messages .message.success")).to_contain_text(variant.product.name)


def go_to_checkout_from_the_cart(page) -> None:
    page.locator(".site-header .cart-link").tap()
    expect(page).to_have_url(re.compile(r"/cart/$"))
    page.locator('.cart-summary a[href="/checkout/"]').tap()
    expect(page).to_have_url(re.compile(r"/checkout/$"))


def tap_the_fulfilment_tab(form, fulfilment: str) -> None:
    """Tap the checkout's "delivery" / "pick up" tab; the tab is its radio, so it must end up chosen."""
    chosen = f'input[name="fulfilment"][value="{fulfilment}"]'
    radio = form.locator(chosen)
    # ``has`` is matched inside each tab, so it is built from the page, not from the form.
    form.locator(".fulfilment-tabs label.fulfilment-tab").filter(has=form.page.locator(chosen)).tap()
    expect(radio).to_be_checked()
    expect(form.locator(f".{fulfilment}-section")).to_be_visible()
