"""The pricing pipeline is a pure function: plain values in, explainable lines out."""

from decimal import Decimal

import pytest

from orders.pricing import PricingContext, PricingItem, ShippingRule, _amount_due, price_cart, shipping_fee_for

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
    # Free shipping is shipping that costs nothing, not a goods discount too: counted once.
    assert (cart.discount_total, cart.shipping_fee) == (Decimal("0.00"), Decimal("0.00"))
    assert cart.subtotal + cart.discount_total + cart.shipping_fee == cart.total


def test_just_below_the_threshold_pays_shipping():
    assert price_cart([item("98.99")], PricingContext(shipping=EXPRESS)).total == Decimal("106.99")


def test_pickup_costs_no_shipping():
    cart = price_cart([item("10.00")], PricingContext(is_pickup=True, shipping=EXPRESS))

    assert cart.adjustments == [] and cart.total == Decimal("10.00")


def test_an_empty_cart_costs_nothing_not_even_shipping():
    cart = price_cart([], PricingContext(shipping=EXPRESS))

    assert cart.total == Decimal("0.00") and cart.adjustments == []


def test_a_discount_worth_more_than_its_lines_is_floored_at_zero_on_each_line():
    from orders.pricing import Kind, apply_goods_adjustment

    cart = price_cart([item("2.00"), item("3.00")], PricingContext(is_pickup=True))
    apply_goods_adjustment(cart, kind=Kind.COUPON, amount=Decimal("20.00"), params={"code": "X"})
    _amount_due(cart)

    coupon, floor = cart.adjustments
    assert (coupon.kind, coupon.amount) == ("coupon", Decimal("-20.00"))
    assert (floor.kind, floor.amount) == ("floor", Decimal("15.00"))
    assert [line.net_total for line in cart.lines] == [Decimal("0.00"), Decimal("0.00")]
    assert [line.discount for line in cart.lines] == [Decimal("2.00"), Decimal("3.00")]
    assert cart.total == Decimal("0.00") == cart.subtotal + cart.discount_total


def test_floats_are_refused():
    with pytest.raises(TypeError):
        price_cart([PricingItem(1, "A", "x", "", 9.99, 1)], PricingContext(is_pickup=True))


def test_a_zero_or_negative_quantity_is_refused():
    with pytest.raises(ValueError):
        price_cart([item("1.00", 0)], PricingContext(is_pickup=True))


def member(**kwargs):
    defaults = dict(shipping=EXPRESS)
    defaults.update(kwargs)
    return PricingContext(**defaults)


def test_the_tier_discount_is_its_own_line_before_shipping():
    cart = price_cart([item("100.00")], member(tier_name="金卡", tier_discount_percent=Decimal("5")))

    assert [(a.kind, a.amount) for a in cart.adjustments][0] == ("tier", Decimal("-5.00"))
    # ¥95 of goods after the discount is under the ¥99 threshold: shipping is paid.
    assert cart.total == Decimal("103.00")


def test_a_tier_can_lower_the_free_shipping_threshold():
    cart = price_cart([item("60.00")], member(tier_name="银卡", tier_free_shipping_over=Decimal("59.00")))

    assert cart.shipping_fee == Decimal("0.00")
    assert "银卡" in cart.adjustments[-1].label


def test_points_pay_at_most_the_allowed_share_of_the_goods():
    cart = price_cart(
        [item("33.33")],
        member(points_requested=100_000, points_available=100_000, points_per_yuan=100, points_max_share=Decimal("0.5")),
    )

    points = next(a for a in cart.adjustments if a.kind == "points")
    assert cart.points_used == 1666 and points.amount == Decimal("-16.66")
    assert cart.total == Decimal("33.33") - Decimal("16.66") + Decimal("8.00")


def test_points_never_exceed_the_balance():
    cart = price_cart([item("100.00")], member(points_requested=5000, points_available=250))

    assert cart.points_used == 250 and cart.total == Decimal("100.00") - Decimal("2.50")


def test_the_wallet_pays_first_and_the_rest_is_due_elsewhere():
    cart = price_cart([item("33.33", 3)], member(wallet_requested=Decimal("60.00"), wallet_available=Decimal("100.00")))

    assert cart.total == Decimal("99.99")
    assert (cart.wallet_amount, cart.amount_due) == (Decimal("60.00"), Decimal("39.99"))


def test_the_wallet_never_pays_more_than_is_due_or_held():
    small = price_cart([item("0.01")], member(wallet_requested=Decimal("500"), wallet_available=Decimal("500")))
    poor = price_cart([item("50.00")], member(wallet_requested=Decimal("500"), wallet_available=Decimal("12.34")))

    assert (small.wallet_amount, small.amount_due) == (Decimal("8.01"), Decimal("0.00"))
    assert (poor.wallet_amount, poor.amount_due) == (Decimal("12.34"), Decimal("45.66"))


def test_tier_shipping_points_and_wallet_together_stay_exact():
    cart = price_cart(
        [item("33.33", 2, grams=600)],
        member(
            tier_name="金卡", tier_discount_percent=Decimal("10"),
            points_requested=1000, points_available=1000,
            wallet_requested=Decimal("20.00"), wallet_available=Decimal("20.00"),
        ),
    )

    # 66.66 − 6.67 tier + 10.00 shipping (1.2 kg) − 10.00 points = 59.99, of which 20.00 from the wallet
    assert [a.amount for a in cart.adjustments] == [Decimal("-6.67"), Decimal("10.00"), Decimal("-10.00")]
    assert cart.total == Decimal("59.99")
    assert cart.amount_due == Decimal("39.99")


def test_a_tier_discount_is_shared_over_the_lines_by_value_and_adds_up_exactly():
    cart = price_cart(
        [item("33.33"), item("33.33"), item("33.34")], PricingContext(is_pickup=True, tier_name="金卡", tier_discount_percent=Decimal("10"))
    )

    (tier,) = cart.adjustments
    assert tier.amount == Decimal("-10.00")
    assert tier.shares == (Decimal("-3.33"), Decimal("-3.33"), Decimal("-3.34"))
    assert [line.discount for line in cart.lines] == [Decimal("3.33"), Decimal("3.33"), Decimal("3.34")]
    assert [line.net_total for line in cart.lines] == [Decimal("30.00"), Decimal("30.00"), Decimal("30.00")]


def test_a_gold_member_returning_one_of_two_items_paid_ninety_for_it():
    cart = price_cart([item("100.00", 2)], PricingContext(is_pickup=True, tier_name="金卡", tier_discount_percent=Decimal("10")))

    (line,) = cart.lines
    assert (line.line_total, line.discount, line.net_total) == (Decimal("200.00"), Decimal("20.00"), Decimal("180.00"))
    assert line.net_total / line.item.quantity == Decimal("90.00")


def test_points_are_shared_out_as_a_count_and_as_money():
    cart = price_cart(
        [item("10.00"), item("20.00"), item("30.00")],
        PricingContext(is_pickup=True, points_requested=1001, points_available=5000, points_per_yuan=100),
    )

    assert cart.points_used == 1001
    assert [line.points_used for line in cart.lines] == [167, 334, 500]
    assert sum(line.points_value for line in cart.lines) == Decimal("10.01")
    assert [line.discount for line in cart.lines] == [Decimal("0.00")] * 3
    assert cart.total == Decimal("49.99") == sum(line.net_total for line in cart.lines)


def test_adjustments_carry_kinds_and_figures_and_labels_follow_the_readers_language():
    from django.utils import translation

    cart = price_cart([item("60.00")], member(tier_name="银卡", tier_discount_percent=Decimal("5"), tier_free_shipping_over=Decimal("50.00")))

    tier = cart.adjustments[0]
    assert (tier.kind, tier.params) == ("tier", {"tier": "银卡", "percent": "5"})
    assert cart.adjustments[-1].params == {"free_over": "50.00", "tier": "银卡"}
    with translation.override("en"):
        assert tier.label == "银卡 member discount 5%"
    assert cart.lines[0].explanation == [(tier.label, Decimal("-3.00"))]
