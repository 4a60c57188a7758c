from django.db.models import Prefetch, QuerySet
from django.http import Http404

from orders.models import Order, OrderEvent


def orders_for_member(user) -> QuerySet[Order]:
    return Order.objects.filter(user=user).prefetch_related("lines").order_by("-placed_at", "-id")


def order_for_member(user, number: str) -> Order:
    """The member's own order with everything its page shows; 404 for anyone else's."""
    order = (
        Order.objects.filter(user=user, number=number)
        .select_related("store")
        .prefetch_related(
            "lines",
            "adjustments",
            Prefetch("events", queryset=OrderEvent.objects.order_by("created_at", "id")),
            "return_requests",
            "refunds",
        )
        .first()
    )
    if order is None:
        raise Http404("No such order")
    return order
