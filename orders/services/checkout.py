"""Checkout: price the member's cart and turn it into an order that holds its stock."""

import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from catalog.fixed_sql import sends_statements_together
from catalog.models import Variant, visible_product
from marketing.live_promotions import load_promotion_table, promotion_rules_for, read_live_promotions_version
from marketing.services import flash as flash_services
from marketing.services import groups as group_services
from marketing.services import promotions as promotion_services
from members import services as member_services
from members.models import Address, MemberProfile
from orders import workflow
from orders.checkout_queries import LockedCheckout, lock_cart_and_read, member_with_tier
from orders.exceptions import AmountDueChanged, CheckoutError, PricesChanged
from orders.locks import lock_cart, lock_member
from orders.models import (
    CartLine,
    Order,
    OrderAdjustment,
    OrderEvent,
    OrderLine,
    OrderLineAdjustment,
    OutboxMessage,
    Payment,
    ShippingMethod,
)
from orders.pricing import (
    PricedCart,
    PricingContext,
    PricingItem,
    ShippingRule,
    price_cart,
)
from orders.selectors import (
    delivery_sources_with,
    member_cart_lines,
    pickup_stores_for,
    shipping_methods_for,
)
from orders.services.checkout_sql import Share, insert_order_if_number_free, insert_order_rows
from orders.services.notifications import hand_over_after_commit, queue_email
from stores.exceptions import OutOfStock
from stores.models import Store
from stores.services import choose_delivery_store, delivery_shortages, reserve_stock

# Reads that moved to orders.selectors, still importable from here for older callers.
__all__ = [
    "CheckoutChoice",
    "member_cart_lines",
    "member_for_checkout",
    "pickup_stores_for",
    "place_order",
    "price_lines",
    "shipping_methods_for",
]


@dataclass(frozen=True)
class CheckoutChoice:
    """What the shopper picked on the checkout page."""

    fulfilment: str
    payment_method: str
    address: Address | None = None
    pickup_store: Store | None = None
    shipping_method: ShippingMethod | None = None
    contact_name: str = ""
    contact_phone: str = ""
    note: str = ""
    points_to_use: int = 0
    use_wallet: bool = False
    # None: the best applicable coupon is chosen automatically; "": no coupon; else a coupon or bulk code.
    coupon_code: str | None = None
    # A group-buy order (拼团): one unit of the campaign's variant at the group price, bought beside the
    # cart (the cart is left alone); with a share code it joins that group, without one it starts a group.
    group_buy_id: int | None = None
    group_code: str = ""


def shipping_rule(method: ShippingMethod | None) -> ShippingRule | None:
    if method is None:
        return None
    return ShippingRule(
        name=method.name,
        code=method.code,
        base_fee=method.base_fee,
        included_weight_grams=method.included_weight_grams,
        fee_per_extra_kg=method.fee_per_extra_kg,
        free_over=method.free_over,
    )


def option_label(variant: Variant) -> str:
    # Cart lines read for checkout carry their label (orders.selectors.member_cart_lines); others ask the variant.
    label = getattr(variant, "options_label", None)
    if label is not None:
        return label
    return " / ".join(value.value for value in variant.option_values.all())


def pricing_items(lines: list[tuple[Variant, int]]) -> list[PricingItem]:
    """Cart lines with today's database prices; the client never supplies a price."""
    return [
        PricingItem(
            variant_id=variant.pk,
            sku=variant.sku,
            name=variant.product.name,
            options=option_label(variant),
            unit_price=variant.price,
            quantity=quantity,
            weight_grams=variant.weight_grams,
        )
        for variant, quantity in lines
    ]


def price_lines(
    lines: list[tuple[Variant, int]], choice: CheckoutChoice, member: MemberProfile | None = None, *, at=None
) -> PricedCart:
    """Price the lines for this choice; the member's tier, points, wallet and coupons come from ``member``.

    ``at`` (now by default) picks the promotions running then: the admin's price simulator asks for other times.
    """
    return price_with_coupons(lines, choice, member, at=at).priced


def _pricing_context(lines, choice: CheckoutChoice, member: MemberProfile | None, at=None, flash=None) -> PricingContext:
    tier = member.tier if member else None
    return PricingContext(
        is_pickup=choice.fulfilment == Order.Fulfilment.PICKUP,
        shipping=shipping_rule(choice.shipping_method),
        tier_name=tier.name if tier else "",
        tier_discount_percent=tier.discount_percent if tier else Decimal("0"),
        tier_free_shipping_over=tier.free_shipping_over if tier else None,
        points_requested=choice.points_to_use,
        points_available=member.points_balance if member else 0,
        points_per_yuan=settings.MEMBERS_POINTS_PER_YUAN_REDEEM,
        points_max_share=settings.MEMBERS_POINTS_MAX_SHARE,
        wallet_requested=member.wallet_balance if member and choice.use_wallet else Decimal("0"),
        wallet_available=member.wallet_balance if member else Decimal("0"),
        unit_price_rules=_unit_price_rules(lines, choice, member, flash),
        promotions=_promotion_rules(lines, choice, tier, at),
    )


def price_with_coupons(lines, choice: CheckoutChoice, member: MemberProfile | None = None, *, at=None, flash=None):
    """Price the lines with the coupon the shopper chose, or the best one they hold (orders.services.coupon_choice).

    ``flash``: the member's live flash offers for these lines (``flash_services.flash_offers``) when the caller
    has read them already, as placing an order has for its quantity check.
    """
    from orders.services.coupon_choice import choose_coupon

    return choose_coupon(pricing_items(lines), [variant for variant, _q in lines],
                         _pricing_context(lines, choice, member, at, flash), choice.coupon_code, member)


def _promotion_rules(lines, choice: CheckoutChoice, tier, at) -> tuple:
    """Step 3's promotions running at ``at`` for this member's tier; a group order's group price is its deal."""
    if choice.group_buy_id is not None or not lines:
        return ()
    # The live table holds promotions not ended yet; a simulation of the past reads the ended ones too.
    table = load_promotion_table(include_ended=True) if at is not None and at < timezone.now() else None
    return promotion_rules_for([variant for variant, _q in lines], tier_id=tier.pk if tier else None, at=at, table=table)


def _unit_price_rules(lines, choice: CheckoutChoice, member: MemberProfile | None, flash=None) -> tuple:
    """Step 1's special prices: live flash sales for this member, or the group price of a group order."""
    if choice.group_buy_id is not None:
        try:
            return (group_services.group_price_rule(group_services.live_group_buy(group_buy_id=choice.group_buy_id)),)
        except group_services.GroupBuyError:
            return ()
    user_id = member.user_id if member else None
    if flash is None:
        flash = _flash_offers(user_id, lines)
    return tuple(flash_services.flash_price_rules(
        user_id=user_id, variant_ids=[variant.pk for variant, _q in lines], offers=flash
    ))


def group_checkout_lines(choice: CheckoutChoice) -> list[tuple[Variant, int]]:
    """The one line a group order holds (its variant, one unit), with ``on_sale`` as cart lines carry it."""
    try:
        campaign = group_services.live_group_buy(group_buy_id=choice.group_buy_id)
    except group_services.GroupBuyError as err:
        raise CheckoutError(err.message) from None
    variant = Variant.objects.select_related("product").prefetch_related("option_values").get(pk=campaign.variant_id)
    variant.on_sale = Variant.objects.filter(visible_product("product__"), pk=variant.pk, is_active=True).exists()
    return [(variant, 1)]


def member_for_checkout(user_id: int) -> MemberProfile:
    """The member's profile with its tier, made first for a user who has none."""
    if connection.vendor == "postgresql":
        member = member_with_tier(user_id)  # one fixed SQL text (orders/checkout_queries.py)
    else:
        member = MemberProfile.objects.select_related("tier").filter(user_id=user_id).first()
    if member is None:
        member = member_services.ensure_member(user=get_user_model().objects.get(pk=user_id))
    return member


def _check_lines(lines: list[tuple[Variant, int]]) -> None:
    if not lines:
        raise CheckoutError(_("Your cart is empty."))
    for variant, _quantity in lines:
        if not variant.on_sale:
            raise CheckoutError(
                _("%(name)s is no longer on sale; remove it from your cart.") % {"name": variant.product.name}
            )


def _check_choice(choice: CheckoutChoice, user_id: int) -> None:
    # The counter method is only for sales the till makes (orders/services/counter.py), never an online order.
    if choice.payment_method not in Order.PaymentMethod.values or choice.payment_method == Order.PaymentMethod.COUNTER:
        raise CheckoutError(_("Choose a payment method."))
    if choice.fulfilment == Order.Fulfilment.DELIVERY:
        if choice.address is None or choice.address.user_id != user_id:
            raise CheckoutError(_("Choose a delivery address."))
        if choice.shipping_method is None or not choice.shipping_method.is_active:
            raise CheckoutError(_("Choose a shipping method."))
        if not choice.shipping_method.serves(choice.address.province):
            raise CheckoutError(
                _("%(method)s does not deliver to %(province)s.")
                % {"method": choice.shipping_method.name, "province": choice.address.province}
            )
    elif choice.fulfilment == Order.Fulfilment.PICKUP:
        store = choice.pickup_store
        if store is None or not (store.is_active and store.is_pickup_enabled):
            raise CheckoutError(_("Choose a store to pick up from."))
        if choice.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY:
            raise CheckoutError(_("Cash on delivery is for delivery orders; pay online or by transfer to pick up."))
        if not choice.contact_name or not choice.contact_phone:
            raise CheckoutError(_("Give a name and phone number for the pick-up."))
    else:
        raise CheckoutError(_("Choose delivery or pick-up."))


def _time_to_pay(payment_method: str) -> timedelta:
    # A bank transfer takes a trip to the bank; paying online takes a minute.
    if payment_method == Order.PaymentMethod.BANK_TRANSFER:
        return timedelta(hours=settings.ORDER_BANK_TRANSFER_HOURS)
    return timedelta(minutes=settings.ORDER_PAYMENT_MINUTES)


def _new_number() -> str:
    # Date plus random digits: readable on the phone, and no guessable sequence.
    return timezone.localtime().strftime("%y%m%d") + f"{secrets.randbelow(10**8):08d}"



def place_order(
    *,
    user_id: int,
    token: uuid.UUID,
    choice: CheckoutChoice,
    expected_total: Decimal | None,
    expected_amount_due: Decimal | None = None,
    source: str = "",
) -> Order:
    """Turn the member's cart into an order that holds its stock, with every line's share of every discount.

    Idempotent on ``token``: the same checkout submitted ten times makes one
    order, even after the first emptied the cart (the twin check runs under
    the cart lock, before anything else, and the token is unique in the
    database). Takes the locks in the order of orders.locks: cart, then stock
    rows by pk (re-checked inside the lock; a delivery source found short
    there is given up for the next one), then the member. Never oversells.
    Raises CheckoutError (incl. PricesChanged, AmountDueChanged) or
    OutOfStock, both with a message for the shopper. ``source`` is the visit's traffic source
    (shop.traffic_source), kept on the order for the funnel.
    """
    try:
        with transaction.atomic():
            return _place_order_locked(
                user_id=user_id,
                token=token,
                choice=choice,
                expected_total=expected_total,
                expected_amount_due=expected_amount_due,
                source=source,
            )
    except IntegrityError:
        # A twin submission inserted the same token first and committed: it is the order.
        order = Order.objects.filter(checkout_token=token).first()
        if order is None:
            raise
        return order


def _lock_cart_and_read(user_id: int, token) -> LockedCheckout:
    """The cart lock, then the twin check, the cart lines and the member: one round trip on PostgreSQL."""
    if sends_statements_together():
        return lock_cart_and_read(user_id, token)
    cart = lock_cart(user_id)
    # Almost always there is no twin: ask whether there is one (a cheap query), read it only when there is.
    twin = Order.objects.filter(checkout_token=token).values_list("pk", flat=True).first()
    return LockedCheckout(
        cart_id=cart.pk if cart else None,
        twin_order_id=twin,
        lines=member_cart_lines(user_id) if twin is None else [],
        member=None,
    )


def _place_order_locked(*, user_id, token, choice, expected_total, expected_amount_due, source="") -> Order:
    locked = _lock_cart_and_read(user_id, token)
    if locked.twin_order_id is not None:
        return Order.objects.get(pk=locked.twin_order_id)
    is_group = choice.group_buy_id is not None
    if locked.cart_id is None and not is_group:
        raise CheckoutError(_("Your cart is empty."))
    lines = group_checkout_lines(choice) if is_group else locked.lines
    _check_lines(lines)
    _check_choice(choice, user_id)

    wanted = [(variant.pk, quantity) for variant, quantity in lines]
    names = {variant.pk: variant.product.name for variant, _q in lines}
    if choice.fulfilment == Order.Fulfilment.PICKUP:
        sources = iter([choice.pickup_store])
    else:
        sources = _delivery_sources(wanted, names)
    # Where the goods come from is settled before pricing, so a sold-out SKU is refused before the
    # member, flash and coupon reads (the rows are locked later, in _reserve_with_gifts).
    first = next(sources)

    member = locked.member or member_for_checkout(user_id)
    # Read once: they set the flash prices and then bound the quantities (_check_flash_quantities).
    flash = None if is_group else _flash_offers(user_id, lines)
    # Priced with the promotions running now: pages may show a version up to a second old, an order may not.
    read_live_promotions_version()
    coupons = price_with_coupons(lines, choice, member, flash=flash)
    priced = coupons.priced
    if expected_total is not None and priced.total != expected_total:
        raise PricesChanged(expected=expected_total, actual=priced.total)
    if expected_amount_due is not None and priced.amount_due != expected_amount_due:
        raise AmountDueChanged(expected=expected_amount_due, actual=priced.amount_due)
    if coupons.error and choice.coupon_code:
        raise CheckoutError(coupons.error)

    _check_flash_quantities(user_id, lines, priced, flash)
    # With the order: its lines and shares, the event, the emptied cart (a group order is bought beside
    # the cart) and the receipt's outbox message.
    order = _create_order(user_id, token, choice, priced, first, source, cart_id=None if is_group else locked.cart_id)
    # The campaign figures need no lock: written before the stock rows are locked, not while they are held.
    promotion_services.record_promotion_uses(
        order_number=order.number, user_id=user_id, order_total=priced.total, uses=promotion_uses(priced)
    )
    # Stock rows are locked as late as possible, so buyers of the same SKU wait on each other only briefly.
    store = _reserve_with_gifts(first, sources, wanted, order, priced)
    if store.pk != first.pk:
        Order.objects.filter(pk=order.pk).update(store=store)
        order.store = store
    # Then the member's account (one row lock): points and stored value, never below zero.
    if priced.points_used:
        member_services.spend_points(user_id=user_id, points=priced.points_used, reference=order.number)
    if priced.wallet_amount:
        member_services.pay_from_wallet(user_id=user_id, amount=priced.wallet_amount, reference=order.number)
        Payment.objects.create(
            order=order,
            provider="wallet",
            amount=priced.wallet_amount,
            currency=order.currency,
            status=Payment.Status.SUCCEEDED,
            transaction_id=f"wallet-{order.number}",
        )
    # 5. flash quotas and group slots, after the member lock (their own guarded UPDATEs).
    _take_flash_and_group(order, choice, priced)
    # 5. the coupon, after the member row: used once, whatever other tabs submit at this moment.
    _use_coupon(user_id, order, priced)
    if priced.amount_due == 0:
        workflow.apply_action(order, "pay", workflow.Actor.system(), note=_("Paid in full from stored value"))
    return order


def _flash_offers(user_id: int | None, lines) -> dict:
    """The member's live flash offers for the lines; none to read when the lines' own read found no live sale.

    ``has_live_flash_sale`` (orders.checkout_queries) is the same condition as
    ``live_flash_sales``, asked in the cart lines' query: exact, not a cache.
    """
    if all(getattr(variant, "has_live_flash_sale", True) is False for variant, _q in lines):
        return {}
    return flash_services.flash_offers(user_id=user_id, variant_ids=[variant.pk for variant, _q in lines])


def _check_flash_quantities(user_id: int, lines, priced: PricedCart, flash) -> None:
    """A line over the member's flash allowance is refused rather than sold at two prices."""
    for (variant, quantity), line in zip(lines, priced.lines):
        if line.price_rule is None:
            try:
                flash_services.check_flash_quantity(
                    user_id=user_id, variant_id=variant.pk, quantity=quantity, name=variant.product.name, offers=flash
                )
            except flash_services.FlashSaleError as err:
                raise CheckoutError(err.message) from None


def _take_flash_and_group(order: Order, choice: CheckoutChoice, priced: PricedCart) -> None:
    """Take the flash units and the group slot this order was priced with, or refuse the whole checkout.

    Locks the member's account first (lock order step 4) so one member's tabs
    queue here and the per-member flash limit is counted once; a refusal
    raises CheckoutError and the checkout's transaction writes nothing.
    """
    flash = [line for line in priced.lines if line.price_rule is not None and line.price_rule.kind == "flash"]
    is_group = choice.group_buy_id is not None
    if not flash and not is_group:
        return
    if is_group and order.status == Order.Status.PLACED:
        # The group succeeds on its members' payments; cash collected at the door comes too late.
        raise CheckoutError(_("Pay online or by transfer to join a group; cash on delivery is not possible."))
    lock_member(order.user_id)
    fields = []
    try:
        for line in flash:
            flash_services.take_flash_units(
                user_id=order.user_id, order_number=order.number,
                flash_sale_id=int(line.price_rule.reference.split(":")[1]), quantity=line.item.quantity,
            )
        if is_group:
            if choice.group_code:
                group = group_services.join_group(code=choice.group_code, user_id=order.user_id, order_number=order.number)
            else:
                group = group_services.start_group(
                    group_buy_id=choice.group_buy_id, user_id=order.user_id, order_number=order.number
                )
            order.group_code, order.is_waiting_for_group = group.code, True
            fields += ["group_code", "is_waiting_for_group"]
    except (flash_services.FlashSaleError, group_services.GroupBuyError) as err:
        raise CheckoutError(err.message) from None
    # Flash and group orders hold scarce places: unpaid, they give them back quickly.
    if order.expires_at is not None:
        order.expires_at = min(order.expires_at, timezone.now() + timedelta(minutes=settings.MARKETING_FLASH_PAYMENT_MINUTES))
        fields.append("expires_at")
    if fields:
        order.save(update_fields=fields)


def _use_coupon(user_id: int, order: Order, priced: PricedCart) -> None:
    from marketing.coupon_selectors import unredeemed_code
    from marketing.services.coupons import CouponError, redeem_code, use_coupon
    from orders.pricing import applied_coupon

    used = applied_coupon(priced)
    if used is None:
        return
    code, saving = used
    lock_member(user_id)
    try:
        if unredeemed_code(code) is not None:  # a bulk code typed at checkout joins the wallet, then is used
            code = redeem_code(code=code, user_id=user_id).code
        use_coupon(code=code, user_id=user_id, order_number=order.number, discount=saving, order_total=priced.total)
    except CouponError as err:
        raise CheckoutError(err.message) from None


def _delivery_sources(wanted, names) -> Iterator[Store]:
    """Delivery sources to try, best first: the configured first choice, then every other that had it all.

    Read without locks, so a source may turn out short once its rows are
    locked; ``_reserve_somewhere`` then moves on to the next. Raises
    OutOfStock (or CheckoutError when the goods are split over sources)
    when none had everything at this look.
    """
    first = choose_delivery_store(lines=wanted)
    if first is None:
        _raise_delivery_shortage(wanted, names)
    yield first
    # Only asked for when the first choice was short under its lock: one more query.
    for store in delivery_sources_with(wanted):
        if store.pk != first.pk:
            yield store


def _raise_delivery_shortage(wanted, names):
    shortages = delivery_shortages(lines=wanted)
    if not shortages:
        raise CheckoutError(
            _("No single warehouse has everything in your cart; pick up in a store or order the items separately.")
        )
    raise OutOfStock(shortages=shortages, names=names)


def promotion_uses(priced: PricedCart) -> dict[int, Decimal]:
    """What each promotion gave on this priced cart (goods and shipping), by promotion id: the campaign figures."""
    uses: dict[int, Decimal] = {}
    for adjustment in priced.adjustments:
        if adjustment.reference.startswith("promotion:"):
            promotion_id = int(adjustment.reference.removeprefix("promotion:"))
            uses[promotion_id] = uses.get(promotion_id, Decimal("0.00")) - adjustment.amount
    return uses


def _reserve_with_gifts(first: Store, sources: Iterator[Store], wanted, order: Order, priced: PricedCart) -> Store:
    """Reserve the goods, and the gifts (满赠) with them when the store has them; a missing gift never stops the order.

    The gifts join the goods in one reservation, so the stock rows are still
    locked once, in pk order. If that store is short of anything, the goods
    are reserved on their own (in it or the next source) and the gift lines
    are dropped from the order, whose gift adjustment then says it ran out.
    """
    gifts = [(line.item.variant_id, line.item.quantity) for line in priced.lines if getattr(line, "is_gift", False)]
    if not gifts:
        return _reserve_somewhere(first, sources, wanted, order.number)
    try:
        reserve_stock(store_id=first.pk, lines=wanted + gifts, reference=order.number)
        return first
    except OutOfStock:
        pass
    store = _reserve_somewhere(first, sources, wanted, order.number)
    gift_ids = {variant_id for variant_id, _q in gifts}
    OrderLine.objects.filter(order=order, variant_id__in=gift_ids, unit_price=0, line_total=0).delete()
    for adjustment in order.adjustments.filter(kind=OrderAdjustment.Kind.PROMOTION, params__has_key="gift"):
        adjustment.params = {**adjustment.params, "gift_in_stock": 0}
        adjustment.save(update_fields=["params"])
    return store


def _reserve_somewhere(first: Store, others: Iterator[Store], wanted, reference: str) -> Store:
    """Reserve every line in ``first`` or, if it is short under the lock, the next source that is not.

    ``reserve_stock`` is its own savepoint: an attempt that finds a store
    short rolls back, releasing that store's row locks before the next
    store's are taken, so at most one store's rows are held at a time.
    Raises the last OutOfStock when every source turned out short.
    """
    store = first
    while True:
        try:
            reserve_stock(store_id=store.pk, lines=wanted, reference=reference)
            return store
        except OutOfStock as short:
            store = next(others, None)
            if store is None:
                raise short from None


def _create_order(
    user_id, token, choice: CheckoutChoice, priced: PricedCart, store: Store, source: str = "", *, cart_id: int | None
) -> Order:
    is_cod = choice.payment_method == Order.PaymentMethod.CASH_ON_DELIVERY and priced.amount_due > 0
    status = Order.Status.PLACED if is_cod else Order.Status.PENDING_PAYMENT
    address = choice.address
    fields = dict(
        user_id=user_id,
        status=status,
        fulfilment=choice.fulfilment,
        payment_method=choice.payment_method,
        store=store,
        checkout_token=token,
        recipient=address.recipient if address else choice.contact_name,
        phone=address.phone if address else choice.contact_phone,
        province=address.province if address else "",
        city=address.city if address else "",
        district=address.district if address else "",
        address_detail=address.detail if address else "",
        shipping_method=choice.shipping_method if address else None,
        shipping_method_name=choice.shipping_method.name if address and choice.shipping_method else "",
        note=choice.note,
        source=source[:100],
        # Emails about this order are written in the language the shopper checked out in.
        language=translation.get_language() or settings.LANGUAGE_CODE,
        currency=settings.SHOP_CURRENCY,
        subtotal=priced.subtotal,
        discount_total=priced.discount_total,
        shipping_fee=priced.shipping_fee,
        total=priced.total,
        points_used=priced.points_used,
        wallet_amount=priced.wallet_amount,
        expires_at=None if is_cod else timezone.now() + _time_to_pay(choice.payment_method),
    )
    if connection.vendor == "postgresql":
        return _insert_order_in_one_statement(fields, priced, cart_id)
    order = _create_numbered_order(fields)
    _store_lines_and_shares(order, priced)
    OrderEvent.objects.create(order=order, to_status=status, actor_id=user_id, note=_("Order placed"))
    if cart_id is not None:
        CartLine.objects.filter(cart_id=cart_id).delete()
    queue_email(kind="order_placed", order=order)
    return order


def _insert_order_in_one_statement(fields: dict, priced: PricedCart, cart_id: int | None) -> Order:
    """The order, its rows, the emptied cart and the outbox message in one statement (orders/services/checkout_sql.py).

    The same rows as the ORM path writes; a taken random number writes nothing and draws another.
    """
    for _attempt in range(5):
        order = Order(number=_new_number(), **fields)
        message_id = insert_order_rows(
            order=order,
            lines=_order_lines(order, priced),
            adjustments=_order_adjustments(order, priced),
            shares=[
                Share(adjustment=position, line=index, amount=share) for position, index, share in _shares(priced)
            ],
            event=OrderEvent(to_status=order.status, actor_id=order.user_id, note=_("Order placed")),
            message=OutboxMessage(kind="order_placed"),
            cart_id=cart_id,
        )
        if message_id is not None:
            hand_over_after_commit(message_id)
            return order
    raise CheckoutError(_("Could not number the order; please try again."))


def _create_numbered_order(fields: dict, *, error: type[CheckoutError] = CheckoutError) -> Order:
    """Insert the order under a fresh random number, drawing another when one is taken.

    A clash on the checkout token is a repeated checkout and is raised as it is; five
    taken numbers in a row raise ``error``.
    """
    for _attempt in range(5):
        if connection.vendor == "postgresql":
            order = Order(number=_new_number(), **fields)
            if insert_order_if_number_free(order):
                return order
            continue  # the random number was taken: draw another
        try:
            with transaction.atomic():
                return Order.objects.create(number=_new_number(), **fields)
        except IntegrityError as err:
            if "checkout_token" in str(err):
                raise
            # the random number was taken: draw another
    raise error(_("Could not number the order; please try again."))


def _order_lines(order: Order, priced: PricedCart) -> list[OrderLine]:
    return [
        OrderLine(
            order=order,
            variant_id=line.item.variant_id,
            product_name=line.item.name,
            sku=line.item.sku,
            options=line.item.options,
            unit_price=line.item.unit_price,
            quantity=line.item.quantity,
            line_total=line.line_total,
            discount=line.discount,
            points_used=line.points_used,
            points_value=line.points_value,
            net_total=line.net_total,
        )
        for line in priced.lines
    ]


def _order_adjustments(order: Order, priced: PricedCart) -> list[OrderAdjustment]:
    return [
        OrderAdjustment(order=order, kind=a.kind, params=a.params, amount=a.amount, reference=a.reference)
        for a in priced.adjustments
    ]


def _shares(priced: PricedCart):
    """(adjustment's position, line's position, share) for every line share worth a row."""
    for position, adjustment in enumerate(priced.adjustments):
        for index, share in enumerate(adjustment.shares):
            if share or (adjustment.point_shares and adjustment.point_shares[index]):
                yield position, index, share


def _store_lines_and_shares(order: Order, priced: PricedCart) -> None:
    """Lines with gross, discount, points and net; adjustments with their figures; one row per line share."""
    lines = OrderLine.objects.bulk_create(_order_lines(order, priced))
    adjustments = OrderAdjustment.objects.bulk_create(_order_adjustments(order, priced))
    OrderLineAdjustment.objects.bulk_create(
        OrderLineAdjustment(adjustment=adjustments[position], line=lines[index], amount=share)
        for position, index, share in _shares(priced)
    )


def shipping_quotes(lines, choice: CheckoutChoice, member: MemberProfile | None, methods) -> dict[int, Decimal]:
    """What each shipping method would cost this cart, so every option shows its price before it is chosen.

    One pricing context for all methods (the promotions and unit prices do not depend on the method); only the
    pure pipeline runs again per method, so the page's query count does not grow with the number of methods.
    """
    if not methods:
        return {}
    items = pricing_items(lines)
    context = _pricing_context(lines, choice, member)
    return {
        method.pk: price_cart(items, replace(context, is_pickup=False, shipping=shipping_rule(method))).shipping_fee
        for method in methods
    }


def choice_key(choice: CheckoutChoice) -> str:
    """The options a shown total was priced for: placing compares it to tell a changed choice from a changed price."""
    return ":".join(
        str(part)
        for part in (
            choice.fulfilment,
            choice.address.pk if choice.address else "",
            choice.shipping_method.pk if choice.shipping_method else "",
            choice.pickup_store.pk if choice.pickup_store else "",
            choice.points_to_use or 0,
            int(choice.use_wallet),
            choice.coupon_code or "",
            choice.payment_method,
        )
    )
