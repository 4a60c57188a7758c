"""Order figures the member centre shows (members sits below orders, so orders lends the tags, as marketing does).

``{% order_status_counts user as counts %}``: 待付款 / 待发货 / 待收货 / 待评价 / 退款售后 in one query each;
``{% tier_progress member as progress %}``: the next tier and what is still missing to reach it.
"""

from decimal import Decimal

from django import template
from django.db.models import Count, Q

from members.models import Tier
from orders.models import Order, ReturnRequest
from orders.reviews import lines_to_review
from orders.services.membership import points_last_12_months, spend_last_12_months
from shop.money import to_money

register = template.Library()

TO_PAY = [Order.Status.PENDING_PAYMENT]
TO_SHIP = [Order.Status.PAID, Order.Status.PLACED]
TO_RECEIVE = [Order.Status.SHIPPED, Order.Status.READY_FOR_PICKUP]


@register.simple_tag
def order_status_counts(user) -> dict:
    counts = Order.objects.filter(user=user).aggregate(
        to_pay=Count("id", filter=Q(status__in=TO_PAY)),
        to_ship=Count("id", filter=Q(status__in=TO_SHIP)),
        to_receive=Count("id", filter=Q(status__in=TO_RECEIVE)),
    )
    counts["after_sales"] = ReturnRequest.objects.filter(
        order__user=user, status=ReturnRequest.Status.REQUESTED
    ).count()
    counts["to_review"] = lines_to_review(user).count()
    return counts


@register.simple_tag
def tier_progress(member) -> dict | None:
    """The next better tier and how much spend (money) or how many points are still missing; None at the top."""
    current_rank = member.tier.rank if member.tier_id else -1
    next_tier = Tier.objects.filter(rank__gt=current_rank).order_by("rank").first()
    if next_tier is None:
        return None
    if next_tier.rule == Tier.Rule.SPEND:
        missing = to_money(max(Decimal("0"), next_tier.threshold - spend_last_12_months(member.user_id)))
        return {"tier": next_tier, "spend_missing": missing, "points_missing": None}
    missing_points = max(0, int(next_tier.threshold) - points_last_12_months(member.user_id))
    return {"tier": next_tier, "spend_missing": None, "points_missing": missing_points}
