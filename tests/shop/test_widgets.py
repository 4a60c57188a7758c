"""The filter drawer's widgets draw in Python exactly what Django's widget templates draw."""

import re
from decimal import Decimal

import pytest
from django import forms

from shop import widgets


def without_layout(html: str) -> str:
    """Django's select template puts line breaks between options; the browser ignores them."""
    return re.sub(r">\s+<", "><", html).strip()


@pytest.mark.parametrize(
    ("plain", "django_widget", "value"),
    [
        (widgets.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
         forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}), Decimal("12.50")),
        (widgets.NumberInput(), forms.NumberInput(), None),
        (widgets.NumberInput(attrs={"required": True, "disabled": False}),
         forms.NumberInput(attrs={"required": True, "disabled": False}), '"><script>'),
        (widgets.CheckboxInput(), forms.CheckboxInput(), True),
        (widgets.CheckboxInput(), forms.CheckboxInput(), False),
    ],
)
def test_a_plain_input_draws_the_same_html_as_djangos_template(plain, django_widget, value):
    attrs = {"id": "id_price"}

    assert plain.render("price", value, attrs) == django_widget.render("price", value, attrs)


@pytest.mark.parametrize("value", ["new", "-price", "", "<b>"])
def test_a_plain_select_draws_the_same_html_as_djangos_template(value):
    choices = [("new", "最新上架"), ("-price", "价格从高到低"), ("<b>", "A & B")]
    plain, django_widget = widgets.Select(choices=choices), forms.Select(choices=choices)

    assert without_layout(plain.render("sort", value, {"id": "id_sort"})) == without_layout(
        django_widget.render("sort", value, {"id": "id_sort"})
    )


def test_a_plain_select_draws_option_groups_as_django_does():
    choices = [("水果", [("apple", "苹果"), ("pear", "梨")]), ("other", "其他")]
    plain, django_widget = widgets.Select(choices=choices), forms.Select(choices=choices)

    assert without_layout(plain.render("kind", "pear", {})) == without_layout(django_widget.render("kind", "pear", {}))
