"""Two thousand random carts priced by the pipeline and by a reference calculator written apart from it.

The reference works in integer cents and exact fractions, and shares amounts
out with its own largest-remainder rule, so a rounding slip on either side
shows up as a difference to the cent. Seeded: a failure names its cart and
replays the same way every run.
"""

import random
from decimal import Decimal
from fractions import Fraction

from marketing.rules import CouponRule, PromotionRule
from orders.pricing import GOODS_KINDS, PricingContext, PricingItem, ShippingRule, _amount_due, price_cart

CARTS = 2000
SEED = 20261201
ODD_PRICES = ["0.01", "0.02", "0.99", "1.00", "9.99", "33.33", "66.67", "99.99", "100.00", "123.45", "0.00", "1999.99"]


def cents(amount: Decimal) -> int:
    return int(amount * 100)


def share_out(total: int, weights: list[int]) -> list[int]:
    """Reference largest remainder: exact fractions, leftover units to the biggest remainders, ties to bigger weight then earlier."""
    whole = sum(weights)
    if total == 0 or whole == 0:
        return [0] * len(weights)
    exact = [Fraction(total * w, whole) for w in weights]
    floors = [int(x) if x >= 0 else -int(-x) for x in exact]  # toward zero
    left = abs(total - sum(floors))
    step = 1 if total > 0 else -1
    order = sorted(range(len(weights)), key=lambda i: (-(abs(exact[i]) - abs(floors[i])), -weights[i], i))
    for i in order[:left]:
        floors[i] += step
    return floors


def half_up(fraction: Fraction) -> int:
    """Round a non-negative number of cents half up to whole cents."""
    return int(fraction + Fraction(1, 2))


def reference(lines, *, tier_percent, base_fee, per_kg, included, free_over, tier_free_over, pickup,
              points_requested, points_available, rate, max_share, wallet_requested, wallet_available, coupon=None,
              promotions=None):
    gross = [half_up(Fraction(cents(price) * 1, 1) * quantity) for price, quantity, _grams in lines]
    subtotal = sum(gross)
    tier = half_up(Fraction(subtotal) * Fraction(tier_percent) / 100) if tier_percent > 0 else 0
    tier_shares = share_out(tier, gross)
    after_tier = [g - s for g, s in zip(gross, tier_shares)]
    # Promotions (step 3): one price promotion per line, then the threshold on what is left.
    promotion_amount, promotion_shares = reference_promotions(after_tier, lines, promotions)
    tier_shares = [t + p for t, p in zip(tier_shares, promotion_shares)]
    after_tier = [a - p for a, p in zip(after_tier, promotion_shares)]
    # Coupon (step 4): its threshold on the covered lines after the tier; a goods coupon never exceeds them.
    coupon_amount, coupon_shares, free_shipping_coupon = 0, [0] * len(gross), False
    if coupon is not None:
        covered = [coupon["covers"] is None or i + 1 in coupon["covers"] for i in range(len(gross))]
        base = sum(a for a, c in zip(after_tier, covered) if c)
        if base > 0 and base >= cents(coupon["threshold"]):
            if coupon["kind"] in ("cash_off", "threshold"):
                coupon_amount = min(cents(coupon["amount"]), base)
            elif coupon["kind"] == "percent":
                coupon_amount = half_up(Fraction(base) * Fraction(coupon["percent"]) / 100)
                if coupon["max_discount"] is not None:
                    coupon_amount = min(coupon_amount, cents(coupon["max_discount"]))
                coupon_amount = min(coupon_amount, base)
            else:
                free_shipping_coupon = True
        coupon_shares = share_out(coupon_amount, [a if c else 0 for a, c in zip(after_tier, covered)])
    line_discounts = [t + c for t, c in zip(tier_shares, coupon_shares)]
    after_tier = [a - c for a, c in zip(after_tier, coupon_shares)]
    goods = sum(after_tier)
    shipping = 0
    if not pickup and lines:
        grams = sum(g * q for _p, q, g in lines)
        extra_kg = -(-max(0, grams - included) // 1000)
        fee = cents(base_fee) + cents(per_kg) * extra_kg
        thresholds = [cents(t) for t in (free_over, tier_free_over) if t is not None]
        shipping = 0 if (thresholds and goods >= min(thresholds)) or free_shipping_coupon else fee
    cap = int(Fraction(goods) * min(Fraction(max_share), Fraction(1)) * rate / 100)
    points = max(0, min(points_requested, points_available, cap))
    value = (points * 100) // rate
    if value == 0:
        points = 0
    point_value_shares = share_out(value, after_tier)
    point_count_shares = share_out(points, after_tier)
    net = [a - p for a, p in zip(after_tier, point_value_shares)]
    total = subtotal - tier - promotion_amount - coupon_amount + shipping - value
    wallet = max(0, min(cents(wallet_requested), cents(wallet_available), total))
    return {
        "gross": gross, "line_discounts": line_discounts, "point_value_shares": point_value_shares,
        "point_count_shares": point_count_shares, "net": net, "total": total, "points": points,
        "shipping": shipping, "wallet": wallet, "discounts": -(tier + promotion_amount + coupon_amount + value),
        "subtotal": subtotal,
    }


def random_cart(rng: random.Random):
    lines = []
    for _ in range(rng.randint(1, 6)):
        price = Decimal(rng.choice(ODD_PRICES)) if rng.random() < 0.6 else Decimal(rng.randint(0, 50000)) / 100
        lines.append((price, rng.randint(1, 99), rng.choice([0, 0, 150, 999, 1001, 2500])))
    context = dict(
        tier_percent=rng.choice([Decimal("0"), Decimal("5"), Decimal("10"), Decimal("12.5"), Decimal("33.33"), Decimal("100")]),
        base_fee=Decimal(rng.choice(["0.00", "8.00", "12.50", "0.01"])),
        per_kg=Decimal(rng.choice(["0.00", "2.00", "3.33"])),
        included=rng.choice([0, 1000, 3000]),
        free_over=rng.choice([None, Decimal("99.00"), Decimal("0.01"), Decimal("500.00")]),
        tier_free_over=rng.choice([None, None, Decimal("49.00")]),
        pickup=rng.random() < 0.2,
        points_requested=rng.choice([0, 1, 99, 100, 1001, 50_000, 10**7]),
        points_available=rng.choice([0, 50, 1000, 10**6, 10**8]),
        rate=rng.choice([100, 1, 7, 1000]),
        max_share=rng.choice([Decimal("0.5"), Decimal("0.3"), Decimal("1"), Decimal("1.5")]),
        wallet_requested=Decimal(rng.choice(["0", "0.01", "50.00", "99999.00"])),
        wallet_available=Decimal(rng.choice(["0", "12.34", "100000.00"])),
        coupon=random_coupon(rng, len(lines)),
        promotions=random_promotions(rng, len(lines)),
    )
    return lines, context


def reference_promotions(values: list[int], lines, promotions) -> tuple[int, list[int]]:
    """Cents the promotions take off and each line's share: exact fractions, written apart from the pipeline."""
    shares = [0] * len(values)
    if not promotions:
        return 0, shares
    left = list(values)
    price, threshold = promotions.get("price"), promotions.get("threshold")
    if price is not None:
        covered = [price["covers"] is None or i + 1 in price["covers"] for i in range(len(values))]
        if price["kind"] == "percent":
            base = sum(v for v, c in zip(left, covered) if c)
            amount = half_up(Fraction(base) * Fraction(price["percent"]) / 100)
            for i, share in enumerate(share_out(amount, [v if c else 0 for v, c in zip(left, covered)])):
                shares[i] += share
        else:
            for i, ((_price, quantity, _g), value) in enumerate(zip(lines, left)):
                if not covered[i] or value <= 0:
                    continue
                if price["kind"] == "amount_off":
                    amount = min(cents(price["amount"]) * quantity, value)
                elif price["kind"] == "nth_item":
                    units = quantity // price["nth"]
                    amount = half_up(Fraction(value * units) * Fraction(price["percent"]) / (100 * quantity))
                else:  # buy X get Y free
                    units = quantity // (price["buy"] + price["free"]) * price["free"]
                    amount = half_up(Fraction(value * units, quantity))
                shares[i] += min(amount, value)
        left = [v - s for v, s in zip(left, shares)]
    if threshold is not None:
        covered = [threshold["covers"] is None or i + 1 in threshold["covers"] for i in range(len(values))]
        base = sum(v for v, c in zip(left, covered) if c)
        reached = [cents(off) for at, off in threshold["steps"] if base >= cents(at)]
        amount = reached[-1] if reached else 0
        for i, share in enumerate(share_out(amount, [v if c else 0 for v, c in zip(left, covered)])):
            shares[i] += share
    return sum(shares), shares


def random_promotions(rng: random.Random, line_count: int):
    """None, or a price promotion and/or a tiered threshold reduction, each on the cart or a random subset."""
    if rng.random() < 0.3:
        return None

    def covers():
        return None if rng.random() < 0.5 else frozenset(i + 1 for i in range(line_count) if rng.random() < 0.6)

    promotions = {}
    kind = rng.choice([None, "percent", "amount_off", "nth_item", "buy_x_get_y"])
    if kind is not None:
        promotions["price"] = {
            "kind": kind, "covers": covers(), "percent": Decimal(rng.choice(["50", "10", "12.5", "33.33", "100"])),
            "amount": Decimal(rng.choice(["0.01", "1.00", "5.00", "99.99"])), "nth": rng.choice([1, 2, 3]),
            "buy": rng.choice([1, 2, 3]), "free": rng.choice([1, 2]),
        }
    if rng.random() < 0.6:
        steps = rng.choice([
            ((Decimal("199"), Decimal("20")), (Decimal("299"), Decimal("40"))),
            ((Decimal("0.01"), Decimal("0.01")),),
            ((Decimal("50.00"), Decimal("49.99")), (Decimal("1000.00"), Decimal("150.00"))),
        ])
        promotions["threshold"] = {"covers": covers(), "steps": steps}
    return promotions


def promotion_rules(promotions) -> tuple:
    if not promotions:
        return ()
    rules = []
    price = promotions.get("price")
    if price is not None:
        rules.append(PromotionRule(
            promotion_id=1, name="价", kind=price["kind"], variant_ids=price["covers"], percent=price["percent"],
            amount=price["amount"], nth=price["nth"], buy_quantity=price["buy"], free_quantity=price["free"],
        ))
    threshold = promotions.get("threshold")
    if threshold is not None:
        rules.append(PromotionRule(promotion_id=2, name="满减", kind="threshold", variant_ids=threshold["covers"],
                                   steps=threshold["steps"]))
    return tuple(rules)


def random_coupon(rng: random.Random, line_count: int):
    """None, or a coupon of any kind on the whole cart or a random subset of its lines (variant ids 1…n)."""
    kind = rng.choice([None, None, "cash_off", "threshold", "percent", "free_shipping"])
    if kind is None:
        return None
    covers = None if rng.random() < 0.5 else frozenset(i + 1 for i in range(line_count) if rng.random() < 0.5)
    return {
        "kind": kind, "covers": covers,
        "amount": Decimal(rng.choice(["0.01", "5.00", "20.00", "33.33", "100000.00"])),
        "threshold": Decimal("0.00") if kind == "cash_off" else Decimal(rng.choice(["0.00", "99.00", "199.00", "0.01"])),
        "percent": Decimal(rng.choice(["5", "10", "12.5", "33.33", "99"])),
        "max_discount": rng.choice([None, Decimal("30.00"), Decimal("0.01")]),
    }


def price_with_pipeline(lines, c):
    items = [
        PricingItem(variant_id=i + 1, sku=f"S{i}", name="x", options="", unit_price=price, quantity=q, weight_grams=g)
        for i, (price, q, g) in enumerate(lines)
    ]
    rule = ShippingRule(name="快递", code="x", base_fee=c["base_fee"], included_weight_grams=c["included"],
                        fee_per_extra_kg=c["per_kg"], free_over=c["free_over"])
    context = PricingContext(
        is_pickup=c["pickup"], shipping=rule, tier_name="金卡", tier_discount_percent=c["tier_percent"],
        tier_free_shipping_over=c["tier_free_over"], points_requested=c["points_requested"],
        points_available=c["points_available"], points_per_yuan=c["rate"], points_max_share=c["max_share"],
        wallet_requested=c["wallet_requested"], wallet_available=c["wallet_available"],
        coupon=coupon_rule(c["coupon"]),
        promotions=promotion_rules(c["promotions"]),
    )
    return price_cart(items, context)


def coupon_rule(coupon) -> CouponRule | None:
    if coupon is None:
        return None
    return CouponRule(
        code="PROP1", name="券", kind=coupon["kind"], amount=coupon["amount"], threshold=coupon["threshold"],
        percent=coupon["percent"], max_discount=coupon["max_discount"], variant_ids=coupon["covers"],
    )


def test_two_thousand_random_carts_agree_with_the_reference_to_the_cent():
    rng = random.Random(SEED)
    promoted = 0
    for number in range(CARTS):
        lines, c = random_cart(rng)
        cart = price_with_pipeline(lines, c)
        promoted += any(a.kind == "promotion" for a in cart.adjustments)
        ref = reference(lines, **c)
        where = f"cart {number}: {lines} {c}"

        assert [cents(line.line_total) for line in cart.lines] == ref["gross"], where
        assert cents(cart.subtotal) == ref["subtotal"], where
        assert [cents(line.discount) for line in cart.lines] == ref["line_discounts"], where
        assert [cents(line.points_value) for line in cart.lines] == ref["point_value_shares"], where
        assert [line.points_used for line in cart.lines] == ref["point_count_shares"], where
        assert cart.points_used == ref["points"], where
        assert [cents(line.net_total) for line in cart.lines] == ref["net"], where
        assert cents(cart.shipping_fee) == ref["shipping"], where
        assert cents(cart.discount_total) == ref["discounts"], where
        assert cents(cart.total) == ref["total"], where
        assert cents(cart.wallet_amount) == ref["wallet"], where

        # The invariants, whatever the figures.
        assert cart.subtotal + cart.discount_total + cart.shipping_fee == cart.total, where
        assert sum(line.net_total for line in cart.lines) + cart.shipping_fee == cart.total, where
        assert cart.total >= 0 and cart.amount_due >= 0 and cart.shipping_fee >= 0, where
        for line in cart.lines:
            assert line.discount >= 0 and line.points_value >= 0 and line.net_total >= 0, where
            assert line.line_total == line.discount + line.points_value + line.net_total, where
        for index, adjustment in enumerate(cart.adjustments):
            if adjustment.kind in GOODS_KINDS:
                assert sum(adjustment.shares) == adjustment.amount, f"{where} adjustment {index}"
                assert sum(adjustment.point_shares) == adjustment.points, f"{where} adjustment {index}"
                assert all(s <= 0 for s in adjustment.shares) or adjustment.kind == "floor", where
            else:
                assert adjustment.shares == (), where
            assert adjustment.amount == adjustment.amount.quantize(Decimal("0.01")), where
    assert promoted > CARTS // 3  # the promotions step really ran on many carts


def test_any_sequence_of_discounts_on_any_lines_shares_out_exactly_and_floors_each_line_at_zero():
    """The generic step promotions and coupons will use: random amounts on random subsets of lines."""
    from orders.pricing import Kind, apply_goods_adjustment

    rng = random.Random(SEED + 1)
    for number in range(CARTS):
        lines, _context = random_cart(rng)
        items = [
            PricingItem(variant_id=i + 1, sku=f"S{i}", name="x", options="", unit_price=p, quantity=q)
            for i, (p, q, _g) in enumerate(lines)
        ]
        cart = price_cart(items, PricingContext(is_pickup=True))
        for _step in range(rng.randint(1, 4)):
            covers = [i for i in range(len(items)) if rng.random() < 0.6] or [0]
            before = [line.net_total for line in cart.lines]
            worth = sum(before[i] for i in covers)
            amount = Decimal(rng.randint(0, 2 * int(worth * 100) + 2)) / 100
            kind = rng.choice([Kind.PROMOTION, Kind.COUPON])
            adjustment = apply_goods_adjustment(cart, kind=kind, amount=amount, params={"code": "X"}, covers=covers)
            where = f"cart {number}: {lines} covers {covers} amount {amount}"
            if adjustment is None:
                assert amount == 0 or worth == 0, where
                continue
            assert sum(adjustment.shares) == -amount, where
            expected = share_out(-cents(amount), [cents(before[i]) for i in covers])
            assert [cents(adjustment.shares[i]) for i in covers] == expected, where
            assert all(adjustment.shares[i] == 0 for i in range(len(items)) if i not in covers), where
            taken = sum(before) - sum(line.net_total for line in cart.lines)
            assert taken == min(amount, worth), where
            for line in cart.lines:
                assert line.net_total >= 0 and line.discount >= 0, where
                assert line.line_total == line.discount + line.net_total, where
        _amount_due(cart)
        assert cart.subtotal + cart.discount_total == cart.total == sum(line.net_total for line in cart.lines)
