"""Form widgets that draw their HTML in Python instead of through Django's widget templates.

Django renders each widget through two or three nested templates (input.html, attrs.html,
option.html per option): about 0.3 ms a widget. The storefront's filter drawer draws a dozen
of them on every category and search page it renders, where that was half the drawer's cost.
These keep Django's own ``get_context`` (names, ids, values, ``checked``/``selected``) and
write the same markup as Django's templates, attribute for attribute, every value escaped
(shop.markup.esc).
"""

from django import forms
from django.utils.safestring import mark_safe

from shop.markup import attrs_html, esc


class PlainInputMixin:
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        value_attr = f' value="{esc(widget["value"])}"' if widget["value"] is not None else ""
        return mark_safe(
            f'<input type="{esc(widget["type"])}" name="{esc(widget["name"])}"{value_attr}{attrs_html(widget["attrs"])}>'
        )


class NumberInput(PlainInputMixin, forms.NumberInput):
    pass


class CheckboxInput(PlainInputMixin, forms.CheckboxInput):
    pass


class Select(forms.Select):
    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        options = []
        for group_name, group, _index in widget["optgroups"]:
            rendered = "".join(
                f'<option value="{esc(option["value"])}"{attrs_html(option["attrs"])}>{esc(option["label"])}</option>'
                for option in group
            )
            options.append(f'<optgroup label="{esc(group_name)}">{rendered}</optgroup>' if group_name else rendered)
        return mark_safe(f'<select name="{esc(widget["name"])}"{attrs_html(widget["attrs"])}>{"".join(options)}</select>')
