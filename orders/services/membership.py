"""What orders mean for the member programme: points, spend, tiers, referrals, and giving back.

The members app owns the ledgers and their rules; orders only tells it what
happened, through its services (ARCHITECTURE: the higher app calls the lower
app's service). Each call is idempotent in members (unique ledger keys), so a
task that runs twice, late or concurrently credits nothing twice.
"""

from datetime import timedelta
from decimal import Decimal

from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members import services as member_services
from members.models import PointsEntry
from orders.models import Order, OrderEvent

ZERO = Decimal("0.00")
COUNTED = (Order.Status.COMPLETED, Order.Status.REFUNDED)


def spend_last_12_months(user_id: int, *, now=None) -> Decimal:
    """Money kept by the shop for completed orders in the last 365 days (refunds taken off)."""
    since = (now or timezone.now()) - timedelta(days=365)
    total = Order.objects.filter(user_id=user_id, status__in=COUNTED, completed_at__gte=since).aggregate(
        kept=Sum(F("total") - F("refunded_total"))
    )["kept"]
    return total or ZERO


def points_last_12_months(user_id: int, *, now=None) -> int:
    since = (now or timezone.now()) - timedelta(days=365)
    earned = PointsEntry.objects.filter(
        member__user_id=user_id, kind=PointsEntry.Kind.EARN, created_at__gte=since
    ).aggregate(points=Sum("change"))["points"]
    return earned or 0


def on_order_completed(*, order_id: int) -> None:
    """Credit points, count the spend, upgrade the tier at once, and reward the inviter on a first order."""
    order = Order.objects.filter(pk=order_id, status=Order.Status.COMPLETED).first()
    if order is None:
        return
    kept = order.total - order.refunded_total
    earned = member_services.award_points_for_order(user_id=order.user_id, order_number=order.number, amount=kept)
    if earned is not None:
        # First time this order is counted (the points entry is the once-only key).
        member_services.record_order_activity(user_id=order.user_id, spend_delta=kept, at=order.completed_at)
    member_services.evaluate_tier(
        user_id=order.user_id,
        spend_12m=spend_last_12_months(order.user_id),
        points_12m=points_last_12_months(order.user_id),
        reason=_("Order %(number)s completed") % {"number": order.number},
        allow_downgrade=False,
    )
    first = Order.objects.filter(user_id=order.user_id, status__in=COUNTED).order_by("completed_at", "pk").first()
    if first is not None and first.pk == order.pk:
        member_services.reward_referral(invitee_user_id=order.user_id, order_number=order.number)


def give_back_unpaid(order: Order, *, by=None) -> None:
    """An order cancelled before it was paid in full: return its points and its wallet part."""
    if order.points_used:
        member_services.restore_points(user_id=order.user_id, reference=order.number)
    wallet_part = order.wallet_amount - order.wallet_refunded
    if wallet_part > 0:
        member_services.refund_to_wallet(user_id=order.user_id, amount=wallet_part, reference=f"{order.number}-cancel")
        Order.objects.filter(pk=order.pk).update(wallet_refunded=F("wallet_refunded") + wallet_part)
        order.wallet_refunded += wallet_part
        OrderEvent.objects.create(
            order=order, from_status=order.status, to_status=order.status, actor=by,
            note=_("%(amount)s returned to the wallet") % {"amount": wallet_part},
        )


def reevaluate_tiers(*, now=None) -> int:
    """Nightly: every member's tier from the last 12 months; downgrades wait out the grace period."""
    from members.models import MemberProfile

    changed = 0
    for user_id in MemberProfile.objects.filter(anonymised_at__isnull=True).values_list("user_id", flat=True).iterator():
        change = member_services.evaluate_tier(
            user_id=user_id,
            spend_12m=spend_last_12_months(user_id, now=now),
            points_12m=points_last_12_months(user_id, now=now),
            reason=_("Nightly re-evaluation"),
            allow_downgrade=True,
        )
        changed += change is not None
    return changed


def catch_up_completed_orders(*, since_days: int = 3) -> int:
    """Re-run the completion step for recent orders (a lost task, a broker outage); harmless twice."""
    since = timezone.now() - timedelta(days=since_days)
    ids = list(Order.objects.filter(status=Order.Status.COMPLETED, completed_at__gte=since).values_list("pk", flat=True))
    for order_id in ids:
        on_order_completed(order_id=order_id)
    return len(ids)


def export_orders_for_member(user) -> dict:
    """The member's orders for a privacy export (MEMBERS_EXPORT_PROVIDERS)."""
    orders = []
    for order in Order.objects.filter(user=user).prefetch_related("lines").order_by("placed_at"):
        orders.append(
            {
                "number": order.number,
                "status": order.status,
                "placed_at": order.placed_at.isoformat(),
                "total": str(order.total),
                "recipient": order.recipient,
                "phone": order.phone,
                "address": " ".join(p for p in [order.province, order.city, order.district, order.address_detail] if p),
                "lines": [
                    {"product": line.product_name, "sku": line.sku, "quantity": line.quantity, "unit_price": str(line.unit_price)}
                    for line in order.lines.all()
                ],
            }
        )
    return {"orders": orders}


# Orders the shop still has to deliver or hand over: their address and contact are still needed.
ERASURE_WAITS_FOR = (
    Order.Status.PENDING_PAYMENT, Order.Status.PLACED, Order.Status.PAID, Order.Status.READY_FOR_PICKUP,
)


def anonymise_orders_for_member(user) -> int:
    """Erasure (MEMBERS_ERASURE_HOOKS): orders stay for the accounts, the person's details go.

    Raises ErasureNotYet (the whole erasure rolls back) while an order is still to be paid,
    delivered or picked up: blanking its address now would strand the parcel.
    """
    from members.exceptions import ErasureNotYet

    waiting = list(
        Order.objects.filter(user=user, status__in=ERASURE_WAITS_FOR).order_by("pk").values_list("number", flat=True)
    )
    if waiting:
        raise ErasureNotYet([
            _("Orders %(numbers)s are not delivered or cancelled yet: the account can be erased once they are.")
            % {"numbers": ", ".join(waiting)}
        ])
    return Order.objects.filter(user=user).update(
        recipient="—", phone="", province="", city="", district="", address_detail="", note=""
    )
