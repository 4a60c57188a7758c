from decimal import Decimal

import pytest
from django.template import Context, Template

from shop.money import to_money
from shop.templatetags.money import money


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2.345", Decimal("2.35")),
        ("2.344", Decimal("2.34")),
        ("-2.345", Decimal("-2.35")),
        (Decimal("0.005"), Decimal("0.01")),
        (3, Decimal("3.00")),
        ("1234.5", Decimal("1234.50")),
    ],
)
def test_to_money_rounds_half_away_from_zero_to_the_cent(value, expected):
    result = to_money(value)

    assert result == expected
    assert result.as_tuple().exponent == -2


def test_to_money_refuses_a_float():
    with pytest.raises(TypeError, match="float"):
        to_money(0.1)


@pytest.fixture
def yuan(settings):
    settings.SHOP_CURRENCY_SYMBOL = "¥"


def test_money_filter_shows_symbol_thousands_separator_and_two_decimals(yuan):
    assert money(Decimal("1234.5")) == "¥1,234.50"
    assert money(Decimal("1234567.891")) == "¥1,234,567.89"
    assert money(Decimal("0")) == "¥0.00"


def test_money_filter_puts_the_minus_sign_before_the_symbol(yuan):
    assert money(Decimal("-1234.5")) == "-¥1,234.50"


def test_money_filter_shows_nothing_for_none_or_empty(yuan):
    assert money(None) == ""
    assert money("") == ""


def test_money_filter_shows_nothing_for_text_that_is_not_a_number(yuan):
    assert money("free") == ""


def test_money_filter_works_in_a_template(yuan):
    rendered = Template("{% load money %}{{ amount|money }}").render(Context({"amount": Decimal("99.9")}))

    assert rendered == "¥99.90"
