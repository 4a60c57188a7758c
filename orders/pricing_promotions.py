"""Step 3 of the pricing pipeline: promotions (and what step 5 needs for free shipping).

Pure like the rest of orders.pricing: the rules (marketing.rules.PromotionRule)
come in through ``PricingContext.promotions``; which ones apply together, and
in what order, is asked of marketing.stacking. Every discount goes through
``apply_goods_adjustment`` on the lines it covers, so each line knows its
share and a refund pays back what the line really cost. Discounts earned by
a line's own units (price off per item, Nth item, buy X get Y) are booked on
that line alone.
"""

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from marketing import stacking
from marketing.models import Promotion
from marketing.rules import PromotionRule
from orders.models import OrderAdjustment
from orders.pricing import (
    ZERO,
    Adjustment,
    PricedCart,
    PricedLine,
    PricingItem,
    apply_goods_adjustment,
)
from shop.money import to_money

K = Promotion.Kind
PROMOTION = OrderAdjustment.Kind.PROMOTION


@dataclass(eq=False)
class GiftLine(PricedLine):
    """A ¥0 line a gift-with-purchase promotion added; it holds stock like any other line."""

    promotion_id: int = 0

    @property
    def is_gift(self) -> bool:
        return True


def _value(line: PricedLine) -> Decimal:
    return line.line_total - line.discount - line.points_value


def _params(rule: PromotionRule, **extra) -> dict:
    params = {"name": rule.name, "promotion_kind": str(rule.kind), **extra}
    if not rule.stackable_with_coupons:
        params["no_coupons"] = 1
    return params


def _money_str(value: Decimal) -> str:
    return str(to_money(value))


def apply_promotions(cart: PricedCart, rules) -> None:
    """Apply the goods promotions in stacking order; note how far the shopper is from the next one."""
    applied: dict[int, list[PromotionRule]] = {index: [] for index in range(len(cart.lines))}
    for rule in stacking.ordered(rules):
        eligible = [
            index
            for index, line in enumerate(cart.lines)
            if not getattr(line, "is_gift", False)
            and rule.covers_variant(line.item.variant_id)
            and stacking.may_apply_to_line(rule, applied[index])
            and _value(line) > 0
        ]
        if not eligible:
            continue
        for index in _apply_rule(cart, rule, eligible):
            applied.setdefault(index, []).append(rule)


def _apply_rule(cart: PricedCart, rule: PromotionRule, eligible: list[int]) -> list[int]:
    """Apply one rule to ``eligible`` lines; returns the lines it discounted (or gave a gift for)."""
    base = sum((_value(cart.lines[i]) for i in eligible), ZERO)
    if rule.kind == K.THRESHOLD:
        return _threshold(cart, rule, eligible, base)
    if rule.kind in (K.PERCENT, K.MEMBER_DAY):
        return _percent(cart, rule, eligible, base)
    if rule.kind in (K.AMOUNT_OFF, K.NTH_ITEM, K.BUY_X_GET_Y):
        return _per_line(cart, rule, eligible)
    if rule.kind == K.GIFT:
        return _gift(cart, rule, eligible, base)
    return []


def _threshold(cart, rule, eligible, base) -> list[int]:
    discount, reached = ZERO, ZERO
    hint = None
    if rule.steps:
        for threshold, step_discount in rule.steps:
            if base >= threshold:
                discount, reached = step_discount, threshold
            elif hint is None:
                hint = (threshold - base, step_discount)
    elif rule.every_amount and rule.amount and rule.every_amount > 0:
        times = int((base / rule.every_amount).to_integral_value(rounding=ROUND_FLOOR))
        discount = rule.amount * times
        if rule.max_discount is not None:
            discount = min(discount, rule.max_discount)
        reached = rule.every_amount * times
        capped = rule.max_discount is not None and discount >= rule.max_discount
        if not capped:
            hint = (rule.every_amount * (times + 1) - base, rule.amount * (times + 1) if rule.max_discount is None
                    else min(rule.amount * (times + 1), rule.max_discount))
    if hint is not None:
        cart.promotion_hints.append(
            {"kind": "threshold", "name": rule.name, "missing": _money_str(hint[0]), "discount": _money_str(hint[1])}
        )
    if discount <= 0:
        return []
    adjustment = apply_goods_adjustment(
        cart, kind=PROMOTION, amount=to_money(discount), reference=rule.reference, covers=eligible,
        params=_params(rule, reached=_money_str(reached), discount=_money_str(discount)),
    )
    return _discounted(adjustment, eligible)


def _percent(cart, rule, eligible, base) -> list[int]:
    percent = rule.percent or ZERO
    amount = to_money(base * percent / 100) if percent > 0 else ZERO
    if rule.max_discount is not None:
        amount = min(amount, rule.max_discount)
    extra = {"percent": f"{percent.normalize():f}"} if percent > 0 else {}
    if rule.kind == K.MEMBER_DAY and rule.points_multiplier and rule.points_multiplier != 1:
        extra["points_multiplier"] = f"{rule.points_multiplier.normalize():f}"
    if amount > 0:
        adjustment = apply_goods_adjustment(
            cart, kind=PROMOTION, amount=amount, reference=rule.reference, covers=eligible, params=_params(rule, **extra)
        )
        return _discounted(adjustment, eligible)
    if "points_multiplier" in extra:
        # A points-only member day takes nothing off, but the order must remember the multiplier it earned.
        cart.adjustments.append(
            Adjustment(kind=PROMOTION, amount=ZERO, reference=rule.reference, params=_params(rule, **extra),
                       shares=tuple(ZERO for _line in cart.lines))
        )
        return eligible
    return []


def _per_line(cart, rule, eligible) -> list[int]:
    discounted = []
    for index in eligible:
        line = cart.lines[index]
        quantity = line.item.quantity
        value = _value(line)
        # Divided last: a unit's share of a line may not end in whole digits, the discount it adds up to does.
        if rule.kind == K.AMOUNT_OFF:
            amount = min((rule.amount or ZERO) * quantity, value)
            extra = {"amount": _money_str(rule.amount or ZERO)}
        elif rule.kind == K.NTH_ITEM:
            nth = rule.nth or 0
            units = quantity // nth if nth >= 1 else 0
            amount = value * units * (rule.percent or ZERO) / 100 / quantity
            extra = {"nth": nth, "units": units}
        else:
            group = (rule.buy_quantity or 0) + (rule.free_quantity or 0)
            units = (quantity // group) * (rule.free_quantity or 0) if group > 0 and rule.buy_quantity else 0
            amount = value * units / quantity
            extra = {"units": units}
        amount = min(to_money(amount), _value(line))
        if amount <= 0:
            continue
        adjustment = apply_goods_adjustment(
            cart, kind=PROMOTION, amount=amount, reference=rule.reference, covers=[index], params=_params(rule, **extra)
        )
        discounted += _discounted(adjustment, [index])
    return discounted


def _gift(cart, rule, eligible, base) -> list[int]:
    threshold = rule.threshold or ZERO
    if rule.gift_variant_id is None:
        return []
    if base < threshold:
        cart.promotion_hints.append(
            {"kind": "gift", "name": rule.name, "missing": _money_str(threshold - base), "gift": rule.gift_name}
        )
        return []
    quantity = max(1, rule.gift_quantity)
    if rule.gift_in_stock:
        item = PricingItem(
            variant_id=rule.gift_variant_id, sku=rule.gift_sku, name=rule.gift_name, options=rule.gift_options,
            unit_price=ZERO, quantity=quantity,
        )
        cart.lines.append(GiftLine(item=item, line_total=ZERO, promotion_id=rule.promotion_id))
        # Earlier adjustments keep one share per line, the gift's being nothing.
        for adjustment in cart.adjustments:
            if adjustment.shares:
                adjustment.shares = (*adjustment.shares, ZERO)
            if adjustment.point_shares:
                adjustment.point_shares = (*adjustment.point_shares, 0)
    cart.adjustments.append(
        Adjustment(
            kind=PROMOTION, amount=ZERO, reference=rule.reference,
            params=_params(rule, gift=rule.gift_name, gift_quantity=quantity, gift_in_stock=int(rule.gift_in_stock)),
            shares=tuple(ZERO for _line in cart.lines),
        )
    )
    return eligible


def _discounted(adjustment: Adjustment | None, eligible: list[int]) -> list[int]:
    if adjustment is None:
        return []
    return [index for index in eligible if adjustment.shares[index]]


def free_shipping_over(cart: PricedCart, rules) -> tuple[Decimal, PromotionRule] | None:
    """The lowest free-shipping threshold the covered goods reach, with its rule; hints otherwise."""
    best = None
    for rule in rules:
        if rule.kind != K.FREE_SHIPPING:
            continue
        threshold = rule.threshold or ZERO
        covered = sum(
            (_value(line) for line in cart.lines if rule.covers_variant(line.item.variant_id)), ZERO
        )
        if covered >= threshold:
            if best is None or threshold < best[0]:
                best = (threshold, rule)
        elif covered > 0:
            cart.promotion_hints.append(
                {"kind": "free_shipping", "name": rule.name, "missing": _money_str(threshold - covered)}
            )
    return best
