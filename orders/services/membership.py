"""What orders mean for the member programme: points, spend, tiers, referrals, and giving back.

The members app owns the ledgers and their rules; orders only tells it what
happened, through its services (ARCHITECTURE: the higher app calls the lower
app's service). Each call is idempotent in members (unique ledger keys), so a
task that runs twice, late or concurrently credits nothing twice.
"""

from datetime import timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from marketing.stacking import points_multiplier
from members import services as member_services
from members.models import PointsEntry
from orders.models import Order, OrderAdjustment, OrderEvent

ZERO = Decimal("0.00")


def spend_last_12_months(user_id: int, *, now=None) -> Decimal:
    """Money kept by the shop for orders counted in the last 365 days (refunds taken off)."""
    since = (now or timezone.now()) - timedelta(days=365)
    total = Order.objects.filter(user_id=user_id, counted_at__isnull=False, completed_at__gte=since).aggregate(
        kept=Sum(F("total") - F("refunded_total"))
    )["kept"]
    return total or ZERO


def points_last_12_months(user_id: int, *, now=None) -> int:
    """Points earned on orders in the last 365 days, less what refunds took back of them."""
    since = (now or timezone.now()) - timedelta(days=365)
    earned = PointsEntry.objects.filter(
        member__user_id=user_id, kind__in=(PointsEntry.Kind.EARN, PointsEntry.Kind.REVERSE), created_at__gte=since
    ).aggregate(points=Sum("change"))["points"]
    return max(earned or 0, 0)


def count_order(*, order_id: int) -> bool:
    """Credit a completed order to its member exactly once; True if this call counted it.

    The claim (a conditional update of ``counted_at``) and everything it
    credits (points on the money kept, spend, at once an upgraded tier, the
    referral reward on a first order) share one transaction: a crash midway
    leaves the order unclaimed and uncredited, and the retry or the nightly
    catch-up counts it. The claim's UPDATE takes the order row lock before
    the member row, as the lock order says.
    """
    with transaction.atomic():
        claimed = Order.objects.filter(
            pk=order_id, status=Order.Status.COMPLETED, counted_at__isnull=True
        ).update(counted_at=timezone.now())
        if not claimed:
            return False
        order = Order.objects.get(pk=order_id)
        kept = order.total - order.refunded_total
        # A member day (会员日) recorded its points multiplier on the order's adjustment when it was placed.
        multiplier = points_multiplier(
            order.adjustments.filter(kind=OrderAdjustment.Kind.PROMOTION).values_list("params", flat=True)
        )
        member_services.award_points_for_order(
            user_id=order.user_id, order_number=order.number, amount=kept * multiplier
        )
        # Spend counts even when the order earns no points (a tiny order, a zero multiplier).
        member_services.record_order_activity(user_id=order.user_id, spend_delta=kept, at=order.completed_at)
        member_services.evaluate_tier(
            user_id=order.user_id,
            spend_12m=spend_last_12_months(order.user_id),
            points_12m=points_last_12_months(order.user_id),
            reason=_("Order %(number)s completed") % {"number": order.number},
            allow_downgrade=False,
        )
        # Once per invitee (members keeps the reward unique): the first order that is counted earns it.
        reward = member_services.reward_referral(invitee_user_id=order.user_id, order_number=order.number)
        # Coupons issued automatically: the first counted order's, and the inviter's reward (once each).
        from marketing.services.coupons import on_order_counted

        on_order_counted(
            user_id=order.user_id, order_number=order.number,
            is_first_order=not Order.objects.filter(user_id=order.user_id, counted_at__isnull=False)
            .exclude(pk=order.pk).exists(),
            referrer_user_id=reward.referrer.user_id if reward else None,
        )
        _add_units_sold(order)
    return True


def _add_units_sold(order: Order) -> None:
    """Add the units kept (bought less refunded) to each product's 销量, once, under the order's claim.

    Products are updated in id order, last in the transaction, so two orders of the same products
    never wait on each other's rows in opposite orders.
    """
    from catalog.models import Product

    kept = {}
    for product_id, quantity, refunded in order.lines.values_list(
        "variant__product_id", "quantity", "refunded_quantity"
    ):
        kept[product_id] = kept.get(product_id, 0) + quantity - refunded
    for product_id in sorted(kept):
        if kept[product_id] > 0:
            Product.objects.filter(pk=product_id).update(units_sold=F("units_sold") + kept[product_id])


def on_order_completed(*, order_id: int) -> bool:
    """The old name of ``count_order``, kept for queued tasks and callers of before."""
    return count_order(order_id=order_id)


def _counted_base(order: Order) -> Decimal:
    """The money the order was counted on: its total less refunds made before it was counted."""
    from orders.models import Refund

    before = Refund.objects.filter(order=order, created_at__lt=order.counted_at).exclude(
        status=Refund.Status.FAILED
    ).aggregate(amount=Sum("amount"))["amount"] or ZERO
    return order.total - before


def uncount_refund(*, order: Order, amount: Decimal, points_reference: str, fully: bool) -> None:
    """Take back what counting credited for money the shop gave back; call it inside the refund's transaction.

    Spend loses ``amount``; the points earned on the order lose the refunded
    share (all that is left of them when ``fully``), once per
    ``points_reference`` (the refund's key); tier progress by points follows
    from them, and the nightly review lowers a tier after its grace period.
    A full return also claws back the referral reward the order earned. An
    order not counted yet needs nothing: counting uses what it kept.
    """
    if order.counted_at is None or (amount <= 0 and not fully):
        return
    if amount > 0:
        member_services.record_order_activity(user_id=order.user_id, spend_delta=-amount, at=order.completed_at)
    base = _counted_base(order)
    share = Decimal("1") if fully or base <= amount else amount / base
    member_services.reverse_points_for_refund(
        user_id=order.user_id, order_number=order.number, refund_reference=points_reference, share=share
    )
    if fully:
        member_services.claw_back_referral(invitee_user_id=order.user_id, order_number=order.number)


def give_back_points(order: Order) -> None:
    """Return the points an order was paid with, once (a cancellation, a refused delivery)."""
    if order.points_used:
        member_services.restore_points(user_id=order.user_id, reference=order.number)


def give_back_wallet(order: Order, *, by=None) -> Decimal:
    """Return the stored value an order was paid with and nobody refunded yet; the amount given back.

    The wallet payment row is marked refunded by the same amount, so the
    payment ledger keeps saying what can still be refunded.
    """
    from orders.models import Payment

    wallet_part = order.wallet_amount - order.wallet_refunded
    if wallet_part <= 0:
        return ZERO
    member_services.refund_to_wallet(user_id=order.user_id, amount=wallet_part, reference=f"{order.number}-cancel")
    Order.objects.filter(pk=order.pk).update(wallet_refunded=F("wallet_refunded") + wallet_part)
    order.wallet_refunded += wallet_part
    Payment.objects.filter(order=order, provider="wallet", status=Payment.Status.SUCCEEDED).update(
        refunded_amount=F("refunded_amount") + wallet_part
    )
    OrderEvent.objects.create(
        order=order, from_status=order.status, to_status=order.status, actor=by,
        note=_("%(amount)s returned to the wallet") % {"amount": wallet_part},
    )
    return wallet_part


def give_back_unpaid(order: Order, *, by=None) -> None:
    """An order cancelled before it was paid in full: return its points and its wallet part."""
    give_back_points(order)
    give_back_wallet(order, by=by)


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
    """Count recent completed orders nobody counted (a lost task, a broker outage); harmless twice.

    Limited to recent completions: orders completed before ``counted_at``
    existed were counted the old way and must not be counted again.
    """
    since = timezone.now() - timedelta(days=since_days)
    ids = list(
        Order.objects.filter(status=Order.Status.COMPLETED, counted_at__isnull=True, completed_at__gte=since)
        .order_by("completed_at")
        .values_list("pk", flat=True)
    )
    return sum(count_order(order_id=order_id) for order_id in ids)


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
