"""The filter drawer's fields, drawn in Python.

- ``{% filter_checkboxes name options %}``: a many-choice filter's checkboxes (brands, an attribute's
  options). A brand filter lists up to 30 brands and each attribute its options, and a template loop
  with an include per group cost more than the rest of the drawer together. The markup is the one
  catalog/_filters.html always had.
- ``{% filter_field field %}``: any other of its fields (sort, prices, stock, an attribute's bounds), in
  the markup of includes/_field.html. Included once per field, that template cost a cold category page
  about a fifteenth of its Python, and a search page, which offers every attribute, more.
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


@register.simple_tag
def filter_field(field) -> str:
    """A bound field exactly as ``{% include "includes/_field.html" with field=field only %}`` draws it."""
    errors = field.errors
    if getattr(field.field.widget, "input_type", "") == "checkbox":
        control = f"\n    <label>{esc(field)} {esc(field.label)}</label>\n  "
    else:
        control = f'\n    <label for="{esc(field.id_for_label)}">{esc(field.label)}</label>\n    {esc(field)}\n  '
    help_text = f'<small class="help">{esc(field.help_text)}</small>' if field.help_text else ""
    messages = "".join(f'<p class="error">{esc(error)}</p>' for error in errors)
    return mark_safe(
        f'<div class="field{" has-error" if errors else ""}">\n  {control}\n  {help_text}\n  {messages}\n</div>\n'
    )
