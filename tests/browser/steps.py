"""Steps and checks the browser journeys share: a shopper's taps, and what they should see."""

import re
from urllib.parse import urlsplit

from django.utils import translation
from playwright.sync_api import Error, expect

from orders.models import Order


def fits_the_screen(page) -> bool:
    """No sideways scrolling: nothing on the page is wider than the phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def wait_for_path(page, path: str) -> None:
    """Wait until the page is at ``path`` itself. A glob like "**/admin/" also matches the log-in page
    still being submitted ("/accounts/login/?next=/admin/"), and the next goto would then cancel the log-in."""
    page.wait_for_url(lambda url: urlsplit(url).path == path)


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


def hold_requests(page, url: str, *, method: str, limit: int | None = None) -> list:
    """Hold the page's ``method`` requests to ``url`` on their way, as a slow network would.

    Returns the list the held routes go into (the first ``limit`` of them; later ones pass), for
    ``wait_until_held`` and ``let_go``.
    """
    held = []

    def hold(route):
        if route.request.method == method and (limit is None or len(held) < limit):
            held.append(route)
        else:
            route.continue_()

    page.route(url, hold)
    return held


def wait_until_held(page, held: list, count: int) -> None:
    """Until ``count`` requests have reached the route (its handler runs while the test waits on the page)."""
    for _ in range(100):
        if len(held) >= count:
            break
        page.wait_for_timeout(20)
    assert len(held) == count


def let_go(route) -> None:
    """Let a held request go on; the page may have given up on it meanwhile (aborted it)."""
    try:
        route.continue_()
    except Error:
        pass
