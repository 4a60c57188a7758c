"""Counts storefront page views for analytics: cheap, no database, a Redis pipeline per batch of requests.

What it leaves out: static and media files, the back office, health checks,
anything but a successful HTML page (or a successful add to cart), and bots
by their user agent. A guest gets a random visitor id cookie; only its daily
keyed hash is counted (see analytics/services/traffic.py). The source is the
utm_source of the landing page or the host of an outside referrer, kept for
the browser session in a cookie so the funnel steps after landing keep it.
"""

import logging
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings

from analytics.services.facts import shop_today
from analytics.services.traffic import Hit, PageType, record_hit, visitor_hash
from shop.traffic_source import SOURCE_COOKIE, clean_source, source_from_request

VISITOR_COOKIE = "shop_vid"
BOTS = re.compile(r"bot|crawl|spider|slurp|curl|wget|python|httpclient|headless|monitor|preview|scan", re.IGNORECASE)
PAGE_TYPES = {
    "home": PageType.HOME,
    "catalog:category": PageType.CATEGORY,
    "catalog:category-list": PageType.CATEGORY,
    "catalog:product": PageType.PRODUCT,
    "catalog:search": PageType.SEARCH,
    "orders:cart-detail": PageType.CART,
    "orders:checkout": PageType.CHECKOUT,
}
logger = logging.getLogger(__name__)


class TrafficMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        skipped = ["/admin/", "/healthz", "/favicon.ico", "/robots.txt", "/bench/"]
        for url in (settings.STATIC_URL, settings.MEDIA_URL):
            if url and url.startswith("/"):
                skipped.append(url)
        self.skipped = tuple(skipped)

    def __call__(self, request):
        response = self.get_response(request)
        try:
            self._count(request, response)
        except Exception:
            logger.warning("page view not counted", exc_info=True)
        return response

    def _count(self, request, response):
        if request.path.startswith(self.skipped) or response.status_code >= 400:
            return
        match = getattr(request, "resolver_match", None)
        if match is None:
            return
        view = match.view_name
        if request.method == "POST" and view == "orders:cart-add":
            counts_view, step, page_type = False, "add_to_cart", PageType.CART
        elif request.method == "GET" and response.status_code == 200 and \
                response.get("Content-Type", "").startswith("text/html"):
            page_type = PAGE_TYPES.get(view, PageType.OTHER)
            counts_view, step = True, "checkout_started" if page_type == PageType.CHECKOUT else ""
        else:
            return
        agent = request.META.get("HTTP_USER_AGENT", "")
        if not agent or BOTS.search(agent):
            return
        visitor = request.COOKIES.get(VISITOR_COOKIE, "")
        if not (16 <= len(visitor) <= 64):
            visitor = secrets.token_hex(16)
            response.set_cookie(VISITOR_COOKIE, visitor, max_age=365 * 24 * 3600, httponly=True, samesite="Lax",
                                secure=request.is_secure())
        source = self._landing_source(request)
        if source is None:
            source = source_from_request(request)
        elif source != request.COOKIES.get(SOURCE_COOKIE):
            response.set_cookie(SOURCE_COOKIE, source, httponly=True, samesite="Lax", secure=request.is_secure())
        day = shop_today()
        record_hit(Hit(day=day, page_type=page_type, source=source[:100], visitor=visitor_hash(visitor, day),
                       step=step, counts_view=counts_view))

    @staticmethod
    def _landing_source(request) -> str | None:
        """utm_source, or an outside referrer's host; None when this request does not say (an inside click)."""
        utm = request.GET.get("utm_source", "")
        if utm:
            return clean_source(utm)
        referrer = request.META.get("HTTP_REFERER", "")
        if referrer:
            host = (urlsplit(referrer).hostname or "").lower()
            if host and host != request.get_host().split(":")[0].lower():
                return host[:100]
        return None
