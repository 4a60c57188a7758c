"""The shop's own "page not found" page, also under DEBUG (the demo's ``make run``)."""

from django.http import Http404
from django.shortcuts import render
from django.utils.translation import gettext as _

# The product page is the one place where "not found" usually means "taken off sale".
PRODUCT_VIEW_NAMES = frozenset({"catalog:product"})


def not_found_response(request):
    """The friendly 404 page, with a product-specific line when the missing thing is a product."""
    match = getattr(request, "resolver_match", None)
    if match is not None and match.view_name in PRODUCT_VIEW_NAMES:
        message = _("This product may have been taken off sale for good, or the link may be mistyped.")
    else:
        message = _("The link may be mistyped, or the page may have moved.")
    return render(request, "404.html", {"message": message}, status=404)


class FriendlyNotFoundMiddleware:
    """Answer 404s with the shop's page instead of Django's technical one (DEBUG only; see settings).

    Two kinds of 404 reach here: a view raising Http404 (caught in process_exception,
    before Django turns it into its debug page) and a URL no pattern matches (the
    response comes back with no resolver match, which only URL resolution failing gives).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and getattr(request, "resolver_match", None) is None:
            return not_found_response(request)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404):
            return not_found_response(request)
        return None
