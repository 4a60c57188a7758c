"""Live promotions as one small table per process, keyed by a promotions version.

Product cards, product pages, the cart and checkout all ask "which
promotions cover this?" many times per request. Asking the database per
card would cost queries per card, so each process loads every promotion
that has not ended yet (with its scope resolved: categories expanded to
their subtrees, variants mapped to their products) in a handful of queries
and keeps it until the promotions version (a counter in the shared cache)
moves. Saving a promotion bumps it and the catalogue version
(marketing.signals), so every process reloads its table and cached cards at once.
Whether a promotion is running is checked at lookup time against the
clock, so the table stays right while windows open and close.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models import Prefetch, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.cache import VERSION_MEMO_SECONDS, catalog_version
from shop.redis_outage import cache_is_up
from catalog.models import Category, Variant
from marketing.models import Promotion, PromotionThreshold
from marketing.rules import PromotionRule

K = Promotion.Kind
ZERO = Decimal("0.00")

# Promotions that change the price shown on a card (the rest show only a badge).
CARD_PRICE_KINDS = frozenset({K.PERCENT, K.AMOUNT_OFF})


def default_badge(kind: str) -> str:
    """The badge a promotion shows when staff left its badge empty, in the reader's language."""
    return {
        K.THRESHOLD: _("Spend & save"),
        K.PERCENT: _("Limited-time offer"),
        K.AMOUNT_OFF: _("Limited-time offer"),
        K.NTH_ITEM: _("Multi-buy deal"),
        K.BUY_X_GET_Y: _("Buy more, get free"),
        K.GIFT: _("Free gift"),
        K.MEMBER_DAY: _("Member day"),
        K.FREE_SHIPPING: _("Free shipping"),
    }.get(kind, "")


@dataclass(frozen=True)
class LivePromotion:
    """One not-yet-ended promotion with its scope resolved to id sets."""

    rule: PromotionRule
    badge: str
    starts_at: datetime
    ends_at: datetime
    weekday: int | None
    tier_ids: frozenset[int]
    applies_to_all: bool
    product_ids: frozenset[int] = frozenset()
    category_ids: frozenset[int] = frozenset()
    brand_ids: frozenset[int] = frozenset()
    variant_ids: frozenset[int] = frozenset()
    variant_product_ids: frozenset[int] = frozenset()
    excluded_product_ids: frozenset[int] = frozenset()
    excluded_variant_ids: frozenset[int] = frozenset()

    def is_running(self, at: datetime) -> bool:
        if not (self.starts_at <= at < self.ends_at):
            return False
        return self.weekday is None or timezone.localtime(at).weekday() == self.weekday

    def is_open_to(self, tier_id: int | None) -> bool:
        return not self.tier_ids or tier_id in self.tier_ids

    def covers_product(self, product_id: int, category_id: int | None, brand_id: int | None) -> bool:
        """Whether a card of this product shows it: any of the product's variants may be covered."""
        if product_id in self.excluded_product_ids:
            return False
        return (
            self.applies_to_all
            or product_id in self.product_ids
            or product_id in self.variant_product_ids
            or category_id in self.category_ids
            or brand_id in self.brand_ids
        )

    def covers_variant(self, variant_id: int, product_id: int, category_id: int | None, brand_id: int | None) -> bool:
        if variant_id in self.excluded_variant_ids or product_id in self.excluded_product_ids:
            return False
        return (
            self.applies_to_all
            or variant_id in self.variant_ids
            or product_id in self.product_ids
            or category_id in self.category_ids
            or brand_id in self.brand_ids
        )


@dataclass
class PromotionTable:
    promotions: list[LivePromotion] = field(default_factory=list)
    _last_running: tuple | None = field(default=None, repr=False, compare=False)

    def running(self, at: datetime, *, tier_id: int | None = None, members_only_too: bool = False) -> list[LivePromotion]:
        """Promotions running at ``at``; tier-only ones only for a member of the tier (or all, for cards).

        The last answer is kept: a grid asks the same question for each of its cards (one ``at`` for all).
        """
        asked = (at, tier_id, members_only_too)
        last = self._last_running
        if last is not None and last[0] == asked:
            return last[1]
        running = [
            p for p in self.promotions
            if p.is_running(at) and (members_only_too or p.is_open_to(tier_id))
        ]
        self._last_running = (asked, running)  # one assignment: a thread reading it sees the old or the new pair
        return running


_lock = threading.Lock()
_tables: dict = {}

VERSION_KEY = "marketing:promotions-version"

# This process's last read of the shared version, and until when it stands: VERSION_MEMO_SECONDS, the
# catalogue version's own, so a change saved in one process shows on every other within the same second.
_memo = {"version": None, "until": 0.0}


def promotions_version():
    """The shared version of the promotions: a cache read at most once a second per process, never a query.

    Every page asks (each card, the product page's price, the cart's lines), and a Redis round trip per
    request was 4-9% of a cold page. A change made in this process moves its version at once
    (``bump_promotions_version``); other processes follow within ``VERSION_MEMO_SECONDS``. Placing an
    order reads it live (``read_live_promotions_version``), so an order is priced with the promotions
    running when it is placed. A lost key (a fresh or flushed Redis) takes a number never used before,
    so every process reloads once. While the shared cache is down the catalogue's outage version stands in.

    Within one web request it is read once, so every card of a page is priced from the same table.
    """
    memo = _request_memo.__dict__
    if memo.get("in_request") and "version" in memo:
        return memo["version"]
    if _memo["version"] is None or time.monotonic() >= _memo["until"]:
        return read_live_promotions_version()
    if memo.get("in_request"):
        memo["version"] = _memo["version"]
    return _memo["version"]


def read_live_promotions_version():
    """The shared version read now, not memoised: placing an order prices with what is running this moment.

    The rest of the request (and of this process) then reads the same version.
    """
    version = _read_promotions_version()
    _memo.update(version=version, until=time.monotonic() + VERSION_MEMO_SECONDS)
    memo = _request_memo.__dict__
    if memo.get("in_request"):
        memo["version"] = version
    return version


def forget_promotion_tables() -> None:
    """Drop this process's table and memoised version; the next use reads both afresh (tests empty the
    shared cache between cases, and a table loaded for one case must not serve the next)."""
    with _lock:
        _tables.clear()
    _memo.update(version=None, until=0.0)
    _request_memo.__dict__.pop("version", None)


# Set between request_started and request_finished of this thread's current request only.
_request_memo = threading.local()


def _start_request_memo(**kwargs) -> None:
    _request_memo.__dict__.clear()
    _request_memo.in_request = True


def _end_request_memo(**kwargs) -> None:
    _request_memo.__dict__.clear()


request_started.connect(_start_request_memo, dispatch_uid="marketing-promotions-version-memo-start")
request_finished.connect(_end_request_memo, dispatch_uid="marketing-promotions-version-memo-end")


def _read_promotions_version():
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        version = cache.get(VERSION_KEY)
    if version is None or not cache_is_up(cache):
        return ("catalog", catalog_version())
    return version


def bump_promotions_version() -> None:
    """A promotion changed: every process reloads its table (and cached cards follow the catalogue version).

    This process takes the new version at once; the others within ``VERSION_MEMO_SECONDS``.
    """
    def increment():
        try:
            cache.incr(VERSION_KEY)
        except ValueError:  # never set, or evicted
            cache.set(VERSION_KEY, time.time_ns() // 1000, timeout=None)
        # Read back as every other process will, so an outage gives the same stand-in here as there.
        read_live_promotions_version()

    increment()
    # Again after commit: a reader between the first bump and the commit may have loaded the old rows.
    transaction.on_commit(increment)


def promotion_table() -> PromotionTable:
    """This process's table for the current promotions version, loaded on first use after a change."""
    version = promotions_version()
    table = _tables.get(version)
    if table is None:
        table = load_promotion_table()
        with _lock:
            _tables.clear()  # only the current version is ever read again
            _tables[version] = table
    return table


def load_promotion_table(*, include_ended: bool = False) -> PromotionTable:
    """Read the active promotions (not ended, unless asked) with their scopes: one query when there are none."""
    promotions = Promotion.objects.filter(is_active=True).select_related("gift_variant__product").prefetch_related(
        Prefetch("thresholds", queryset=PromotionThreshold.objects.order_by("threshold")),
        "tiers", "categories", "brands", "products", "variants", "excluded_products", "excluded_variants",
    ).order_by("priority", "id")
    if not include_ended:
        promotions = promotions.filter(ends_at__gt=timezone.now())
    promotions = list(promotions)
    if not promotions:
        return PromotionTable()
    subtrees = _category_subtrees({c.pk for p in promotions for c in p.categories.all()})
    variant_ids = {v.pk for p in promotions for v in p.variants.all()}
    variant_products = dict(Variant.objects.filter(pk__in=variant_ids).values_list("pk", "product_id")) if variant_ids else {}
    return PromotionTable([_live(p, subtrees, variant_products) for p in promotions])


def _category_subtrees(category_ids: set[int]) -> dict[int, set[int]]:
    if not category_ids:
        return {}
    rows = list(Category.objects.values_list("pk", "path"))
    paths = {pk: path for pk, path in rows}
    return {
        root: {pk for pk, path in rows if paths.get(root) and path.startswith(paths[root])} | {root}
        for root in category_ids
    }


def _live(promotion: Promotion, subtrees, variant_products) -> LivePromotion:
    gift = promotion.gift_variant
    rule = PromotionRule(
        promotion_id=promotion.pk,
        name=promotion.name,
        kind=promotion.kind,
        priority=promotion.priority,
        is_exclusive=promotion.is_exclusive,
        stackable_with_coupons=promotion.stackable_with_coupons,
        steps=tuple((step.threshold, step.discount) for step in promotion.thresholds.all()),
        threshold=promotion.threshold,
        every_amount=promotion.every_amount,
        amount=promotion.amount,
        max_discount=promotion.max_discount,
        percent=promotion.percent,
        nth=promotion.nth,
        buy_quantity=promotion.buy_quantity,
        free_quantity=promotion.free_quantity,
        points_multiplier=promotion.points_multiplier,
        gift_variant_id=gift.pk if gift else None,
        gift_sku=gift.sku if gift else "",
        gift_name=gift.product.name if gift else "",
        gift_quantity=promotion.gift_quantity,
    )
    variants = frozenset(v.pk for v in promotion.variants.all())
    return LivePromotion(
        rule=rule,
        badge=promotion.badge,
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        weekday=promotion.weekday,
        tier_ids=frozenset(t.pk for t in promotion.tiers.all()),
        applies_to_all=promotion.applies_to_all,
        product_ids=frozenset(p.pk for p in promotion.products.all()),
        category_ids=frozenset(pk for c in promotion.categories.all() for pk in subtrees.get(c.pk, {c.pk})),
        brand_ids=frozenset(b.pk for b in promotion.brands.all()),
        variant_ids=variants,
        variant_product_ids=frozenset(variant_products[v] for v in variants if v in variant_products),
        excluded_product_ids=frozenset(p.pk for p in promotion.excluded_products.all()),
        excluded_variant_ids=frozenset(v.pk for v in promotion.excluded_variants.all()),
    )


# --- what pricing asks --------------------------------------------------------------------


def promotion_rules_for(variants, *, tier_id: int | None, at: datetime | None = None,
                        table: PromotionTable | None = None) -> tuple[PromotionRule, ...]:
    """The rules of the promotions running at ``at`` for a member of ``tier_id``, resolved to ``variants``.

    ``variants`` carry ``product`` (with ``category_id`` and ``brand_id``).
    A gift rule says whether any store still holds the gift (one query, only
    when a gift promotion runs); checkout reserves it for real under lock.
    """
    at = at or timezone.now()
    table = table or promotion_table()
    rules = []
    for live in table.running(at, tier_id=tier_id):
        covered = frozenset(
            v.pk for v in variants
            if live.covers_variant(v.pk, v.product_id, v.product.category_id, v.product.brand_id)
        )
        if covered:
            rules.append(_with_cover(live.rule, covered))
    gifts = {rule.gift_variant_id for rule in rules if rule.kind == K.GIFT and rule.gift_variant_id}
    if gifts:
        from stores.models import Stock  # stores sits beside marketing; only the gift's stock is read

        available = {
            row["variant_id"]: (row["on_hand"] or 0) - (row["reserved"] or 0)
            for row in Stock.objects.filter(variant_id__in=gifts).values("variant_id").annotate(
                on_hand=Sum("on_hand"), reserved=Sum("reserved")
            )
        }
        rules = [
            _replace(rule, gift_in_stock=available.get(rule.gift_variant_id, 0) >= max(1, rule.gift_quantity))
            if rule.kind == K.GIFT else rule
            for rule in rules
        ]
    return tuple(rules)


def _with_cover(rule: PromotionRule, covered: frozenset[int]) -> PromotionRule:
    return _replace(rule, variant_ids=covered)


def _replace(rule: PromotionRule, **changes) -> PromotionRule:
    from dataclasses import replace

    return replace(rule, **changes)


# --- what cards and product pages show ------------------------------------------------------


@dataclass(frozen=True)
class CardOffer:
    badges: tuple[str, ...]
    price: Decimal | None  # the promotional "from" price, when a price promotion covers the product
    promotion_names: tuple[str, ...] = ()


def card_offer(product, *, variant=None, at: datetime | None = None) -> CardOffer | None:
    """Badges and promotional price for a product card (or one variant on its page), from ids it has: no query."""
    at = at or timezone.now()
    if variant is None:
        covering = [
            live for live in promotion_table().running(at, members_only_too=True)
            if live.covers_product(product.pk, product.category_id, product.brand_id)
        ]
    else:
        covering = [
            live for live in promotion_table().running(at, members_only_too=True)
            if live.covers_variant(variant.pk, product.pk, product.category_id, product.brand_id)
        ]
    base_price = variant.price if variant is not None else product.price
    if not covering:
        return None
    badges = []
    for live in covering:
        badge = live.badge or default_badge(live.rule.kind)
        if badge and badge not in badges:
            badges.append(badge)
    price = None
    # The card's price is what everyone pays: tier-only and member-day prices are left to the cart.
    for live in covering:
        if live.rule.kind in CARD_PRICE_KINDS and not live.tier_ids:
            offered = _unit_price_after(base_price, live.rule)
            if offered is not None and (price is None or offered < price):
                price = offered
    return CardOffer(badges=tuple(badges), price=price, promotion_names=tuple(live.rule.name for live in covering))


def _unit_price_after(price: Decimal, rule: PromotionRule) -> Decimal | None:
    from shop.money import to_money

    if price is None or price <= 0:
        return None
    if rule.kind == K.PERCENT and rule.percent:
        off = to_money(price * rule.percent / 100)
        if rule.max_discount is not None:
            off = min(off, rule.max_discount)
        return to_money(price - off)
    if rule.kind == K.AMOUNT_OFF and rule.amount:
        return to_money(max(ZERO, price - rule.amount))
    return None
