"""The pricing pipeline: one pure function from cart lines and context to a priced cart.

It reads nothing from the database: callers pass prices and rules in, so
the cart page, the checkout page and the placed order are priced by the
same code and the result can be tested with plain values.

Every amount that is not goods is an ``Adjustment``: a kind
(``OrderAdjustment.Kind``), the figures its description needs (``params``)
and an amount. Words are not made here; ``Adjustment.label`` renders them in
the language of whoever reads them (orders.labels). Each goods adjustment
(tier, promotion, coupon, points, floor) is shared out over the lines it
covers, by value, in whole cents, largest remainder first, so every line
knows its gross, its discount, its points and its net, and:

    total = subtotal + discount_total + shipping_fee
    sum of a goods adjustment's line shares = its amount
    no line, and no total, ever goes below zero

The steps, in order (ARCHITECTURE.md):

1. unit price of each variant (flash / group price)  — _unit_prices
2. member tier discount                             — _tier_discount
3. promotions (threshold, percentage, buy X get Y)  — marketing plugs in here
4. coupon                                           — marketing plugs in here
5. shipping fee (tier may lower the free threshold) — _shipping
6. points redemption (capped)                       — _points
7. amount due, then wallet and/or external method   — _amount_due, _wallet

Promotions and coupons plug in with ``apply_goods_adjustment`` (the amount,
its kind and figures, and which lines it covers); the sharing out, the
floor at zero and the totals then follow by themselves.

The member's figures (tier, points and wallet balances, the points rate)
come in through ``PricingContext``; the caller reads them from the members
app, so this module stays free of queries.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from decimal import ROUND_DOWN, Decimal

from marketing.rules import CouponRule
from marketing.stacking import coupon_may_stack_with
from orders.models import OrderAdjustment
from shop.money import CENT, allocate, allocate_units, to_money

ZERO = Decimal("0.00")
Kind = OrderAdjustment.Kind

# Adjustments of the goods, shared out over lines; shipping stays on the order.
GOODS_KINDS = frozenset({Kind.TIER, Kind.PROMOTION, Kind.COUPON, Kind.POINTS, Kind.FLOOR})
SHIPPING_KINDS = frozenset({Kind.SHIPPING, Kind.SHIPPING_DISCOUNT})


@dataclass(frozen=True)
class PricingItem:
    """One cart line as the pipeline sees it: the current database price, never the client's."""

    variant_id: int
    sku: str
    name: str
    options: str
    unit_price: Decimal
    quantity: int
    weight_grams: int = 0


@dataclass(frozen=True)
class ShippingRule:
    name: str
    code: str
    base_fee: Decimal
    included_weight_grams: int
    fee_per_extra_kg: Decimal
    free_over: Decimal | None = None


@dataclass(frozen=True)
class PricingContext:
    is_pickup: bool = False
    shipping: ShippingRule | None = None
    # The member's tier: a percentage off the goods, and maybe a lower free-shipping threshold.
    tier_name: str = ""
    tier_discount_percent: Decimal = ZERO
    tier_free_shipping_over: Decimal | None = None
    # Points: how many the shopper wants to use, has, and what they are worth.
    points_requested: int = 0
    points_available: int = 0
    points_per_yuan: int = 100
    points_max_share: Decimal = Decimal("0.5")
    # Stored value: how much the shopper wants to pay from the wallet, and holds.
    wallet_requested: Decimal = ZERO
    wallet_available: Decimal = ZERO
    # Live promotions covering the cart (marketing.rules.PromotionRule), applied in step 3 and step 5.
    promotions: tuple = ()
    # Step 1: special unit prices (flash sale, group buy) as marketing.rules.UnitPriceRule, one per variant.
    unit_price_rules: tuple = ()
    # Step 4: the one coupon the shopper uses (chosen or picked as the best), resolved to the variants it covers.
    coupon: CouponRule | None = None


@dataclass(eq=False)
class Adjustment:
    """A line of the receipt that is not goods; goods adjustments carry their share per cart line."""

    kind: str  # an OrderAdjustment.Kind
    amount: Decimal  # positive adds to the bill, negative takes off
    params: dict = field(default_factory=dict)  # JSON-safe figures for the label: str, int, never Decimal
    reference: str = ""
    # One share per line of the cart, in line order (0 for a line it does not cover); empty for shipping.
    shares: tuple[Decimal, ...] = ()
    points: int = 0  # points adjustments: how many, and each line's share of them
    point_shares: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """The description in the active language, rendered when it is read, never stored."""
        from orders.labels import adjustment_label

        return adjustment_label(self.kind, self.params)

    @property
    def is_goods(self) -> bool:
        return self.kind in GOODS_KINDS


@dataclass(eq=False)
class PricedLine:
    item: PricingItem
    line_total: Decimal  # gross: unit price × quantity, rounded once
    discount: Decimal = ZERO  # positive: its shares of tier, promotions, coupon and floor
    points_used: int = 0
    points_value: Decimal = ZERO  # positive: its share of what the points paid
    shares: list[tuple[Adjustment, Decimal]] = field(default_factory=list)  # (adjustment, signed share)
    price_rule: object = None  # the UnitPriceRule that set this line's unit price, if any
    list_price: Decimal | None = None  # the normal unit price when a rule set a lower one

    @property
    def net_total(self) -> Decimal:
        """What the shopper pays for this line in money."""
        return self.line_total - self.discount - self.points_value

    @property
    def explanation(self) -> list[tuple[str, Decimal]]:
        """Why this line costs what it does: (label, share) per adjustment, in the reader's language."""
        return [(adjustment.label, amount) for adjustment, amount in self.shares]


@dataclass
class PricedCart:
    lines: list[PricedLine] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    subtotal: Decimal = ZERO
    total: Decimal = ZERO
    weight_grams: int = 0
    points_used: int = 0
    wallet_amount: Decimal = ZERO  # paid from stored value
    # How far the shopper is from a promotion not reached yet ("spend ¥12 more for ¥20 off"): plain dicts.
    promotion_hints: list = field(default_factory=list)

    @property
    def promotion_hint_labels(self) -> list[str]:
        """The hints in the reader's language ("Spend ¥12.00 more for ¥20.00 off (满199减20)")."""
        from orders.labels import promotion_hint

        return [promotion_hint(hint) for hint in self.promotion_hints]

    @property
    def amount_due(self) -> Decimal:
        """What the external method (gateway, transfer, cash) must still pay."""
        return self.total - self.wallet_amount

    @property
    def discount_total(self) -> Decimal:
        """Goods discounts, points included, as a negative amount (free shipping is in ``shipping_fee``)."""
        return sum((a.amount for a in self.adjustments if a.kind in GOODS_KINDS), ZERO)

    @property
    def shipping_fee(self) -> Decimal:
        """Shipping net of any free-shipping discount: never negative."""
        return sum((a.amount for a in self.adjustments if a.kind in SHIPPING_KINDS), ZERO)

    @property
    def goods_after_discounts(self) -> Decimal:
        """The goods after discounts but before points: what free shipping and the points cap look at."""
        return sum((line.line_total - line.discount for line in self.lines), ZERO)


def price_cart(items: list[PricingItem], context: PricingContext) -> PricedCart:
    """Price ``items`` in ``context``; no line and no total ever goes below zero."""
    cart = PricedCart()
    _unit_prices(cart, items, context.unit_price_rules)
    _tier_discount(cart, context)
    if context.promotions:
        from orders.pricing_promotions import apply_promotions  # it builds on this module's helpers

        apply_promotions(cart, context.promotions)
    _coupon(cart, context)
    _shipping(cart, context)
    _points(cart, context)
    _amount_due(cart)
    _wallet(cart, context)
    return cart


def _unit_prices(cart: PricedCart, items: list[PricingItem], rules=()) -> None:
    by_variant = {rule.variant_id: rule for rule in rules}
    for item in items:
        if item.quantity <= 0:
            raise ValueError("a priced line has at least one unit")
        if item.unit_price < 0:
            raise ValueError("a unit price is never negative")
        # A flash or group price covers the whole line or none of it: a line over the units the rule
        # allows keeps the normal price (checkout refuses it while the rule is open to the shopper).
        rule = by_variant.get(item.variant_id)
        list_price = None
        if rule is not None and item.quantity <= rule.max_units and 0 <= rule.price < item.unit_price:
            list_price = item.unit_price
            item = replace(item, unit_price=to_money(rule.price))
        else:
            rule = None
        # Round once per line, then sum the rounded lines.
        cart.lines.append(PricedLine(item=item, line_total=to_money(item.unit_price * item.quantity),
                                     price_rule=rule, list_price=list_price))
    cart.subtotal = sum((line.line_total for line in cart.lines), ZERO)
    cart.weight_grams = sum(item.weight_grams * item.quantity for item in items)


def apply_goods_adjustment(
    cart: PricedCart,
    *,
    kind: str,
    amount: Decimal,
    params: dict | None = None,
    reference: str = "",
    covers: Iterable[int] | None = None,
    points: int = 0,
) -> Adjustment | None:
    """Take ``amount`` (positive, whole cents) off the lines ``covers`` (indexes; all when None).

    The amount is shared out by each covered line's value so far (after the
    discounts before it, before points), largest remainder first, so the
    shares add up exactly. A discount worth more than its lines is recorded
    in full, then a ``floor`` adjustment gives back the excess on the lines
    it would have taken below zero. ``points`` (a points adjustment) are
    shared out by the same weights. Returns None when there is nothing to
    take it off.
    """
    if amount < 0:
        raise ValueError("a goods adjustment takes a positive amount off")
    indexes = list(range(len(cart.lines))) if covers is None else sorted(set(covers))
    weights = [cart.lines[i].line_total - cart.lines[i].discount - cart.lines[i].points_value for i in indexes]
    if amount == 0 or sum(weights, ZERO) <= 0:
        return None
    cents = allocate(-to_money(amount), weights)
    point_cents = allocate_units(points, weights) if points else []
    shares = [ZERO] * len(cart.lines)
    point_shares = [0] * len(cart.lines)
    for position, index in enumerate(indexes):
        shares[index] = cents[position]
        if points:
            point_shares[index] = point_cents[position]
    adjustment = Adjustment(
        kind=kind,
        amount=-to_money(amount),
        params=dict(params or {}),
        reference=reference,
        shares=tuple(shares),
        points=points,
        point_shares=tuple(point_shares) if points else (),
    )
    cart.adjustments.append(adjustment)
    _book_shares(cart, adjustment)
    # Shares by value never exceed a line's value unless the whole amount exceeds the lines' value;
    # then every covered line is at or below zero and the floor brings each back to exactly zero.
    overdrawn = [max(ZERO, -line.net_total) for line in cart.lines]
    if any(overdrawn):
        floor = Adjustment(kind=Kind.FLOOR, amount=sum(overdrawn, ZERO), shares=tuple(overdrawn))
        cart.adjustments.append(floor)
        _book_shares(cart, floor)
    return adjustment


def _book_shares(cart: PricedCart, adjustment: Adjustment) -> None:
    for index, share in enumerate(adjustment.shares):
        points = adjustment.point_shares[index] if adjustment.point_shares else 0
        if not share and not points:
            continue
        line = cart.lines[index]
        line.shares.append((adjustment, share))
        if adjustment.kind == Kind.POINTS:
            line.points_value -= share
            line.points_used += points
        else:
            line.discount -= share


def _tier_discount(cart: PricedCart, context: PricingContext) -> None:
    percent = context.tier_discount_percent
    if percent <= 0 or not cart.lines:
        return
    amount = to_money(cart.goods_after_discounts * percent / 100)
    if amount > 0:
        apply_goods_adjustment(
            cart,
            kind=Kind.TIER,
            amount=amount,
            params={"tier": context.tier_name, "percent": f"{percent.normalize():f}"},
            reference=context.tier_name,
        )


# --- 4. coupon ----------------------------------------------------------------------------


def coupon_covered_lines(cart: PricedCart, rule: CouponRule) -> list[int]:
    """Indexes of the lines ``rule`` may take money off: in its scope, and stacking with their promotions."""
    covered = []
    for index, line in enumerate(cart.lines):
        if not rule.covers_variant(line.item.variant_id):
            continue
        promotions = [adjustment for adjustment, _share in line.shares if adjustment.kind == Kind.PROMOTION]
        if coupon_may_stack_with(coupon_stackable_with_promotions=rule.stackable_with_promotions,
                                 promotion_adjustments=promotions):
            covered.append(index)
    return covered


def coupon_base(cart: PricedCart, rule: CouponRule) -> Decimal:
    """What the coupon's threshold is measured on: its covered lines after tier and promotions, before points.

    Read on a cart priced without this coupon, it also says how far a threshold is (the cart's hint).
    """
    return sum(
        (cart.lines[i].line_total - cart.lines[i].discount for i in coupon_covered_lines(cart, rule)
         if not any(a.reference == rule.reference for a, _s in cart.lines[i].shares)),
        ZERO,
    )


def coupon_discount(rule: CouponRule, base: Decimal) -> Decimal:
    """The money a goods coupon takes off covered goods worth ``base`` (never more than ``base``)."""
    if base <= 0 or base < rule.threshold:
        return ZERO
    if rule.kind == "percent":
        amount = to_money(base * (rule.percent or ZERO) / 100)
        if rule.max_discount is not None:
            amount = min(amount, rule.max_discount)
    elif rule.kind in ("cash_off", "threshold"):
        amount = rule.amount or ZERO
    else:  # free shipping acts on the fee, in step 5
        return ZERO
    return to_money(min(amount, base))


def _coupon(cart: PricedCart, context: PricingContext) -> None:
    rule = context.coupon
    if rule is None or not cart.lines or rule.kind == "free_shipping":
        return
    covers = coupon_covered_lines(cart, rule)
    amount = coupon_discount(rule, coupon_base(cart, rule))
    if covers and amount > 0:
        apply_goods_adjustment(
            cart, kind=Kind.COUPON, amount=amount, params={"code": rule.code, "name": rule.name},
            reference=rule.reference, covers=covers,
        )


def applied_coupon(cart: PricedCart) -> tuple[str, Decimal] | None:
    """The code of the coupon this priced cart uses and what it saved (goods or shipping), or None."""
    for adjustment in cart.adjustments:
        if adjustment.reference.startswith("coupon:"):
            return adjustment.reference.removeprefix("coupon:"), -adjustment.amount
    return None


# --- 5. shipping ---------------------------------------------------------------------------


def shipping_fee_for(rule: ShippingRule, weight_grams: int) -> Decimal:
    """Base fee, plus the per-kg fee for each started kilogram over the included weight."""
    extra_grams = max(0, weight_grams - rule.included_weight_grams)
    extra_kg = -(-extra_grams // 1000)  # started kilograms, rounded up
    return to_money(rule.base_fee + rule.fee_per_extra_kg * extra_kg)


def _shipping(cart: PricedCart, context: PricingContext) -> None:
    if context.is_pickup or context.shipping is None or not cart.lines:
        return
    rule = context.shipping
    fee = shipping_fee_for(rule, cart.weight_grams)
    if fee <= 0:
        return
    cart.adjustments.append(Adjustment(kind=Kind.SHIPPING, amount=fee, params={"method": rule.name}, reference=rule.code))
    thresholds = [t for t in (rule.free_over, context.tier_free_shipping_over) if t is not None]
    free_over = min(thresholds) if thresholds else None
    if free_over is not None and cart.goods_after_discounts >= free_over:
        # The tier's name is kept only when the tier's threshold is the one that made it free.
        params = {"free_over": str(to_money(free_over)), "tier": "" if free_over == rule.free_over else context.tier_name}
        cart.adjustments.append(Adjustment(kind=Kind.SHIPPING_DISCOUNT, amount=-fee, params=params, reference=rule.code))
        return  # already free: neither a promotion nor a coupon is spent on it
    if context.promotions:
        from orders.pricing_promotions import free_shipping_over

        # A free-shipping promotion only counts the goods it covers, so it is asked after the method's own rule.
        reached = free_shipping_over(cart, context.promotions)
        if reached is not None:
            params = {"free_over": str(to_money(reached[0])), "tier": "", "promotion": reached[1].name}
            cart.adjustments.append(
                Adjustment(kind=Kind.SHIPPING_DISCOUNT, amount=-fee, params=params, reference=reached[1].reference)
            )
            return
    coupon = context.coupon
    if coupon is not None and coupon.kind == "free_shipping":
        base = coupon_base(cart, coupon)
        if base > 0 and base >= coupon.threshold:
            cart.adjustments.append(Adjustment(
                kind=Kind.SHIPPING_DISCOUNT, amount=-fee, params={"coupon": coupon.code, "name": coupon.name},
                reference=coupon.reference,
            ))


def _points(cart: PricedCart, context: PricingContext) -> None:
    """Points as cash: at most the share of the goods the shop allows, whole cents only."""
    if context.points_requested <= 0 or context.points_per_yuan <= 0:
        return
    goods = cart.goods_after_discounts
    # Never more than the goods themselves, whatever the configured share.
    cap = int(min(goods * context.points_max_share, goods) * context.points_per_yuan)
    points = min(context.points_requested, context.points_available, cap)
    if points <= 0:
        return
    # Rounded down: points never buy a fraction of a cent more than they are worth.
    value = (Decimal(points) / context.points_per_yuan).quantize(CENT, rounding=ROUND_DOWN)
    if value <= 0:
        return
    if apply_goods_adjustment(cart, kind=Kind.POINTS, amount=value, params={"points": points}, reference=str(points), points=points):
        cart.points_used = points


def _amount_due(cart: PricedCart) -> None:
    total = cart.subtotal + sum((a.amount for a in cart.adjustments), ZERO)
    # Every step keeps lines at or above zero and free shipping never exceeds the fee.
    if total < 0:
        raise AssertionError(f"a priced cart went below zero: {total}")
    cart.total = to_money(total)


def _wallet(cart: PricedCart, context: PricingContext) -> None:
    """Pay from stored value first, up to what was asked, held and due; the rest goes external."""
    if context.wallet_requested <= 0:
        return
    cart.wallet_amount = to_money(max(ZERO, min(context.wallet_requested, context.wallet_available, cart.total)))
