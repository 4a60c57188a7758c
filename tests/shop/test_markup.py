"""Escaping for HTML drawn in Python gives exactly what Django's own escaping gives."""

from decimal import Decimal

import pytest
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext_lazy

from catalog.filters import CheckboxOption
from catalog.templatetags.filter_checkboxes import filter_checkboxes
from shop.markup import attrs_html, esc, html_format

VALUES = ['<script>alert("x")</script>', "Tom & Jerry's", "苹果 <红富士>", 42, Decimal("12.50"), None, "",
          mark_safe("<b>kept</b>"), gettext_lazy("Search")]


@pytest.mark.parametrize("value", VALUES)
def test_esc_writes_what_conditional_escape_writes(value):
    assert esc(value) == conditional_escape(value)


def test_html_format_writes_what_format_html_writes_positionally_and_by_name():
    assert html_format("<a href='{}'>{}</a>", *VALUES[:2]) == format_html("<a href='{}'>{}</a>", *VALUES[:2])
    assert html_format("<p>{a}{b}</p>", a=VALUES[0], b=mark_safe("<i>x</i>")) == format_html(
        "<p>{a}{b}</p>", a=VALUES[0], b=mark_safe("<i>x</i>")
    )


def test_html_format_gives_markup_a_template_prints_as_it_is():
    drawn = html_format("<b>{}</b>", "<i>")

    assert isinstance(drawn, SafeString) and conditional_escape(drawn) == "<b>&lt;i&gt;</b>"


def test_attributes_are_bare_when_true_left_out_when_false_or_none_and_escaped_otherwise():
    assert attrs_html({"required": True, "disabled": False, "min": None, "title": 'a "b" <c>'}) == (
        ' required title="a &quot;b&quot; &lt;c&gt;"'
    )


def test_filter_checkboxes_escape_hostile_option_values_and_labels_and_keep_the_checked_one():
    options = [
        CheckboxOption(id="brand_0", value='x"><script>', label="<b>Evil</b> & Co", checked=True),
        CheckboxOption(id="brand_1", value="plain", label="山东", checked=False),
    ]

    html = filter_checkboxes("brand", options)

    assert html == (
        '<div><div><label for="brand_0"><input type="checkbox" name="brand" value="x&quot;&gt;&lt;script&gt;"'
        ' id="brand_0" checked> &lt;b&gt;Evil&lt;/b&gt; &amp; Co</label></div>'
        '<div><label for="brand_1"><input type="checkbox" name="brand" value="plain" id="brand_1"> 山东</label></div>'
        "</div>"
    )
