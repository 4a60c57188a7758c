"""Project-wide pages: home, language switch, robots.txt, error pages."""

import logging

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from catalog.cache import CSRF_PLACEHOLDER, cached, for_guests, page_key
from marketing import selectors as marketing_selectors
from orders.services.cart import cart_count
from shop.error_pages import not_found_response
from shop.redirects import safe_target

logger = logging.getLogger(__name__)


def _home_context() -> dict:
    # The sections are read only when the cached fragment is missing (see catalog/cache.py).
    return {
        "announcements": SimpleLazyObject(marketing_selectors.live_announcements),
        "categories": SimpleLazyObject(catalog_selectors.category_tree),
        "featured": SimpleLazyObject(catalog_selectors.featured_products),
        "new_arrivals": SimpleLazyObject(catalog_selectors.new_arrivals),
        "fragment_key": page_key("home"),
    }


@require_GET
@for_guests()
def home(request):
    if request.user.is_authenticated and not len(get_messages(request)):
        page = _member_home_page(request)
        if page is not None:
            return HttpResponse(page)
    return render(request, "shop/home.html", _home_context())


# The member home is the same page for every member but for the cart badge: it is drawn once per
# catalogue version and language with this in the badge's place (see _member_home_page).
BADGE_PLACEHOLDER = "__shop_member_cart_badge__"
_BADGE = f'<span class="badge-count">{BADGE_PLACEHOLDER}</span>'


class _AnyMember:
    """Stands in for the member while the shared page is drawn: logged in, and nothing else to read.

    Whatever else the templates ask of it (a name, a tier, a permission) is noted, and such a page
    is then drawn for each member instead of being shared: a later template change can never show
    one member's details to another.
    """

    is_authenticated = True
    is_anonymous = False

    def __init__(self):
        self.asked: list[str] = []

    def __getattr__(self, name):
        self.asked.append(name)
        raise AttributeError(name)


def _member_home_page(request) -> str | None:
    """The member home with this member's badge; None when the page cannot be shared (draw it as usual).

    Drawn through the template engine the page's own work was most of its cost, though only the badge
    differs between members: the header, tab bar and cached sections are the same for all of them.
    """
    page = cached(page_key("member-home"), lambda: _draw_shared_member_home(request) or "")
    if not page:
        return None
    count = cart_count(request)
    if count:
        return page.replace(BADGE_PLACEHOLDER, str(count))
    return page.replace(f" {_BADGE}", "").replace(_BADGE, "")


def _draw_shared_member_home(request) -> str | None:
    member, stand_in = request.user, _AnyMember()
    # request.user too: templates reach the member through it (and the auth context processor reads it).
    request.user = stand_in
    try:
        context = {**_home_context(), "user": stand_in, "cart_count": BADGE_PLACEHOLDER, "messages": [],
                   "csrf_token": CSRF_PLACEHOLDER}
        content = render(request, "shop/home.html", context).content.decode()
    finally:
        request.user = member
    if stand_in.asked:
        logger.warning("member home not shared: the templates read %s of the member", ", ".join(sorted(set(stand_in.asked))))
        return None
    return content


@require_GET
def switch_language(request, code):
    """Remember the shopper's language in a cookie and go back where they were.

    A plain link rather than Django's POST-only set_language, so switching
    works from any page without a form or JavaScript.
    """
    # Back to where the shopper clicked: ?next=, else the page the link was on (Referer).
    candidate = request.GET.get("next") or request.headers.get("Referer")
    response = HttpResponseRedirect(safe_target(request, candidate) or reverse("home"))
    if code in dict(settings.LANGUAGES):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME, code, max_age=365 * 24 * 60 * 60, samesite="Lax"
        )
    return response


@require_GET
def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /accounts/",
        "Disallow: /search/",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says: send them to the static icon."""
    response = HttpResponseRedirect(static("favicon.ico"))
    response["Cache-Control"] = "public, max-age=86400"
    return response


def trivial(request):
    """A one-line template page: the yardstick `make bench` compares real pages against."""
    return render(request, "shop/trivial.html", {"now": "ok"})


def page_not_found(request, exception):
    return not_found_response(request)


def server_error(request):
    # No context processors or database here: the error may be the database.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
