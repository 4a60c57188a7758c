"""Which promotions apply together, in what order, and whether a coupon stacks on them: the one place.

The pipeline (orders/pricing.py) runs: member tier → promotions → coupon →
shipping → points → wallet. Inside the promotions step these rules hold:

1. Exclusive promotions go first (by priority, then id). One that applies
   keeps the lines it discounted to itself: no other promotion touches them,
   and an exclusive one never lands on a line another promotion discounted.
2. Then by stage, each stage working on what the stages before left:
   price promotions (percent / price off, Nth item, buy X get Y: at most
   one per line, the first by priority wins), member day (one per line),
   threshold reductions (one per line), gifts (one per line). Free shipping
   acts in the shipping step and stacks with everything.
3. Within a stage: lower ``priority`` first, then the older promotion.
4. A coupon stacks on a line a promotion discounted only if the coupon
   allows it and every such promotion does (``params["no_coupons"]``).
5. Member days do not multiply each other's points: the highest
   multiplier on the order counts.

Everything here is pure: rules and adjustments in, decisions out.
"""

from collections.abc import Iterable
from decimal import Decimal

from marketing.models import Promotion
from marketing.rules import PromotionRule

K = Promotion.Kind

PRICE_STAGE = frozenset({K.PERCENT, K.AMOUNT_OFF, K.NTH_ITEM, K.BUY_X_GET_Y})
STAGES = (PRICE_STAGE, frozenset({K.MEMBER_DAY}), frozenset({K.THRESHOLD}), frozenset({K.GIFT}))
SHIPPING_KINDS = frozenset({K.FREE_SHIPPING})


def stage_of(kind: str) -> int:
    for index, kinds in enumerate(STAGES):
        if kind in kinds:
            return index
    return len(STAGES)  # free shipping: after the goods


def ordered(rules: Iterable[PromotionRule]) -> list[PromotionRule]:
    """The goods promotions in the order the pipeline tries them (rules 1-3); free shipping is left out."""
    goods = [rule for rule in rules if rule.kind not in SHIPPING_KINDS]
    return sorted(goods, key=lambda rule: (not rule.is_exclusive, stage_of(rule.kind), rule.priority, rule.promotion_id))


def may_apply_to_line(rule: PromotionRule, applied: Iterable[PromotionRule]) -> bool:
    """Whether ``rule`` may discount a line that already carries the promotions ``applied`` (rules 1-2)."""
    applied = list(applied)
    if not applied:
        return True
    if rule.is_exclusive or any(other.is_exclusive for other in applied):
        return False
    return all(stage_of(other.kind) != stage_of(rule.kind) for other in applied)


def coupon_may_stack_with(*, coupon_stackable_with_promotions: bool, promotion_adjustments: Iterable) -> bool:
    """Whether a coupon may take money off a line carrying ``promotion_adjustments`` (rule 4)."""
    adjustments = [a for a in promotion_adjustments if a.amount]
    if not adjustments:
        return True
    if not coupon_stackable_with_promotions:
        return False
    return not any(a.params.get("no_coupons") for a in adjustments)


def points_multiplier(adjustment_params: Iterable[dict]) -> Decimal:
    """The points multiplier an order earns from its member-day promotions (rule 5); 1 without one."""
    best = Decimal(1)
    for params in adjustment_params:
        raw = (params or {}).get("points_multiplier")
        if raw:
            best = max(best, Decimal(str(raw)))
    return best
