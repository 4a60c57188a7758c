"""``{% filter_checkboxes name options %}``: a many-choice filter's checkboxes (brands, an attribute's options).

Drawn in Python: a brand filter lists up to 30 brands and each attribute its options, and a
template loop with an include per group cost more than the rest of the drawer together.
The markup is the one catalog/_filters.html always had.
"""

from django import template
from django.utils.safestring import mark_safe

from shop.markup import esc

register = template.Library()


@register.simple_tag
def filter_checkboxes(name, options) -> str:
    """``options``: catalog.filters.CheckboxOption rows."""
    name = esc(name)
    rows = "".join(
        f'<div><label for="{esc(option.id)}"><input type="checkbox" name="{name}" value="{esc(option.value)}"'
        f' id="{esc(option.id)}"{" checked" if option.checked else ""}> {esc(option.label)}</label></div>'
        for option in options
    )
    return mark_safe(f"<div>{rows}</div>")
