"""Project-wide pages: home, language switch, robots.txt, error pages."""

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_GET

from catalog import selectors as catalog_selectors
from catalog.cache import for_guests, page_key
from marketing import selectors as marketing_selectors
from shop.error_pages import not_found_response
from shop.redirects import safe_target


@require_GET
@for_guests()
def home(request):
    # The sections are read only when the cached fragment is missing (see catalog/cache.py).
    return render(
        request,
        "shop/home.html",
        {
            "announcements": SimpleLazyObject(marketing_selectors.live_announcements),
            "categories": SimpleLazyObject(catalog_selectors.category_tree),
            "featured": SimpleLazyObject(catalog_selectors.featured_products),
            "new_arrivals": SimpleLazyObject(catalog_selectors.new_arrivals),
            "fragment_key": page_key("home"),
        },
    )


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
