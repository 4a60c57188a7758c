"""Which bought lines a member may review (待评价): orders knows who bought what, the catalogue keeps reviews.

A line can be reviewed by the member who bought it once its order is
completed, and only once (``Review.order_line_id`` is unique).
"""

from django.db.models import Exists, OuterRef
from django.shortcuts import get_object_or_404

from catalog.models import Review
from orders.models import Order, OrderLine


def lines_to_review(user):
    """The member's completed order lines without a review yet, newest first, with their product."""
    return (
        OrderLine.objects.filter(order__user=user, order__status=Order.Status.COMPLETED)
        .exclude(Exists(Review.objects.filter(order_line_id=OuterRef("pk"))))
        .select_related("order", "variant__product")
        .order_by("-order__completed_at", "-id")
    )


def line_to_review(user, line_id: int) -> OrderLine:
    """The member's own completed, not yet reviewed line, or 404 (someone else's line looks the same as none)."""
    return get_object_or_404(lines_to_review(user), pk=line_id)
