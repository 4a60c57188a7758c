"""The pricing pipeline: one pure function from cart lines and context to a priced cart.

It reads nothing from the database: callers pass prices and rules in, so
the cart page, the checkout page and the placed order are priced by the
same code and the result can be tested with plain values.

Every amount that is not goods is an ``Adjustment`` (what, why, how much),
so a receipt explains itself and a refund can be computed per line:

    total = subtotal + sum(adjustment.amount)

The steps, in order (ARCHITECTURE.md):

1. unit price of each variant                     — _unit_prices
2. member tier discount                           — _tier_discount
3. promotions (threshold, percentage, buy X get Y) — marketing plugs in here
4. coupon                                         — marketing plugs in here
5. shipping fee (tier may lower the free threshold) — _shipping
6. points redemption (capped)                     — _points
7. amount due, then wallet and/or external method — _amount_due, _wallet

The member's figures (tier, points and wallet balances, the points rate)
come in through ``PricingContext``; the caller reads them from the members
app, so this module stays free of queries.

A step that is not built yet is a comment above, never a function that
pretends; each later app adds its function to ``price_cart`` at its place.
"""

from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _

from shop.money import CENT, to_money
from shop.templatetags.money import money

ZERO = Decimal("0.00")


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


@dataclass(frozen=True)
class PricedLine:
    item: PricingItem
    line_total: Decimal


@dataclass(frozen=True)
class Adjustment:
    kind: str  # "shipping", "shipping_discount", later "tier", "promotion", "coupon", "points"
    label: str
    amount: Decimal  # positive adds to the bill, negative takes off
    reference: str = ""


@dataclass
class PricedCart:
    lines: list[PricedLine] = field(default_factory=list)
    adjustments: list[Adjustment] = field(default_factory=list)
    subtotal: Decimal = ZERO
    total: Decimal = ZERO
    weight_grams: int = 0
    points_used: int = 0
    wallet_amount: Decimal = ZERO  # paid from stored value

    @property
    def amount_due(self) -> Decimal:
        """What the external method (gateway, transfer, cash) must still pay."""
        return self.total - self.wallet_amount

    @property
    def discount_total(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.amount < 0), ZERO)

    @property
    def shipping_fee(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.kind.startswith("shipping")), ZERO)

    @property
    def goods_after_discounts(self) -> Decimal:
        goods_discounts = sum(
            (a.amount for a in self.adjustments if a.amount < 0 and not a.kind.startswith("shipping")), ZERO
        )
        return self.subtotal + goods_discounts


def price_cart(items: list[PricingItem], context: PricingContext) -> PricedCart:
    """Price ``items`` in ``context``; the total never goes below zero."""
    cart = PricedCart()
    _unit_prices(cart, items)
    _tier_discount(cart, context)
    # 3. promotions — marketing plugs in here.
    # 4. coupon — marketing plugs in here.
    _shipping(cart, context)
    _points(cart, context)
    _amount_due(cart)
    _wallet(cart, context)
    return cart


def _unit_prices(cart: PricedCart, items: list[PricingItem]) -> None:
    for item in items:
        if item.quantity <= 0:
            raise ValueError("a priced line has at least one unit")
        if item.unit_price < 0:
            raise ValueError("a unit price is never negative")
        # Round once per line, then sum the rounded lines.
        cart.lines.append(PricedLine(item=item, line_total=to_money(item.unit_price * item.quantity)))
    cart.subtotal = sum((line.line_total for line in cart.lines), ZERO)
    cart.weight_grams = sum(item.weight_grams * item.quantity for item in items)


def _tier_discount(cart: PricedCart, context: PricingContext) -> None:
    percent = context.tier_discount_percent
    if percent <= 0 or not cart.lines:
        return
    amount = to_money(cart.goods_after_discounts * percent / 100)
    if amount > 0:
        cart.adjustments.append(
            Adjustment(
                kind="tier",
                label=_("%(tier)s member discount %(percent)s%%") % {"tier": context.tier_name, "percent": f"{percent.normalize():f}"},
                amount=-amount,
                reference=context.tier_name,
            )
        )


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
    cart.adjustments.append(Adjustment(kind="shipping", label=rule.name, amount=fee, reference=rule.code))
    thresholds = [t for t in (rule.free_over, context.tier_free_shipping_over) if t is not None]
    free_over = min(thresholds) if thresholds else None
    if free_over is not None and cart.goods_after_discounts >= free_over:
        label = _("Free shipping on orders from %(amount)s") % {"amount": money(free_over)}
        if free_over != rule.free_over:
            label = _("%(tier)s members: free shipping from %(amount)s") % {
                "tier": context.tier_name, "amount": money(free_over),
            }
        cart.adjustments.append(Adjustment(kind="shipping_discount", label=label, amount=-fee, reference=rule.code))


def _points(cart: PricedCart, context: PricingContext) -> None:
    """Points as cash: at most the share of the goods the shop allows, whole cents only."""
    if context.points_requested <= 0 or context.points_per_yuan <= 0:
        return
    cap = int(cart.goods_after_discounts * context.points_max_share * context.points_per_yuan)
    points = min(context.points_requested, context.points_available, cap)
    # Rounded down: points never buy a fraction of a cent more than they are worth.
    value = (Decimal(points) / context.points_per_yuan).quantize(CENT, rounding=ROUND_DOWN)
    if points <= 0 or value <= 0:
        return
    cart.points_used = points
    cart.adjustments.append(
        Adjustment(
            kind="points",
            label=_("%(points)s points") % {"points": points},
            amount=-value,
            reference=str(points),
        )
    )


def _amount_due(cart: PricedCart) -> None:
    total = cart.subtotal + sum((a.amount for a in cart.adjustments), ZERO)
    if total < 0:
        # Discounts never pay the shopper: the excess is given up, and said so.
        cart.adjustments.append(Adjustment(kind="floor", label=_("Discount limited to the order value"), amount=-total))
        total = ZERO
    cart.total = to_money(total)


def _wallet(cart: PricedCart, context: PricingContext) -> None:
    """Pay from stored value first, up to what was asked, held and due; the rest goes external."""
    if context.wallet_requested <= 0:
        return
    cart.wallet_amount = to_money(min(context.wallet_requested, context.wallet_available, cart.total))
