"""Escaping for HTML the storefront draws in Python (product cards, cart lines, the filter drawer's widgets,
the header and tab bar).

``format_html`` escapes each argument through ``conditional_escape``, whose
lazy-string check and SafeString wrapping cost a few microseconds a value; a
widget drew a dozen values that way, a cart line some thirty. ``esc`` gives the
same text: markup already safe (anything with ``__html__``) is kept, anything
else goes through ``html.escape``, as Django's ``escape`` does.
"""

import html

from django.utils.safestring import SafeString


def esc(value) -> str:
    """``value`` as HTML text, exactly as ``conditional_escape`` would write it (a plain str, not marked safe)."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def attrs_html(attrs: dict) -> str:
    """Django's attrs.html, in the same order: True gives a bare attribute, False and None leave it out."""
    return "".join(
        f" {esc(name)}" if value is True else f' {esc(name)}="{esc(value)}"'
        for name, value in attrs.items()
        if value is not False and value is not None
    )


def html_format(format_string: str, *args, **kwargs) -> SafeString:
    """``format_html`` with ``esc``: the same markup, for code that draws many values per page.

    ``SafeString`` of the text is what ``mark_safe`` gives a str; called directly, it skips the lazy-argument
    check ``mark_safe`` makes on every call (a twentieth of a member's cart page, which calls this per value).
    """
    return SafeString(format_string.format(*map(esc, args), **{name: esc(value) for name, value in kwargs.items()}))
