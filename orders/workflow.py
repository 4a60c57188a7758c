"""The order workflow: the only place that says who may move an order where, and what follows.

Each ``Edge`` names an action (``ship``, ``hand_over`` …), the states it
leaves from and the state it reaches, its guard (fulfilment, payment
methods, which kinds of actor, an extra predicate) and its effects (stock,
points, wallet, cash collected, emails, counting the order for the member).

- ``available_actions(order, actor)`` is what the shopper's order page, the
  admin and the store dashboard offer.
- ``move_order(order_id=…, action=…, actor=…, **data)`` locks the order,
  checks the guard, saves the new state, writes the ``OrderEvent`` and runs
  the effects, all in one transaction; a refused move raises
  ``ActionRefused`` and changes nothing.
- ``apply_action(order, action, actor, **data)`` is the same for a caller
  that already holds the order lock inside its own transaction (payments,
  refunds).

Effects take their locks in the shop's one lock order (orders/locks.py):
the order is locked first, then stock rows (stores.services), then the
member account (members.services). Mail and provider calls never run here:
emails go through the outbox, counting is queued after commit.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from orders.exceptions import IllegalTransition
from orders.locks import lock_order
from orders.models import Order, OrderEvent, Payment
from orders.services.membership import give_back_points, give_back_wallet
from orders.services.notifications import queue_email
from shop.queue import queue_task
from stores.services import deduct_stock, release_stock, return_to_stock

S = Order.Status
F_ = Order.Fulfilment
PM = Order.PaymentMethod


class ActionRefused(IllegalTransition):
    """A move the workflow does not allow this actor, for this order, now. ``message`` is fit to show.

    A subclass of IllegalTransition, so callers written against the old
    transition table keep catching it.
    """

    def __init__(self, message: str, *, order: Order | None = None, action: str = ""):
        Exception.__init__(self, message)
        self.message = message
        self.order = order
        self.action = action
        self.from_status = order.status if order is not None else ""
        self.to_status = ""


# --- who is acting ------------------------------------------------------------------


class ActorKind(models.TextChoices):
    SHOPPER = "shopper", _("shopper")
    STORE_STAFF = "store_staff", _("store staff")
    HQ = "hq", _("head office")
    SYSTEM = "system", _("system")


@dataclass(frozen=True)
class Actor:
    """Who moves an order: a kind, the person (None for the system itself), and for store staff their stores."""

    kind: str
    user: object = None
    store_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def system(cls, user=None) -> "Actor":
        """The shop itself (a payment callback, a beat task), optionally on behalf of whoever triggered it."""
        return cls(kind=ActorKind.SYSTEM, user=user)

    @classmethod
    def shopper(cls, user) -> "Actor":
        return cls(kind=ActorKind.SHOPPER, user=user)

    def acts_for(self, order: Order) -> bool:
        """A shopper acts only on their own orders; store staff only on their stores' orders."""
        if self.kind == ActorKind.SHOPPER:
            return self.user is not None and order.user_id == self.user.pk
        if self.kind == ActorKind.STORE_STAFF:
            return order.store_id in self.store_ids
        return True


def staff_actor(user) -> Actor | None:
    """The one rule for back-office people; None for someone who may not move orders at all.

    - a superuser is head office (HQ), whatever else is recorded for them;
    - an active user assigned to stores (``StoreStaff``) is store staff for
      exactly those stores, even if they also hold order permissions: the
      assignment narrows what they act for;
    - active staff (``is_staff``) with the ``orders.change_order``
      permission and no store assignment are head office.
    """
    from stores.selectors import store_scope

    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return Actor(kind=ActorKind.HQ, user=user)
    # The same answer the back office scopes its lists by (stores.selectors), so a page never offers
    # a step on an order the workflow would refuse, nor the other way round.
    store_ids = store_scope(user)
    if store_ids:
        return Actor(kind=ActorKind.STORE_STAFF, user=user, store_ids=store_ids)
    if user.is_staff and user.has_perm("orders.change_order"):
        return Actor(kind=ActorKind.HQ, user=user)
    return None


def actor_for(user) -> Actor:
    """The actor for services called with a ``by`` user: nobody is the system, staff by the rule above, else a shopper."""
    if user is None:
        return Actor.system()
    return staff_actor(user) or Actor.shopper(user)


# --- effects: each takes (order, actor, data) and runs inside the move's transaction -----


def _stock_lines(order: Order) -> list[tuple[int, int]]:
    return [(line.variant_id, line.quantity) for line in order.lines.all()]


def _by(actor: Actor):
    return actor.user


def release_reservation(order, actor, data) -> None:
    release_stock(store_id=order.store_id, lines=_stock_lines(order), reference=order.number, by=_by(actor))


def deduct_reservation(order, actor, data) -> None:
    deduct_stock(store_id=order.store_id, lines=_stock_lines(order), reference=order.number, by=_by(actor))


def restock_sent_goods(order, actor, data) -> None:
    """Goods that came back unsold go on the shelf of the store that sent them."""
    lines = [(line.variant_id, line.quantity - line.refunded_quantity) for line in order.lines.all()]
    lines = [(variant_id, quantity) for variant_id, quantity in lines if quantity > 0]
    if lines:
        return_to_stock(store_id=order.store_id, lines=lines, reference=f"{order.number}-back", by=_by(actor))


def points_back(order, actor, data) -> None:
    give_back_points(order)


def wallet_back(order, actor, data) -> None:
    give_back_wallet(order, by=_by(actor))


def record_shipment(order, actor, data) -> None:
    order.carrier, order.tracking_number = data["carrier"], data["tracking_number"]
    order.save(update_fields=["carrier", "tracking_number"])


def record_cash_collected(order, actor, data) -> None:
    """Cash on delivery: the courier collected what the wallet did not pay, so refunds can see it in the ledger."""
    due = order.amount_due
    if due > 0:
        Payment.objects.get_or_create(
            provider="cod",
            transaction_id=f"cod-{order.number}",
            defaults={
                "order": order, "amount": due, "currency": order.currency,
                "status": Payment.Status.SUCCEEDED, "confirmed_by": _by(actor),
            },
        )


def count_for_member(order, actor, data) -> None:
    # Points, spend, tier and referral are credited by one claimed transaction after commit;
    # the nightly catch-up finds the order if this hand-over is lost.
    transaction.on_commit(partial(queue_task, "orders.tasks.count_order_task", order.pk))


def count_counter_sale(order, actor, data) -> None:
    """A counter sale counts for its member like any completed order; a walk-in (no member) earns nothing."""
    from orders.services.counter import is_walk_in

    if not is_walk_in(order):
        count_for_member(order, actor, data)


def is_counter_sale(order: Order) -> bool:
    return order.channel == Order.Channel.COUNTER


def is_online(order: Order) -> bool:
    return order.channel != Order.Channel.COUNTER


def give_back_flash_and_group(order, actor, data) -> None:
    """Flash units go back to their quota and a group place is left, once (marketing claims each)."""
    from marketing.services.flash import release_flash_units
    from marketing.services.groups import leave_group

    release_flash_units(order_number=order.number)
    if order.group_code:
        leave_group(order_number=order.number)


def promotion_uses_cancelled(order, actor, data) -> None:
    """The order's promotions no longer count in their campaign figures (orders, discount, revenue)."""
    from marketing.services.promotions import cancel_promotion_uses

    cancel_promotion_uses(order_number=order.number)


def settle_group(order, actor, data) -> None:
    """A group order paid: if it was the last place to be paid, the whole group moves on."""
    if order.group_code:
        from orders.services.group_orders import settle_group_if_full

        if settle_group_if_full(group_code=order.group_code):
            order.refresh_from_db(fields=["is_waiting_for_group"])


def coupon_back(order, actor, data) -> None:
    """The order's coupon goes back to the member's wallet (cancelled, expired or refused); expiry still applies."""
    from marketing.services.coupons import release_coupons

    release_coupons(order_number=order.number)


def coupon_back_after_refund(order, actor, data) -> None:
    """A full refund gives the coupon back only while it is still valid, if MARKETING_RETURN_COUPON_ON_FULL_REFUND."""
    from marketing.services.coupons import release_coupons

    if getattr(settings, "MARKETING_RETURN_COUPON_ON_FULL_REFUND", True):
        release_coupons(order_number=order.number, only_if_valid=True)
    else:
        from marketing.models import PromotionUse

        PromotionUse.objects.filter(order_number=order.number, coupon_template__isnull=False).update(is_cancelled=True)


def issue_pickup_code(order, actor, data) -> None:
    """Ready for pick-up: the shopper gets a code to show and a date to come by (orders/services/pickup.py)."""
    from orders.services.pickup import issue_pickup_code as issue

    issue(order)


def pickup_code_matches(order: Order, data: dict) -> str | None:
    """The hand-over's data guard: the code the shopper showed, unless the order is locked after wrong tries."""
    from orders.services.pickup import pickup_code_refusal

    return pickup_code_refusal(order, data.get("pickup_code") or "")


def email(kind: str) -> Callable:
    def send(order, actor, data) -> None:
        queue_email(kind=kind, order=order)

    send.__name__ = f"email_{kind}"
    return send


# --- guards -----------------------------------------------------------------------------


def is_not_cash_on_delivery(order: Order) -> bool:
    return order.payment_method != PM.CASH_ON_DELIVERY


def shipped_long_enough_ago(order: Order) -> bool:
    return order.shipped_at is not None and order.shipped_at <= _auto_complete_cutoff()


def _auto_complete_cutoff():
    return timezone.now() - timedelta(days=int(getattr(settings, "ORDER_AUTO_COMPLETE_DAYS", 10)))


def _ship_source(order: Order) -> bool:
    # Paid orders ship; a placed order only when the courier collects the money (cash on delivery).
    return (order.status == S.PAID or order.payment_method == PM.CASH_ON_DELIVERY) and not_waiting_for_group(order)


def not_waiting_for_group(order: Order) -> bool:
    # A group-buy order is not fulfilled before its group fills: it may still be refunded whole.
    return not order.is_waiting_for_group


STAFF = frozenset({ActorKind.STORE_STAFF, ActorKind.HQ})
# Everything a shopper can pay an online order with; the counter method belongs to the till's own edges.
ONLINE_METHODS = frozenset(PM.values) - {PM.COUNTER}
COUNTER_METHODS = frozenset({PM.COUNTER})
SYSTEM = frozenset({ActorKind.SYSTEM})


@dataclass(frozen=True)
class Edge:
    name: str
    label: Promise | str
    sources: frozenset
    target: str
    who: frozenset
    fulfilment: str | None = None
    payment_methods: frozenset | None = None
    when: Callable[[Order], bool] | None = None
    effects: tuple = ()
    needs: tuple = ()  # data the actor must give (non-blank), e.g. the carrier and tracking number
    note: Promise | str = ""  # the event note when the caller gives none
    hint: Promise | str = ""  # added to a refusal for an order in the wrong state: what to do instead
    check: Callable[[Order, dict], str | None] | None = None  # a guard on the data given: a refusal message or None

    def fits(self, order: Order) -> bool:
        """The order side of the guard: state, fulfilment, payment method, predicate."""
        return (
            order.status in self.sources
            and (self.fulfilment is None or order.fulfilment == self.fulfilment)
            and (self.payment_methods is None or order.payment_method in self.payment_methods)
            and (self.when is None or self.when(order))
        )

    def allows(self, order: Order, actor: Actor) -> bool:
        return actor.kind in self.who and actor.acts_for(order) and self.fits(order)


EDGES: list[Edge] = [
    Edge("pay", _("Record payment"), frozenset({S.PENDING_PAYMENT}), S.PAID, SYSTEM, payment_methods=ONLINE_METHODS,
         effects=(settle_group, email("order_paid"))),
    Edge("cancel", _("Cancel order"), frozenset({S.PENDING_PAYMENT, S.PLACED}), S.CANCELLED,
         frozenset({ActorKind.SHOPPER, *STAFF, ActorKind.SYSTEM}),
         effects=(release_reservation, points_back, wallet_back, give_back_flash_and_group, promotion_uses_cancelled,
                  coupon_back, email("order_cancelled")),
         hint=_("A paid order is cancelled by refunding it in full, which pays the money back.")),
    Edge("ship", _("Ship"), frozenset({S.PAID, S.PLACED}), S.SHIPPED, STAFF, fulfilment=F_.DELIVERY,
         when=_ship_source, needs=("carrier", "tracking_number"),
         effects=(record_shipment, deduct_reservation, email("order_shipped"))),
    Edge("ready_for_pickup", _("Mark ready for pick-up"), frozenset({S.PAID}), S.READY_FOR_PICKUP, STAFF,
         fulfilment=F_.PICKUP, when=lambda order: is_online(order) and not_waiting_for_group(order),
         effects=(issue_pickup_code, email("order_ready_for_pickup"))),
    Edge("hand_over", _("Hand over in store"), frozenset({S.READY_FOR_PICKUP}), S.COMPLETED, STAFF,
         fulfilment=F_.PICKUP, needs=("pickup_code",), check=pickup_code_matches,
         effects=(deduct_reservation, count_for_member), note=_("Picked up in store")),
    Edge("confirm_receipt", _("Confirm receipt"), frozenset({S.SHIPPED}), S.COMPLETED,
         frozenset({ActorKind.SHOPPER}), fulfilment=F_.DELIVERY, when=is_not_cash_on_delivery,
         effects=(count_for_member,), note=_("Receipt confirmed by the shopper")),
    Edge("complete_delivery", _("Mark delivered (completed)"), frozenset({S.SHIPPED}), S.COMPLETED, STAFF,
         fulfilment=F_.DELIVERY, effects=(record_cash_collected, count_for_member)),
    Edge("refuse_delivery", _("Delivery refused (cash on delivery)"), frozenset({S.SHIPPED}), S.CANCELLED, STAFF,
         fulfilment=F_.DELIVERY, payment_methods=frozenset({PM.CASH_ON_DELIVERY}),
         effects=(restock_sent_goods, points_back, wallet_back, give_back_flash_and_group, promotion_uses_cancelled,
                  coupon_back, email("order_cancelled")),
         note=_("The customer refused the delivery; the goods went back to stock")),
    Edge("auto_confirm_receipt", _("Confirm receipt automatically"), frozenset({S.SHIPPED}), S.COMPLETED, SYSTEM,
         fulfilment=F_.DELIVERY, when=lambda order: is_not_cash_on_delivery(order) and shipped_long_enough_ago(order),
         effects=(count_for_member,), note=_("Receipt confirmed automatically")),
    # The counter sale (门店收银, orders/services/counter.py): the till takes the money (payments recorded
    # by the sale), then the goods leave with the customer at once, so the sale is completed and counted.
    Edge("counter_pay", _("Take payment at the counter"), frozenset({S.PENDING_PAYMENT}), S.PAID, STAFF,
         fulfilment=F_.PICKUP, payment_methods=COUNTER_METHODS, when=is_counter_sale, note=_("Paid at the counter")),
    Edge("counter_hand_over", _("Hand over at the counter"), frozenset({S.PAID}), S.COMPLETED, STAFF,
         fulfilment=F_.PICKUP, payment_methods=COUNTER_METHODS, when=is_counter_sale, effects=(deduct_reservation, count_counter_sale),
         note=_("Sold at the counter")),
    # Moves a refund makes (orders/payments): the refund itself gives the money and the points share
    # back; the edge does what the state change means for the goods.
    Edge("refund_cancel", _("Cancel with a full refund"), frozenset({S.PAID, S.READY_FOR_PICKUP}), S.CANCELLED,
         SYSTEM, effects=(release_reservation, give_back_flash_and_group, promotion_uses_cancelled, coupon_back_after_refund,
                         email("order_cancelled"))),
    Edge("refund_close", _("Close with a full refund"), frozenset({S.SHIPPED, S.COMPLETED}), S.REFUNDED, SYSTEM,
         effects=(promotion_uses_cancelled, coupon_back_after_refund)),
]
EDGES_BY_NAME = {edge.name: edge for edge in EDGES}

# When each state was reached.
TIMESTAMPS = {
    S.PAID: "paid_at",
    S.SHIPPED: "shipped_at",
    S.READY_FOR_PICKUP: "ready_at",
    S.COMPLETED: "completed_at",
    S.CANCELLED: "cancelled_at",
}


def available_actions(order: Order, actor: Actor | None) -> list[Edge]:
    """The moves this actor may make on this order now, in table order (what every page offers)."""
    if actor is None:
        return []
    return [edge for edge in EDGES if edge.allows(order, actor)]


def _refusal(order: Order, edge: Edge | None, action: str, actor: Actor | None) -> str | None:
    if edge is None:
        return gettext("Unknown order action “%(action)s”.") % {"action": action}
    if actor is None or actor.kind not in edge.who or not actor.acts_for(order):
        if actor is not None and actor.kind == ActorKind.SHOPPER and not actor.acts_for(order):
            return gettext("This is not your order.")
        return gettext("You may not take the step “%(action)s” on order %(number)s.") % {
            "action": edge.label, "number": order.number,
        }
    if not edge.fits(order):
        message = gettext("“%(action)s” is not possible for order %(number)s now: it is %(status)s.") % {
            "action": edge.label, "number": order.number, "status": order.get_status_display(),
        }
        if edge.hint:
            message = f"{message} {edge.hint}"
        return message
    return None


def apply_action(order: Order, action: str, actor: Actor | None, **data) -> Order:
    """Take ``action`` on an order the caller has locked (``orders.locks.lock_order``) in its transaction.

    Saves the new state and its timestamp, writes the OrderEvent and runs the
    edge's effects. ``data``: ``note`` for the history, and what the edge
    needs (``carrier``, ``tracking_number`` to ship). Raises ActionRefused;
    a refusal writes nothing.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("apply_action runs inside the transaction that locked the order")
    edge = EDGES_BY_NAME.get(action)
    refusal = _refusal(order, edge, action, actor)
    if refusal:
        raise ActionRefused(refusal, order=order, action=action)
    data = {key: value.strip() if isinstance(value, str) else value for key, value in data.items()}
    if any(not data.get(name) for name in edge.needs):
        if edge.name == "ship":
            raise ActionRefused(gettext("Give the carrier and the tracking number."), order=order, action=action)
        if edge.name == "hand_over":
            raise ActionRefused(gettext("Enter or scan the pick-up code the customer shows."), order=order, action=action)
        raise ActionRefused(gettext("Some details of this step are missing."), order=order, action=action)
    if edge.check is not None and (refusal := edge.check(order, data)):
        raise ActionRefused(refusal, order=order, action=action)
    from_status = order.status
    order.status = edge.target
    fields = ["status"]
    if edge.target in TIMESTAMPS:
        setattr(order, TIMESTAMPS[edge.target], timezone.now())
        fields.append(TIMESTAMPS[edge.target])
    order.save(update_fields=fields)
    note = data.get("note") or ""
    if not note and edge.name == "ship":
        note = f"{data['carrier']} {data['tracking_number']}"
    OrderEvent.objects.create(
        order=order, from_status=from_status, to_status=edge.target, actor=actor.user, note=(note or str(edge.note))[:500]
    )
    for effect in edge.effects:
        effect(order, actor, data)
    return order


@transaction.atomic
def move_order(*, order_id: int, action: str, actor: Actor | None, **data) -> Order:
    """Lock the order, check the move, save it, log it and run its effects, in one transaction.

    Raises ActionRefused (nothing changes) and Order.DoesNotExist.
    """
    order = lock_order(order_id)
    return apply_action(order, action, actor, **data)


def auto_confirm_receipts(*, limit: int = 500) -> int:
    """Complete delivery orders shipped ORDER_AUTO_COMPLETE_DAYS ago and not confirmed; safe to run twice.

    Each order moves in its own transaction under its lock, so a shopper
    confirming at the same moment wins or loses cleanly, never twice.
    """
    ids = list(
        Order.objects.filter(status=S.SHIPPED, fulfilment=F_.DELIVERY, shipped_at__lte=_auto_complete_cutoff())
        .exclude(payment_method=PM.CASH_ON_DELIVERY)
        .order_by("shipped_at")
        .values_list("pk", flat=True)[:limit]
    )
    done = 0
    for order_id in ids:
        try:
            move_order(order_id=order_id, action="auto_confirm_receipt", actor=Actor.system())
        except ActionRefused:
            continue  # confirmed or refunded since we looked
        done += 1
    return done
