"""The visit's traffic source (utm_source or an outside referrer's host), shared by analytics and checkout.

The analytics traffic middleware writes it into ``SOURCE_COOKIE`` for the browser session; checkout copies
it onto the order (``Order.source``) so the funnel's paid step can be counted per source. It lives here,
in the project package, because orders may not import analytics (ARCHITECTURE.md).
"""

import re

SOURCE_COOKIE = "shop_src"
MAX_LENGTH = 100  # Order.source and the traffic tables' source columns
_NOT_SOURCE = re.compile(r"[^\w.\-]+")


def clean_source(raw: str) -> str:
    """A source as it is stored: lower case, only letters, digits, dots and dashes, at most 100 characters."""
    return _NOT_SOURCE.sub("-", (raw or "").strip().lower())[:MAX_LENGTH]


def source_from_request(request) -> str:
    """The source this visit came from, or "" (direct, or no cookie). A cookie is the browser's to forge: cleaned."""
    return clean_source(request.COOKIES.get(SOURCE_COOKIE, ""))
