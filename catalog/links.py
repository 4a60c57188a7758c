"""Links to products and categories by slug, without a full URL reversal for each.

A listing draws a link per card, the cart one per line, breadcrumbs one per
level; ``reverse`` walks the URL patterns and checks the converters each time,
about 17 µs a link, a third of a product card's cost. Here the pattern is
reversed once per URL name, script prefix and URLconf, with a marker where
the slug goes, and a link is the slug quoted as ``reverse`` quotes it between
the two halves. A slug ``reverse`` would refuse (empty, or holding a slash)
still goes through ``reverse``, so it is refused the same way.
"""

from functools import lru_cache
from urllib.parse import quote

from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.http import RFC3986_SUBDELIMS

# Letters only: it passes the slug's converter and comes out of reverse's quoting unchanged.
_MARKER = "zzslugmarkerzz"
# What reverse() leaves unquoted in a path (django.urls.resolvers).
_SAFE = RFC3986_SUBDELIMS + "/~:@"


@lru_cache(maxsize=64)
def _halves(name: str, script_prefix: str, urlconf) -> tuple[str, str]:
    head, marker, tail = reverse(name, urlconf=urlconf, kwargs={"slug": _MARKER}).rpartition(_MARKER)
    assert marker, f"{name} does not take a slug"
    return head, tail


def slug_url(name: str, slug: str) -> str:
    """What ``reverse(name, kwargs={"slug": slug})`` gives, for a URL whose one argument is a slug."""
    if not slug or "/" in slug:
        return reverse(name, kwargs={"slug": slug})
    head, tail = _halves(name, get_script_prefix(), get_urlconf())
    return f"{head}{quote(slug, safe=_SAFE)}{tail}"
