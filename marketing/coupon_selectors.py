"""Coupon reads: the member's wallet, the claim centre, coupons for a product, the rules a cart is priced with.

Scope (categories with their subtrees, brands, products, variants, less
exclusions) is resolved here into the variant ids a rule covers, so the
pricing pipeline stays free of queries. A batch of templates costs a fixed
number of queries (one per scope relation), however many there are.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from catalog.models import Category
from marketing.models import Coupon, CouponCode, CouponTemplate, PromotionUse
from marketing.rules import CouponRule

SCOPE_RELATIONS = ("categories", "brands", "products", "variants", "excluded_products", "excluded_variants", "tiers")


@dataclass(frozen=True)
class VariantPlace:
    """Where a variant sits in the catalogue, as scope needs it."""

    variant_id: int
    product_id: int
    brand_id: int | None
    category_ids: frozenset[int]  # its category and every ancestor


def variant_places(variants) -> list[VariantPlace]:
    """Places of cart variants (``variant.product`` loaded): one query for the category paths."""
    variants = list(variants)
    category_ids = {v.product.category_id for v in variants if v.product.category_id}
    paths = dict(Category.objects.filter(pk__in=category_ids).values_list("pk", "path")) if category_ids else {}
    places = []
    for v in variants:
        path = paths.get(v.product.category_id, "")
        ids = frozenset(int(part) for part in path.split("/") if part.isdigit())
        if v.product.category_id:
            ids |= {v.product.category_id}
        places.append(VariantPlace(v.pk, v.product_id, v.product.brand_id, ids))
    return places


def _ids(template, relation) -> set[int]:
    return {obj.pk for obj in getattr(template, relation).all()}


def covered_variant_ids(template: CouponTemplate, places: list[VariantPlace]) -> frozenset[int] | None:
    """Which of these variants the template covers; None when it covers the whole shop with no exclusions."""
    excluded_products, excluded_variants = _ids(template, "excluded_products"), _ids(template, "excluded_variants")
    if template.applies_to_all and not excluded_products and not excluded_variants:
        return None
    categories, brands = _ids(template, "categories"), _ids(template, "brands")
    products, variants = _ids(template, "products"), _ids(template, "variants")
    covered = set()
    for place in places:
        included = (
            template.applies_to_all
            or place.variant_id in variants
            or place.product_id in products
            or (place.brand_id is not None and place.brand_id in brands)
            or bool(place.category_ids & categories)
        )
        if included and place.variant_id not in excluded_variants and place.product_id not in excluded_products:
            covered.add(place.variant_id)
    return frozenset(covered)


def coupon_rule(template: CouponTemplate, code: str, places: list[VariantPlace]) -> CouponRule:
    return CouponRule(
        code=code,
        name=template.name,
        kind=template.kind,
        template_id=template.pk,
        amount=template.amount,
        threshold=template.threshold,
        percent=template.percent,
        max_discount=template.max_discount,
        variant_ids=covered_variant_ids(template, places),
        stackable_with_promotions=template.stackable_with_promotions,
    )


def _with_scope(prefix: str = "") -> list:
    return [f"{prefix}{relation}" for relation in SCOPE_RELATIONS]


def usable_coupons(user_id: int, *, now=None) -> list[Coupon]:
    """The member's coupons usable now, soonest to expire first, with their templates' scope."""
    now = now or timezone.now()
    return list(
        Coupon.objects.filter(
            user_id=user_id, status=Coupon.Status.AVAILABLE, valid_from__lte=now, valid_until__gt=now,
            template__is_active=True,
        )
        .select_related("template")
        .prefetch_related(*_with_scope("template__"))
        .order_by("valid_until", "id")
    )


def unredeemed_code(code: str) -> CouponCode | None:
    """A bulk code nobody has redeemed yet, with its template's scope."""
    return (
        CouponCode.objects.filter(code=code, coupon__isnull=True, template__is_active=True)
        .select_related("template")
        .prefetch_related(*_with_scope("template__"))
        .first()
    )


def coupon_by_code(code: str) -> Coupon | None:
    return Coupon.objects.select_related("template").prefetch_related(*_with_scope("template__")).filter(
        code=code
    ).first()


@dataclass
class Wallet:
    usable: list = field(default_factory=list)
    upcoming: list = field(default_factory=list)
    used: list = field(default_factory=list)
    expired: list = field(default_factory=list)


def coupon_wallet(user_id: int, *, now=None) -> Wallet:
    """我的优惠券: usable (and not yet valid), used, expired — what is shown is read in one query."""
    now = now or timezone.now()
    wallet = Wallet()
    coupons = (
        Coupon.objects.filter(user_id=user_id)
        .exclude(status=Coupon.Status.VOID)
        .select_related("template")
        .order_by("valid_until", "id")[:300]
    )
    for coupon in coupons:
        if coupon.status == Coupon.Status.USED:
            wallet.used.append(coupon)
        elif coupon.valid_until <= now or not coupon.template.is_active:
            wallet.expired.append(coupon)
        elif coupon.valid_from > now:
            wallet.upcoming.append(coupon)
        else:
            wallet.usable.append(coupon)
    wallet.used.sort(key=lambda c: c.used_at or now, reverse=True)
    wallet.expired.sort(key=lambda c: c.valid_until, reverse=True)
    return wallet


def usable_coupon_count(user_id: int, *, now=None) -> int:
    now = now or timezone.now()
    return Coupon.objects.filter(
        user_id=user_id, status=Coupon.Status.AVAILABLE, valid_from__lte=now, valid_until__gt=now,
        template__is_active=True,
    ).count()


def claimable_templates(*, now=None):
    """领券中心: coupons on offer now, with what is left; those whose window has passed are left out."""
    now = now or timezone.now()
    return list(
        CouponTemplate.objects.filter(is_claimable=True, is_active=True)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now) | Q(valid_days__isnull=False))
        .prefetch_related("tiers")
        .order_by("threshold", "-id")[:100]
    )


CLAIMABLE_CACHE_SECONDS = 60
PROCESS_COPY_SECONDS = 1


def _claimable_with_scope(now=None) -> list[CouponTemplate]:
    """Claimable templates with their scope, shared by every product page for a minute (no query per page)."""
    from django.core.cache import cache, caches

    key = "marketing:claimable-coupons"
    # This process keeps its copy for a second, sparing each product page a Redis round trip: the
    # admin's change (which drops the shared copy) still shows within a second everywhere.
    local = caches["pages"]
    templates = None if now else local.get(key)
    if templates is None and not now:
        templates = cache.get(key)
        if templates is not None:
            local.set(key, templates, PROCESS_COPY_SECONDS)
    if templates is None:
        now = now or timezone.now()
        templates = list(
            CouponTemplate.objects.filter(is_claimable=True, is_active=True)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=now) | Q(valid_days__isnull=False))
            .prefetch_related(*_with_scope())[:50]
        )
        cache.set(key, templates, CLAIMABLE_CACHE_SECONDS)
    moment = now or timezone.now()
    # Cached for a minute: one whose window closed since is still left out.
    return [t for t in templates if t.valid_days or t.valid_until is None or t.valid_until > moment]


def claimable_for_product(product, *, now=None) -> list[CouponTemplate]:
    """Claimable coupons that cover any variant of this product (the product page's 领券 buttons)."""
    templates = _claimable_with_scope(now)
    if not templates:
        return []
    variants = [v for v in product.variants.all()]
    for v in variants:
        v.product = product
    places = variant_places(variants)
    covering = []
    for template in templates:
        covered = covered_variant_ids(template, places)
        if covered is None or covered:
            covering.append(template)
    return covering


def claimed_template_ids(user_id: int, template_ids) -> dict[int, int]:
    """How many coupons of each template the member holds (to show 已领取)."""
    rows = (
        Coupon.objects.filter(user_id=user_id, template_id__in=list(template_ids))
        .exclude(status=Coupon.Status.VOID)
        .values("template_id")
        .annotate(n=Count("id"))
    )
    return {row["template_id"]: row["n"] for row in rows}


@dataclass(frozen=True)
class CouponFigures:
    issued: int
    claimed: int
    used: int
    orders: int
    discount: Decimal
    revenue: Decimal


def coupon_figures(template_ids) -> dict[int, CouponFigures]:
    """Campaign figures per template: issued, claimed by shoppers, used, orders, discount given and revenue.

    Uses cancelled or refunded in full do not count.
    """
    template_ids = list(template_ids)
    counts = {
        row["template_id"]: row
        for row in Coupon.objects.filter(template_id__in=template_ids)
        .values("template_id")
        .annotate(
            issued=Count("id"),
            claimed=Count("id", filter=Q(source__in=[Coupon.Source.CLAIM, Coupon.Source.CODE])),
            used=Count("id", filter=Q(status=Coupon.Status.USED)),
        )
    }
    uses = {
        row["coupon_template_id"]: row
        for row in PromotionUse.objects.filter(coupon_template_id__in=template_ids, is_cancelled=False)
        .values("coupon_template_id")
        .annotate(orders=Count("order_number", distinct=True), discount=Sum("discount"), revenue=Sum("order_total"))
    }
    zero = Decimal("0.00")
    return {
        pk: CouponFigures(
            issued=counts.get(pk, {}).get("issued", 0),
            claimed=counts.get(pk, {}).get("claimed", 0),
            used=counts.get(pk, {}).get("used", 0),
            orders=uses.get(pk, {}).get("orders", 0),
            discount=uses.get(pk, {}).get("discount") or zero,
            revenue=uses.get(pk, {}).get("revenue") or zero,
        )
        for pk in template_ids
    }


__all__ = [
    "claimable_for_product", "claimable_templates", "claimed_template_ids", "coupon_by_code",
    "coupon_figures", "coupon_rule", "coupon_wallet", "covered_variant_ids", "unredeemed_code", "usable_coupon_count",
    "usable_coupons", "variant_places",
]


def product_coupons_context(request, product, variant) -> dict:
    """CATALOG_PRODUCT_CONTEXT_PROVIDERS: claimable coupons covering this product (one query when there are none)."""
    templates = claimable_for_product(product)
    if templates and request.user.is_authenticated:
        held = claimed_template_ids(request.user.pk, [t.pk for t in templates])
        for template in templates:
            template.held = held.get(template.pk, 0)
    return {"product_coupons": templates}
