"""Promotions (促销活动): campaign figures written at checkout, given back on cancellation, and staff switches.

Marketing keeps order numbers, never orders: checkout (orders) calls
``record_promotion_uses`` inside its transaction, and the order workflow
calls ``cancel_promotion_uses`` when an order is cancelled.
"""

from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from catalog.cache import bump_catalog_version
from marketing.live_promotions import bump_promotions_version
from marketing.models import Promotion, PromotionUse

ZERO = Decimal("0.00")


def record_promotion_uses(*, order_number: str, user_id: int | None, order_total: Decimal,
                          uses: dict[int, Decimal]) -> int:
    """One PromotionUse per promotion an order used, once per order (a repeat adds nothing); returns rows written.

    A promotion deleted since the cart was priced is skipped: the order
    keeps its adjustment, the figures lose nothing that still exists.
    """
    if not uses:
        return 0
    existing = set(Promotion.objects.filter(pk__in=uses).values_list("pk", flat=True))
    rows = [
        PromotionUse(promotion_id=promotion_id, order_number=order_number, user_id=user_id,
                     discount=discount, order_total=order_total)
        for promotion_id, discount in sorted(uses.items())
        if promotion_id in existing
    ]
    # The unique constraint (promotion, order) makes a retried checkout harmless.
    return len(PromotionUse.objects.bulk_create(rows, ignore_conflicts=True))


def cancel_promotion_uses(*, order_number: str) -> int:
    """Mark an order's campaign uses cancelled (the order was cancelled or refunded in full); idempotent."""
    return PromotionUse.objects.filter(order_number=order_number, is_cancelled=False).update(is_cancelled=True)


@transaction.atomic
def set_promotions_active(*, promotion_ids, is_active: bool) -> int:
    """Switch promotions on or off; cards and prices follow at once (the catalogue version moves)."""
    changed = Promotion.objects.filter(pk__in=list(promotion_ids)).exclude(is_active=is_active).update(is_active=is_active)
    if changed:  # an UPDATE sends no post_save
        bump_promotions_version()
        bump_catalog_version()
    return changed


def campaign_figures(promotion_ids) -> dict[int, dict]:
    """Orders, discount given and revenue per promotion, cancelled orders left out; one query."""
    counted = Q(uses__is_cancelled=False)
    rows = (
        Promotion.objects.filter(pk__in=list(promotion_ids))
        .annotate(
            order_count=Count("uses", filter=counted),
            discount_given=Sum("uses__discount", filter=counted),
            revenue=Sum("uses__order_total", filter=counted),
            cancelled_count=Count("uses", filter=Q(uses__is_cancelled=True)),
        )
        .values("pk", "order_count", "discount_given", "revenue", "cancelled_count")
    )
    return {
        row["pk"]: {
            "orders": row["order_count"],
            "discount": row["discount_given"] or ZERO,
            "revenue": row["revenue"] or ZERO,
            "cancelled": row["cancelled_count"],
        }
        for row in rows
    }


def promotion_state(promotion: Promotion, *, at=None) -> str:
    """live / upcoming / ended, by the window only (the switch is ``is_active``)."""
    at = at or timezone.now()
    if promotion.starts_at > at:
        return "upcoming"
    if promotion.ends_at <= at:
        return "ended"
    return "live"
