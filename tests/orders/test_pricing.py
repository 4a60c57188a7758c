"""The pricing pipeline is a pure function: plain values in, explainable lines out."""

from decimal import Decimal

import pytest

from orders.pricing import PricingContext, PricingItem, ShippingRule, price_cart, shipping_fee_for

EXPRESS = ShippingRule(
    name="全国快递", code="express", base_fee=Decimal("8.00"), included_weight_grams=1000,
    fee_per_extra_kg=Decimal("2.00"), free_over=Decimal("99.00"),
)


def item(price, quantity=1, grams=0, sku="A"):
    return PricingItem(variant_id=1, sku=sku, name="商品", options="", unit_price=Decimal(price), quantity=quantity, weight_grams=grams)


def test_lines_are_rounded_once_each_then_summed():
    cart = price_cart([item("33.333", 3), item("0.005", 1)], PricingContext(is_pickup=True))

    assert [line.line_total for line in cart.lines] == [Decimal("100.00"), Decimal("0.01")]
    assert cart.subtotal == cart.total == Decimal("100.01")


def test_odd_prices_stay_exact_in_decimal():
    cart = price_cart([item("0.01", 99), item("33.33", 3)], PricingContext(is_pickup=True))

    assert cart.total == Decimal("100.98")


def test_shipping_is_its_own_line_and_counts_started_kilograms():
    cart = price_cart([item("10.00", 2, grams=1100)], PricingContext(shipping=EXPRESS))

    assert [(a.kind, a.amount) for a in cart.adjustments] == [("shipping", Decimal("12.00"))]
    assert cart.total == Decimal("32.00") == cart.subtotal + cart.shipping_fee


@pytest.mark.parametrize(("grams", "fee"), [(0, "8.00"), (1000, "8.00"), (1001, "10.00"), (2000, "10.00"), (3500, "14.00")])
def test_the_weight_fee_rounds_up_to_whole_kilograms(grams, fee):
    assert shipping_fee_for(EXPRESS, grams) == Decimal(fee)


def test_free_shipping_from_the_threshold_is_shown_as_a_discount_line():
    cart = price_cart([item("99.00")], PricingContext(shipping=EXPRESS))

    assert [(a.kind, a.amount) for a in cart.adjustments] == [
        ("shipping", Decimal("8.00")),
        ("shipping_discount", Decimal("-8.00")),
    ]
    assert cart.total == Decimal("99.00")
    assert cart.discount_total == Decimal("-8.00")


def test_just_below_the_threshold_pays_shipping():
    assert price_cart([item("98.99")], PricingContext(shipping=EXPRESS)).total == Decimal("106.99")


def test_pickup_costs_no_shipping():
    cart = price_cart([item("10.00")], PricingContext(is_pickup=True, shipping=EXPRESS))

    assert cart.adjustments == [] and cart.total == Decimal("10.00")


def test_an_empty_cart_costs_nothing_not_even_shipping():
    cart = price_cart([], PricingContext(shipping=EXPRESS))

    assert cart.total == Decimal("0.00") and cart.adjustments == []


def test_the_total_never_goes_below_zero():
    from orders.pricing import Adjustment, PricedCart, _amount_due

    cart = PricedCart(subtotal=Decimal("5.00"), adjustments=[Adjustment(kind="coupon", label="券", amount=Decimal("-20.00"))])
    _amount_due(cart)

    assert cart.total == Decimal("0.00")
    assert cart.adjustments[-1].kind == "floor" and cart.adjustments[-1].amount == Decimal("15.00")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        price_cart([PricingItem(1, "A", "x", "", 9.99, 1)], PricingContext(is_pickup=True))


def test_a_zero_or_negative_quantity_is_refused():
    with pytest.raises(ValueError):
        price_cart([item("1.00", 0)], PricingContext(is_pickup=True))
