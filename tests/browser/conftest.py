"""Fixtures for the browser tests: Debian's chromium driven by Playwright.

The tests run against pytest-django's ``live_server`` on a phone-sized
screen. They need /usr/bin/chromium (CI installs it; `playwright install`
is never used) and fail, rather than skip, when it is missing.

Set BROWSER_SCREENSHOTS to a folder (e.g. /tmp/shots) to keep a full-page
screenshot of each step for a human to look at.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread, so
# Django sees a "running loop" and refuses ORM calls made by the test itself
# (creating data, checking it) with SynchronousOnlyOperation. Nothing here is
# really async: each ORM call still runs synchronously in one thread, so
# lifting the guard is safe. It must be set before Playwright starts.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def browser():
    """One headless chromium for the whole session."""
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"The browser tests drive Debian's chromium at {CHROMIUM}, which is not installed.\n"
            "Install it with `apt-get install chromium` (CI does); do not use `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A fresh phone (390×844, touch, zh-CN) per test: no cookies carried between tests."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        base_url=live_server.url,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def broken_responses(page):
    """Every response of the page with a 4xx/5xx status (a missing stylesheet or image, a crash).

    /favicon.ico is left out: chromium asks for it on its own, whatever the page links to.
    """
    broken = []

    def note(response) -> None:
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            broken.append(f"{response.status} {response.url}")

    page.on("response", note)
    return broken


@pytest.fixture
def screenshot(page, request):
    """``screenshot("step")`` saves the whole page when BROWSER_SCREENSHOTS names a folder."""
    folder = os.environ.get("BROWSER_SCREENSHOTS")
    steps = iter(range(1, 100))

    def take(step: str) -> None:
        if not folder:
            return
        Path(folder).mkdir(parents=True, exist_ok=True)
        test = re.sub(r"\W+", "_", request.node.name)
        page.screenshot(path=str(Path(folder) / f"{test}-{next(steps):02d}-{step}.png"), full_page=True)

    return take


@pytest.fixture
def warehouse(transactional_db):
    """The online warehouse that ships delivery orders; nobody picks up there."""
    from stores.models import Store
    from tests.factories import StoreFactory

    return StoreFactory(
        code="online", name="线上旗舰仓", kind=Store.Kind.WAREHOUSE, priority=1, is_pickup_enabled=False
    )
