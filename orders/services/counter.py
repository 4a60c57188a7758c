"""The counter sale (门店收银, POS-lite): store staff sell from the shelf, priced by the same pipeline as checkout.

A sale is an order of channel COUNTER, paid by the COUNTER payment method
(never offered online), in the clerk's store, fulfilled at once: its stock
is reserved and deducted in the same transaction (never below zero, under
the stock row locks), its tenders are recorded as succeeded Payment rows,
one per tender (stored value, card, cash: a sale may mix them, with the
change worked out by ``split_tenders``), and the workflow's counter edges
(orders/workflow.py) move it to completed, which counts it for the member
exactly once. Returns go through ``refund_order`` like any order, which
pays back through each payment the way it came (card to card, cash from
the till, stored value to the wallet).

Locks follow orders/locks.py: the new order, then stock rows (by pk), then
the member account (points, wallet), then the coupon.
"""

import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Variant
from marketing.services import promotions as promotion_services
from members import services as member_services
from members.models import MemberProfile
from members.services.member_code import member_by_code
from orders import workflow
from orders.exceptions import CheckoutError, PricesChanged
from orders.models import MAX_LINE_QUANTITY, Order, OrderEvent, Payment
from orders.pricing import PricedCart, applied_coupon
from orders.services.checkout import (
    CheckoutChoice, _create_numbered_order, _store_lines_and_shares, price_with_coupons, promotion_uses,
)
from shop.money import format_money, to_money
from stores.models import Store
from stores.services import reserve_stock

ZERO = Decimal("0.00")
# The account a sale without a member is booked to (Order.user is required): inactive, never logs in.
WALK_IN_USERNAME = "counter-walk-in"


class CounterError(CheckoutError):
    """A sale the till cannot make as asked; ``message`` is fit to show the clerk."""


class TenderError(CounterError):
    """The tenders do not add up; ``field`` names the box of the payment form the clerk must correct."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.field = field


class Tender(models.TextChoices):
    CASH = "cash", gettext_lazy("cash")
    CARD = "card", gettext_lazy("card")
    WALLET = "wallet", gettext_lazy("stored value")
    WALLET_CASH = "wallet_cash", gettext_lazy("stored value, the rest in cash")
    WALLET_CARD = "wallet_card", gettext_lazy("stored value, the rest by card")
    # Mixed tenders: the clerk keys in what goes on the card, the rest is paid in cash (with change).
    SPLIT = "split", gettext_lazy("card and cash")
    WALLET_SPLIT = "wallet_split", gettext_lazy("stored value, the rest by card and cash")


USES_WALLET = {Tender.WALLET, Tender.WALLET_CASH, Tender.WALLET_CARD, Tender.WALLET_SPLIT}
ALL_CASH = {Tender.CASH, Tender.WALLET_CASH}
ALL_CARD = {Tender.CARD, Tender.WALLET_CARD}
SPLITS = {Tender.SPLIT, Tender.WALLET_SPLIT}
# Payment.provider of each external tender (orders.payments.providers CounterCash / CounterCard).
CASH, CARD = "cash", "card"


@dataclass
class Basket:
    """What the clerk has rung up so far (kept in the session between form posts)."""

    store_id: int
    lines: dict[int, int] = field(default_factory=dict)  # variant id -> quantity, in scan order
    member_user_id: int | None = None
    coupon_code: str = ""
    points_to_use: int = 0
    token: str = field(default_factory=lambda: uuid.uuid4().hex)

    def as_session(self) -> dict:
        return {
            "store_id": self.store_id, "lines": [[vid, q] for vid, q in self.lines.items()],
            "member_user_id": self.member_user_id, "coupon_code": self.coupon_code,
            "points_to_use": self.points_to_use, "token": self.token,
        }

    @classmethod
    def from_session(cls, data: dict) -> "Basket":
        return cls(
            store_id=int(data["store_id"]), lines={int(vid): int(q) for vid, q in data.get("lines", [])},
            member_user_id=data.get("member_user_id"), coupon_code=data.get("coupon_code", ""),
            points_to_use=int(data.get("points_to_use") or 0), token=data.get("token") or uuid.uuid4().hex,
        )


@dataclass
class CounterQuote:
    """The basket priced for the till: the priced cart, its variants, the member and why a coupon did not apply."""

    priced: PricedCart | None
    variants: list[Variant]
    member: MemberProfile | None
    coupon_error: str = ""

    @property
    def is_empty(self) -> bool:
        return self.priced is None


# --- reads for the till ------------------------------------------------------------------------


def walk_in_user():
    """The one inactive account walk-in sales are booked to (created on first use)."""
    user, _created = get_user_model().objects.get_or_create(
        username=WALK_IN_USERNAME, defaults={"is_active": False, "first_name": "Walk-in"}
    )
    return user


def is_walk_in(order: Order) -> bool:
    return order.channel == Order.Channel.COUNTER and order.user.username == WALK_IN_USERNAME


def find_member(query: str) -> MemberProfile | None:
    """The member for a phone number or a scanned/typed member code (M<id>-<mac>), or None."""
    query = (query or "").strip()
    if not query:
        return None
    member = member_by_code(query)
    if member is None and query.replace(" ", "").replace("-", "").lstrip("+").isdigit():
        phone = query.replace(" ", "").replace("-", "")
        member = MemberProfile.objects.select_related("user", "tier").filter(
            phone=phone, user__is_active=True, anonymised_at__isnull=True
        ).first()
    return member


def find_variants(query: str, *, limit: int = 20) -> list[Variant]:
    """Active SKUs whose code is ``query`` (a scan) or whose product name or SKU contains it (a search)."""
    query = (query or "").strip()
    if not query:
        return []
    variants = Variant.objects.filter(is_active=True).select_related("product").prefetch_related("option_values")
    exact = list(variants.filter(sku__iexact=query)[:1])
    if exact:
        return exact
    return list(variants.filter(Q(product__name__icontains=query) | Q(sku__icontains=query)).order_by("sku")[:limit])


def basket_variants(basket: Basket) -> list[tuple[Variant, int]]:
    found = {
        v.pk: v for v in Variant.objects.filter(pk__in=basket.lines, is_active=True)
        .select_related("product").prefetch_related("option_values")
    }
    return [(found[vid], quantity) for vid, quantity in basket.lines.items() if vid in found]


def _choice(store: Store, basket: Basket, *, use_wallet: bool) -> CheckoutChoice:
    return CheckoutChoice(
        fulfilment=Order.Fulfilment.PICKUP, payment_method=Order.PaymentMethod.COUNTER, pickup_store=store,
        points_to_use=basket.points_to_use, use_wallet=use_wallet,
        # The clerk scans the coupon the customer shows (核销); none is chosen for them.
        coupon_code=basket.coupon_code or "",
    )


def quote_basket(*, basket: Basket, use_wallet: bool = False) -> CounterQuote:
    """Price the basket for its store and member (tier, promotions, coupon, points, wallet) without writing anything."""
    store = Store.objects.get(pk=basket.store_id)
    member = None
    if basket.member_user_id:
        member = MemberProfile.objects.select_related("tier", "user").filter(user_id=basket.member_user_id).first()
    lines = basket_variants(basket)
    if not lines:
        return CounterQuote(priced=None, variants=[], member=member)
    if member is None:
        basket = Basket(store_id=basket.store_id, lines=basket.lines, token=basket.token)
    coupons = price_with_coupons(lines, _choice(store, basket, use_wallet=use_wallet and member is not None), member)
    return CounterQuote(priced=coupons.priced, variants=[v for v, _q in lines], member=member,
                        coupon_error=coupons.error if basket.coupon_code else "")


def add_to_basket(basket: Basket, *, variant: Variant, quantity: int = 1) -> None:
    """Scan once, one more unit; a line never passes the order line maximum."""
    new = basket.lines.get(variant.pk, 0) + quantity
    if new > MAX_LINE_QUANTITY:
        raise CounterError(_("At most %(max)s of one item per sale.") % {"max": MAX_LINE_QUANTITY})
    if new <= 0:
        basket.lines.pop(variant.pk, None)
    else:
        basket.lines[variant.pk] = new


def parse_cash(raw) -> Decimal | None:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        return None
    if not value.is_finite() or value < 0 or value != value.quantize(Decimal("0.01")):
        return None
    return to_money(value)


# --- the sale ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tendered:
    """How the customer pays: the tender, for cash what they handed over, for a split what goes on the card."""

    tender: str
    cash_given: Decimal | None = None
    card_amount: Decimal | None = None


@dataclass(frozen=True)
class TenderSplit:
    """What each tender pays of the amount due after stored value, and the change the drawer gives back."""

    card: Decimal = ZERO
    cash: Decimal = ZERO
    cash_given: Decimal | None = None
    change: Decimal = ZERO


def split_tenders(tendered: Tendered, due: Decimal, *, wallet_paid: Decimal = ZERO) -> TenderSplit:
    """Share ``due`` (what the wallet left to pay) between card and cash as the clerk asked.

    Pure: no database. Raises TenderError naming the form field to correct:
    a negative or over-large card amount, too little cash, or stored value
    alone that does not cover the sale.
    """
    tender = tendered.tender
    if tender == Tender.WALLET:
        if due > 0:
            raise TenderError(_("The stored value covers %(paid)s; take the other %(due)s in cash or by card.") % {
                "paid": format_money(wallet_paid), "due": format_money(due)}, field="tender")
        return TenderSplit()
    if tender in ALL_CARD:
        card = due
    elif tender in ALL_CASH:
        card = ZERO
    elif tender in SPLITS:
        card = tendered.card_amount
        if card is None and due == 0:
            card = ZERO  # stored value paid it all: nothing is left to split
        if card is None or card < 0:
            raise TenderError(_("Enter what goes on the card (0 or more)."), field="card_amount")
        if card > due:
            raise TenderError(_("The card can take at most the %(due)s to pay.") % {"due": format_money(due)},
                              field="card_amount")
    else:
        raise TenderError(_("Choose how the customer pays."), field="tender")
    card = to_money(card)
    cash = due - card
    if cash <= 0:
        return TenderSplit(card=card)
    given = tendered.cash_given
    if given is None or given < cash:
        raise TenderError(_("The cash handed over must cover the %(due)s to pay in cash.") % {
            "due": format_money(cash)}, field="cash_given")
    given = to_money(given)
    return TenderSplit(card=card, cash=cash, cash_given=given, change=given - cash)


def ring_up_sale(*, basket: Basket, clerk, tendered: Tendered, expected_total: Decimal | None) -> Order:
    """Sell the basket at the counter: one completed COUNTER order, stock gone, payments recorded, counted once.

    Idempotent on ``basket.token``: a double-submitted sale returns the first
    order. The clerk must be staff of the basket's store (or head office).
    Raises CounterError (incl. PricesChanged) or OutOfStock, each with a
    message for the till; a refusal writes nothing.
    """
    actor = workflow.staff_actor(clerk)
    if actor is None or not (actor.kind == workflow.ActorKind.HQ or basket.store_id in actor.store_ids):
        raise CounterError(_("You do not sell for this store."))
    if tendered.tender not in Tender.values:
        raise CounterError(_("Choose how the customer pays."))
    token = uuid.UUID(basket.token)
    try:
        with transaction.atomic(durable=True):
            return _ring_up_locked(basket, clerk, actor, tendered, expected_total, token)
    except IntegrityError:
        # A twin submission inserted the same token first and committed: it is the sale.
        order = Order.objects.filter(checkout_token=token).first()
        if order is None:
            raise
        return order


def _ring_up_locked(basket, clerk, actor, tendered: Tendered, expected_total, token) -> Order:
    twin = Order.objects.filter(checkout_token=token).first()
    if twin is not None:
        return twin
    use_wallet = tendered.tender in USES_WALLET
    if use_wallet and not basket.member_user_id:
        raise CounterError(_("Stored value needs a member: find the member first."))
    quote = quote_basket(basket=basket, use_wallet=use_wallet)
    if quote.is_empty:
        raise CounterError(_("Scan at least one item."))
    if quote.coupon_error:
        raise CounterError(quote.coupon_error)
    priced = quote.priced
    if expected_total is not None and priced.total != expected_total:
        raise PricesChanged(expected=expected_total, actual=priced.total)
    if basket.points_to_use and priced.points_used < basket.points_to_use:
        raise CounterError(_("Only %(points)s points can be used on this sale.") % {"points": priced.points_used})
    # Checked before anything is written: a refusal leaves no order, stock or ledger row behind.
    split = split_tenders(tendered, priced.amount_due, wallet_paid=priced.wallet_amount)

    store = Store.objects.get(pk=basket.store_id)
    user_id = basket.member_user_id or walk_in_user().pk
    member = quote.member
    order = _create_counter_order(user_id, token, priced, store, clerk, member)
    # 3. stock rows, by pk: the guarded reservation is what makes the last unit sell once.
    reserve_stock(store_id=store.pk, lines=[(line.item.variant_id, line.item.quantity) for line in priced.lines],
                  reference=order.number, by=clerk)
    # 4. the member's account: points and stored value, never below zero.
    if priced.points_used:
        member_services.spend_points(user_id=user_id, points=priced.points_used, reference=order.number)
    if priced.wallet_amount:
        member_services.pay_from_wallet(user_id=user_id, amount=priced.wallet_amount, reference=order.number)
        Payment.objects.create(order=order, provider="wallet", amount=priced.wallet_amount, currency=order.currency,
                               status=Payment.Status.SUCCEEDED, transaction_id=f"wallet-{order.number}",
                               confirmed_by=clerk)
    # One succeeded payment per tender, card before cash, so a return pays back through each the way it came.
    for provider, amount in ((CARD, split.card), (CASH, split.cash)):
        if amount > 0:
            Payment.objects.create(order=order, provider=provider, amount=amount, currency=order.currency,
                                   status=Payment.Status.SUCCEEDED, transaction_id=f"{provider}-{order.number}",
                                   confirmed_by=clerk)
    promotion_services.record_promotion_uses(
        order_number=order.number, user_id=user_id, order_total=priced.total, uses=promotion_uses(priced)
    )
    # 5. the coupon the customer showed, used once (核销).
    used = applied_coupon(priced)
    if used is not None and member is not None:
        from marketing.services.coupons import CouponError, redeem_coupon_at_counter

        try:
            redeem_coupon_at_counter(code=used[0], user_id=user_id, order_number=order.number, discount=used[1],
                                     order_total=priced.total, by=clerk)
        except CouponError as err:
            raise CounterError(err.message) from None
    note = tender_note(split)
    workflow.apply_action(order, "counter_pay", actor, note=note)
    workflow.apply_action(order, "counter_hand_over", actor)
    return order


def tender_note(split: TenderSplit) -> str:
    """The till's line for the history and the receipt: the cash handed over and the change given ("" without cash).

    What each tender paid is in the order's payments, one per tender; the
    cash handed over is known only here, so it is kept in the paid event's note.
    """
    if split.cash <= 0:
        return ""
    return _("cash handed over %(given)s, change %(change)s") % {
        "given": format_money(split.cash_given), "change": format_money(split.change)}


TENDER_ORDER = {"wallet": 0, CARD: 1, CASH: 2}


def receipt_tenders(order: Order) -> list[tuple[str, Decimal]]:
    """Each tender of a sale as the receipt prints it: (label, amount), stored value, then card, then cash."""
    from orders.payments.providers import provider_label

    payments = sorted(
        (p for p in order.payments.all() if p.status == Payment.Status.SUCCEEDED and not p.needs_refund),
        key=lambda p: (TENDER_ORDER.get(p.provider, 9), p.pk),
    )
    return [(provider_label(p.provider), p.amount) for p in payments]


def receipt_refunds(order: Order) -> list[tuple[str, Decimal, str]]:
    """What returns paid back through each tender: (label, amount, status label), oldest first."""
    from orders.models import RefundPayment
    from orders.payments.providers import provider_label

    legs = RefundPayment.objects.filter(refund__order=order).select_related("payment").order_by("pk")
    return [(provider_label(leg.payment.provider), leg.amount, leg.get_status_display()) for leg in legs]


def refund_tenders(refund) -> str:
    """How a counter return is paid back, per tender, for the clerk: what goes to the card and what leaves the drawer."""
    words = {
        CARD: _("%(amount)s back to the card"),
        CASH: _("%(amount)s in cash from the till"),
        "wallet": _("%(amount)s back to stored value"),
    }
    parts = [words.get(leg.payment.provider, "%(amount)s") % {"amount": format_money(leg.amount)}
             for leg in refund.legs.select_related("payment").order_by("pk")]
    return ", ".join(parts) or _("points only")


def _create_counter_order(user_id, token, priced: PricedCart, store: Store, clerk, member) -> Order:
    name = ""
    if member is not None:
        name = member.user.get_full_name() or member.user.get_username()
    fields = dict(
        user_id=user_id, status=Order.Status.PENDING_PAYMENT, fulfilment=Order.Fulfilment.PICKUP,
        payment_method=Order.PaymentMethod.COUNTER, channel=Order.Channel.COUNTER, sales_staff=clerk, store=store,
        checkout_token=token, recipient=(name or _("Walk-in customer"))[:50],
        phone=(member.phone if member is not None else "")[:20],
        language=translation.get_language() or settings.LANGUAGE_CODE, currency=settings.SHOP_CURRENCY,
        subtotal=priced.subtotal, discount_total=priced.discount_total, shipping_fee=priced.shipping_fee,
        total=priced.total, points_used=priced.points_used, wallet_amount=priced.wallet_amount, expires_at=None,
    )
    order = _create_numbered_order(fields, error=CounterError)
    _store_lines_and_shares(order, priced)
    OrderEvent.objects.create(order=order, to_status=order.status, actor=clerk, note=_("Rung up at the counter"))
    return order
