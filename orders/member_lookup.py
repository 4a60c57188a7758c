"""A member's purchases as store staff may see them on the member's back-office page.

members sits below orders, so the member admin cannot read orders itself: it
asks the functions named in settings.MEMBERS_ADMIN_PURCHASES_PROVIDERS, and this
is the one orders offers. The scoping is the back office's one rule
(stores.selectors.store_scope): a store manager or clerk sees the member's
orders at their own stores only; head office (no store narrowing) sees all.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from orders.models import Order
from shop.money import format_money
from stores.selectors import store_scope

SHOWN = 20  # newest orders on the member's page; the order list has the rest


def store_purchases_for_member(*, staff, member) -> dict:
    """The member's newest orders at the stores ``staff`` may see, with a count of all of them there."""
    scope = store_scope(staff)
    orders = Order.objects.filter(user_id=member.user_id).select_related("store")
    if scope is not None:
        orders = orders.filter(store_id__in=scope)
    total = orders.count()
    rows = [
        {
            "number": order.number,
            "url": reverse("admin:orders_order_change", args=[order.pk]),
            "placed_at": order.placed_at,
            "store": order.store.name if order.store_id else "",
            "channel": order.get_channel_display(),
            "status": order.get_status_display(),
            "total": format_money(order.total),
        }
        for order in orders.order_by("-placed_at", "-pk")[:SHOWN]
    ]
    if scope is None:
        title = _("Orders")
    else:
        title = _("Orders at your stores")
    return {"title": title, "rows": rows, "count": total, "is_scoped": scope is not None}
