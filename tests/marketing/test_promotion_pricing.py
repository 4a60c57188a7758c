"""Promotions in the pricing pipeline (step 3 and free shipping in step 5): pure, with plain rules."""

from decimal import Decimal

from django.utils import translation

from marketing import stacking
from marketing.models import Promotion
from marketing.rules import PromotionRule
from orders.pricing import PricingContext, PricingItem, ShippingRule, price_cart

D = Decimal
K = Promotion.Kind


def item(variant_id, price, quantity=1):
    return PricingItem(variant_id=variant_id, sku=f"SKU{variant_id}", name=f"商品{variant_id}", options="",
                       unit_price=D(price), quantity=quantity)


def rule(promotion_id, kind, **figures):
    return PromotionRule(promotion_id=promotion_id, name=figures.pop("name", f"活动{promotion_id}"), kind=kind, **figures)


TIERED = rule(1, K.THRESHOLD, name="满199减20", steps=((D("199"), D("20")), (D("299"), D("40"))))


def promotion_amounts(cart):
    return [(a.reference, a.amount) for a in cart.adjustments if a.kind == "promotion"]


def test_a_tiered_threshold_reduction_takes_the_highest_step_reached():
    cart = price_cart([item(1, "150.00"), item(2, "160.00")], PricingContext(promotions=(TIERED,)))

    assert promotion_amounts(cart) == [("promotion:1", D("-40.00"))]
    assert cart.total == D("270.00")
    assert [line.discount for line in cart.lines] == [D("19.35"), D("20.65")]


def test_below_the_first_step_the_cart_is_told_how_much_more_to_spend():
    cart = price_cart([item(1, "187.00")], PricingContext(promotions=(TIERED,)))

    assert promotion_amounts(cart) == []
    assert cart.promotion_hints == [{"kind": "threshold", "name": "满199减20", "missing": "12.00", "discount": "20.00"}]


def test_every_hundred_off_ten_stops_at_its_cap():
    every = rule(2, K.THRESHOLD, every_amount=D("100"), amount=D("10"), max_discount=D("30"))

    assert promotion_amounts(price_cart([item(1, "250.00")], PricingContext(promotions=(every,)))) == [
        ("promotion:2", D("-20.00"))
    ]
    assert promotion_amounts(price_cart([item(1, "990.00")], PricingContext(promotions=(every,)))) == [
        ("promotion:2", D("-30.00"))
    ]


def test_a_threshold_counts_only_the_goods_it_covers():
    covered = rule(1, K.THRESHOLD, steps=((D("199"), D("20")),), variant_ids=frozenset({1}))

    cart = price_cart([item(1, "150.00"), item(2, "100.00")], PricingContext(promotions=(covered,)))

    assert promotion_amounts(cart) == []


def test_percent_off_a_range_is_shared_over_the_covered_lines_only():
    sale = rule(3, K.PERCENT, percent=D("20"), variant_ids=frozenset({2}))

    cart = price_cart([item(1, "50.00"), item(2, "30.00", 2)], PricingContext(promotions=(sale,)))

    assert [line.discount for line in cart.lines] == [D("0.00"), D("12.00")]
    assert cart.total == D("98.00")


def test_the_second_item_at_half_price_discounts_every_second_unit_of_a_line():
    half = rule(4, K.NTH_ITEM, nth=2, percent=D("50"))

    cart = price_cart([item(1, "30.00", 3), item(2, "9.99", 1)], PricingContext(promotions=(half,)))

    assert [line.discount for line in cart.lines] == [D("15.00"), D("0.00")]


def test_buy_two_get_one_free_gives_one_unit_per_three():
    deal = rule(5, K.BUY_X_GET_Y, buy_quantity=2, free_quantity=1)

    cart = price_cart([item(1, "10.00", 7)], PricingContext(promotions=(deal,)))

    assert cart.lines[0].discount == D("20.00")


def test_price_off_per_item_never_takes_a_unit_below_zero():
    off = rule(6, K.AMOUNT_OFF, amount=D("5.00"))

    cart = price_cart([item(1, "3.00", 2), item(2, "20.00", 2)], PricingContext(promotions=(off,)))

    assert [line.discount for line in cart.lines] == [D("6.00"), D("10.00")]


def test_a_line_gets_one_price_promotion_and_the_threshold_then_counts_what_is_left():
    sale = rule(7, K.PERCENT, percent=D("10"), priority=10)
    other_sale = rule(8, K.PERCENT, percent=D("30"), priority=20)

    cart = price_cart([item(1, "220.00")], PricingContext(promotions=(TIERED, other_sale, sale)))

    # 10 % (first by priority) makes ¥198: below ¥199, so no 满减; the 30 % never applies.
    assert promotion_amounts(cart) == [("promotion:7", D("-22.00"))]
    assert cart.promotion_hints[0]["missing"] == "1.00"


def test_an_exclusive_promotion_keeps_its_lines_to_itself():
    exclusive = rule(9, K.PERCENT, percent=D("50"), is_exclusive=True, priority=500, variant_ids=frozenset({1}))

    cart = price_cart([item(1, "300.00"), item(2, "250.00")], PricingContext(promotions=(TIERED, exclusive)))

    assert promotion_amounts(cart) == [("promotion:9", D("-150.00")), ("promotion:1", D("-20.00"))]
    assert cart.lines[0].discount == D("150.00")  # the 满减 was shared over line 2 alone
    assert cart.lines[1].discount == D("20.00")


def test_member_day_takes_its_percent_after_the_tier_and_records_its_points_multiplier():
    day = rule(10, K.MEMBER_DAY, percent=D("10"), points_multiplier=D("2"))

    cart = price_cart([item(1, "100.00")], PricingContext(tier_discount_percent=D("5"), tier_name="银卡", promotions=(day,)))

    assert promotion_amounts(cart) == [("promotion:10", D("-9.50"))]
    params = [a.params for a in cart.adjustments if a.kind == "promotion"]
    assert stacking.points_multiplier(params) == D("2")


def test_a_points_only_member_day_still_leaves_its_multiplier_on_the_order():
    day = rule(11, K.MEMBER_DAY, points_multiplier=D("3"))

    cart = price_cart([item(1, "100.00")], PricingContext(promotions=(day,)))

    assert cart.total == D("100.00")
    assert stacking.points_multiplier(a.params for a in cart.adjustments) == D("3")


def test_a_gift_with_purchase_adds_a_free_line_once_the_threshold_is_reached():
    gift = rule(12, K.GIFT, threshold=D("100"), gift_variant_id=99, gift_sku="GIFT", gift_name="帆布袋", gift_quantity=1)

    below = price_cart([item(1, "80.00")], PricingContext(promotions=(gift,)))
    reached = price_cart([item(1, "120.00")], PricingContext(promotions=(gift, TIERED)))

    assert len(below.lines) == 1 and below.promotion_hints[0]["kind"] == "gift"
    assert [(line.item.variant_id, line.line_total, line.net_total) for line in reached.lines] == [
        (1, D("120.00"), D("120.00")), (99, D("0.00"), D("0.00")),
    ]
    assert all(len(a.shares) in (0, 2) for a in reached.adjustments)
    assert reached.total == D("120.00")


def test_a_gift_that_ran_out_is_said_and_the_cart_still_prices():
    gift = rule(13, K.GIFT, threshold=D("100"), gift_variant_id=99, gift_name="帆布袋", gift_in_stock=False)

    cart = price_cart([item(1, "120.00")], PricingContext(promotions=(gift,)))

    assert len(cart.lines) == 1
    with translation.override("en"):
        assert "out of stock" in next(a for a in cart.adjustments if a.kind == "promotion").label


def test_free_shipping_over_a_threshold_waives_the_fee_in_the_shipping_step():
    express = ShippingRule(name="快递", code="express", base_fee=D("8"), included_weight_grams=1000, fee_per_extra_kg=D("2"))
    free = rule(14, K.FREE_SHIPPING, threshold=D("59"))

    cart = price_cart([item(1, "60.00")], PricingContext(shipping=express, promotions=(free,)))
    short = price_cart([item(1, "50.00")], PricingContext(shipping=express, promotions=(free,)))

    assert cart.shipping_fee == D("0.00")
    assert [a.reference for a in cart.adjustments if a.kind == "shipping_discount"] == ["promotion:14"]
    assert short.shipping_fee == D("8.00")
    assert short.promotion_hints == [{"kind": "free_shipping", "name": "活动14", "missing": "9.00"}]


def test_a_coupon_skips_lines_whose_promotion_does_not_stack_with_coupons():
    no_coupons = rule(15, K.PERCENT, percent=D("10"), stackable_with_coupons=False)
    stacks = rule(16, K.PERCENT, percent=D("10"))

    def promotions_on_first_line(promotion):
        cart = price_cart([item(1, "100.00")], PricingContext(promotions=(promotion,)))
        return [a for a, _share in cart.lines[0].shares if a.kind == "promotion"]

    assert not stacking.coupon_may_stack_with(
        coupon_stackable_with_promotions=True, promotion_adjustments=promotions_on_first_line(no_coupons))
    assert stacking.coupon_may_stack_with(
        coupon_stackable_with_promotions=True, promotion_adjustments=promotions_on_first_line(stacks))
    assert not stacking.coupon_may_stack_with(
        coupon_stackable_with_promotions=False, promotion_adjustments=promotions_on_first_line(stacks))
    assert stacking.coupon_may_stack_with(coupon_stackable_with_promotions=False, promotion_adjustments=[])


def test_promotion_labels_say_what_the_promotion_did():
    cart = price_cart([item(1, "300.00")], PricingContext(promotions=(TIERED,)))

    with translation.override("en"):
        assert cart.lines[0].explanation[0][0] == "满199减20 (spent ¥299.00, ¥40.00 off)"
