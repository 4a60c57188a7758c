"""Plain rules marketing hands the pricing pipeline (orders/pricing.py), built by marketing selectors.

The pipeline stays free of queries: a rule says what it takes off and which
variants it covers, already resolved from the scope (categories with their
subtrees, brands, products, variants, exclusions). Each marketing helper
adds its own classes here.
"""

from dataclasses import dataclass
from decimal import Decimal

# --- coupons ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CouponRule:
    """One coupon as the pipeline sees it (step 4, or step 5 for free shipping).

    ``variant_ids`` None covers every line; otherwise only lines of those
    variants. ``threshold`` is measured on the covered lines after the tier
    and promotions. Figures by ``kind`` (CouponTemplate.Kind values):
    cash_off and threshold take ``amount`` off; percent takes ``percent`` %
    capped by ``max_discount``; free_shipping waives the shipping fee.
    """

    code: str
    name: str
    kind: str
    template_id: int = 0
    amount: Decimal | None = None
    threshold: Decimal = Decimal("0.00")
    percent: Decimal | None = None
    max_discount: Decimal | None = None
    variant_ids: frozenset[int] | None = None
    stackable_with_promotions: bool = True

    @property
    def reference(self) -> str:
        return f"coupon:{self.code}"

    def covers_variant(self, variant_id: int) -> bool:
        return self.variant_ids is None or variant_id in self.variant_ids


# --- promotions --------------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionRule:
    """One live promotion as the pipeline sees it (step 3, or step 5 for free shipping).

    ``variant_ids`` are the variants it covers, already resolved from the
    scope; None covers every line. Figures by ``kind`` (Promotion.Kind
    values) as on the model: ``steps`` are (threshold, discount) pairs of a
    threshold reduction, lowest first. A gift carries what its ¥0 line needs
    and whether any is left to give.
    """

    promotion_id: int
    name: str
    kind: str
    priority: int = 100
    is_exclusive: bool = False
    stackable_with_coupons: bool = True
    variant_ids: frozenset[int] | None = None
    steps: tuple[tuple[Decimal, Decimal], ...] = ()
    threshold: Decimal | None = None
    every_amount: Decimal | None = None
    amount: Decimal | None = None
    max_discount: Decimal | None = None
    percent: Decimal | None = None
    nth: int | None = None
    buy_quantity: int | None = None
    free_quantity: int | None = None
    points_multiplier: Decimal | None = None
    gift_variant_id: int | None = None
    gift_sku: str = ""
    gift_name: str = ""
    gift_options: str = ""
    gift_quantity: int = 1
    gift_in_stock: bool = True

    @property
    def reference(self) -> str:
        return f"promotion:{self.promotion_id}"

    def covers_variant(self, variant_id: int) -> bool:
        return self.variant_ids is None or variant_id in self.variant_ids


# --- flash sales and group buys (step 1: the unit price) --------------------------------


@dataclass(frozen=True)
class UnitPriceRule:
    """A special unit price for up to ``max_units`` of one variant in this cart (限时秒杀 / 拼团).

    A line asking for more than ``max_units`` keeps the normal price; checkout
    refuses it while the flash price is still open to the shopper.
    ``reference`` names the campaign: "flash:<id>" or "group_buy:<id>".
    """

    variant_id: int
    price: Decimal
    max_units: int
    reference: str
    kind: str  # "flash" or "group"
