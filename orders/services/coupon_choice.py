"""Which coupon prices a cart: the shopper's choice, or the best one they hold, and what each would do.

Pricing itself stays pure (orders/pricing.py); this module reads the
member's coupons once (marketing.coupon_selectors), turns each into a rule
for the cart's goods and prices the cart with each, so the checkout picker
can say what every coupon saves, or what it still needs.
"""

from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.utils.translation import gettext as _

from marketing import coupon_selectors
from marketing.services.coupons import CouponError, clean_code, coupon_refusal
from orders.pricing import (
    PricedCart,
    PricingContext,
    applied_coupon,
    coupon_base,
    price_cart,
)
from shop.money import format_money

ZERO = Decimal("0.00")


@dataclass
class CouponOption:
    """One coupon the shopper holds, as it would work on this cart."""

    code: str
    name: str
    template: object
    valid_until: object
    saving: Decimal = ZERO  # what it takes off (goods or shipping) on this cart
    shortfall: Decimal = ZERO  # how much more of its goods to buy to reach its threshold
    reason: str = ""  # why it does not apply, when it does not

    @property
    def applies(self) -> bool:
        return self.saving > 0


@dataclass
class CouponPricing:
    priced: PricedCart
    options: list[CouponOption] = field(default_factory=list)
    chosen_code: str = ""  # the coupon the price uses ("" for none)
    is_automatic: bool = True  # chosen by the shop as the best, not by the shopper
    error: str = ""  # the shopper's code cannot be used: why

    @property
    def hint(self) -> CouponOption | None:
        """The closest threshold not yet reached (the cart's 再买 ¥12 可用满199减20)."""
        short = [o for o in self.options if not o.applies and o.shortfall > 0]
        return min(short, key=lambda o: o.shortfall) if short else None


def _why_not(rule, base: Decimal) -> tuple[Decimal, str]:
    if base <= 0:
        return ZERO, _("Not for the goods in your cart.")
    if base < rule.threshold:
        shortfall = rule.threshold - base
        return shortfall, _("Spend %(amount)s more on eligible goods to use it.") % {"amount": format_money(shortfall)}
    return ZERO, _("Nothing to take off on this order.")


def choose_coupon(items, variants, context: PricingContext, wanted: str | None, member) -> CouponPricing:
    """Price ``items`` with the coupon ``wanted`` (None: the best held; "": none) and list every held one."""
    without = price_cart(items, context)
    if member is None:
        return CouponPricing(priced=without)
    # The member's row says when they hold no coupon usable now (orders.checkout_queries.member_with_tier).
    coupons = coupon_selectors.usable_coupons(member.user_id) if getattr(member, "may_hold_usable_coupon", True) else []
    places = coupon_selectors.variant_places(variants) if coupons or wanted else []
    options, priced_by_code = [], {}
    for coupon in coupons:
        rule = coupon_selectors.coupon_rule(coupon.template, coupon.code, places)
        priced = price_cart(items, replace(context, coupon=rule))
        option = CouponOption(code=coupon.code, name=coupon.template.name, template=coupon.template,
                              valid_until=coupon.valid_until)
        used = applied_coupon(priced)
        if used:
            option.saving = used[1]
            priced_by_code[coupon.code] = priced
        else:
            option.shortfall, option.reason = _why_not(rule, coupon_base(without, rule))
        options.append(option)
    if wanted is None:
        best = max((o for o in options if o.applies), key=lambda o: o.saving, default=None)
        if best is None:
            return CouponPricing(priced=without, options=options)
        return CouponPricing(priced=priced_by_code[best.code], options=options, chosen_code=best.code)
    if wanted == "":
        return CouponPricing(priced=without, options=options, is_automatic=False)
    return _priced_with_code(items, context, wanted, member, places, options, priced_by_code, without)


def _priced_with_code(items, context, wanted, member, places, options, priced_by_code, without) -> CouponPricing:
    def refused(message: str) -> CouponPricing:
        return CouponPricing(priced=without, options=options, is_automatic=False, error=message)

    try:
        code = clean_code(wanted)
    except CouponError as err:
        return refused(err.message)
    if code in priced_by_code:
        return CouponPricing(priced=priced_by_code[code], options=options, chosen_code=code, is_automatic=False)
    held = next((o for o in options if o.code == code), None)
    if held is not None:
        return refused(held.reason or _("Coupon %(code)s does not apply to this order.") % {"code": code})
    coupon = coupon_selectors.coupon_by_code(code)
    if coupon is not None:
        return refused(coupon_refusal(coupon, user_id=member.user_id) or _("Coupon %(code)s does not apply to this order.") % {"code": code})
    bulk = coupon_selectors.unredeemed_code(code)
    if bulk is None:
        return refused(_("There is no coupon with the code %(code)s.") % {"code": code})
    rule = coupon_selectors.coupon_rule(bulk.template, code, places)
    priced = price_cart(items, replace(context, coupon=rule))
    if applied_coupon(priced) is None:
        return refused(_why_not(rule, coupon_base(without, rule))[1])
    option = CouponOption(code=code, name=bulk.template.name, template=bulk.template, valid_until=None,
                          saving=applied_coupon(priced)[1])
    return CouponPricing(priced=priced, options=[*options, option], chosen_code=code, is_automatic=False)
