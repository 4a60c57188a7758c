"""``{% filter_checkboxes name options %}``: a many-choice filter's checkboxes (brands, an attribute's options).

Drawn in Python: a brand filter lists up to 30 brands and each attribute its options, and a
template loop with an include per group cost more than the rest of the drawer together.
The markup is the one catalog/_filters.html always had.
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def filter_checkboxes(name, options) -> str:
    """``options``: catalog.filters.CheckboxOption rows."""
    rows = format_html_join(
        "",
        '<div><label for="{}"><input type="checkbox" name="{}" value="{}" id="{}"{}> {}</label></div>',
        ((option.id, name, option.value, option.id, " checked" if option.checked else "", option.label)
         for option in options),
    )
    return format_html("<div>{}</div>", rows)
