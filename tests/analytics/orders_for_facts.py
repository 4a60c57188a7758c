"""Orders written straight into the tables, with the shapes the facts must read (not through checkout: fast)."""

import datetime as dt
import random
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model

from orders.models import Order, OrderAdjustment, OrderLine, Refund, RefundLine
from tests.factories import ProductFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
CENT = Decimal("0.01")


def at(day: dt.date, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=SHANGHAI)


def member(name: str):
    return get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="x")


def make_order(*, user, store, variants, paid_at=None, completed_at=None, channel="online", fulfilment="delivery",
               status=Order.Status.PAID, payment_method="online", quantities=None, discounts=None, points=None,
               shipping=Decimal("0.00"), wallet=Decimal("0.00"), coupon_kind="coupon"):
    """An order with one line per variant; ``discounts``[i] = (tier, promotion, coupon) share of line i."""
    number = uuid.uuid4().hex[:16]
    order = Order.objects.create(
        number=number, user=user, status=status, fulfilment=fulfilment, payment_method=payment_method, store=store,
        checkout_token=uuid.uuid4(), channel=channel, recipient="张三", phone="13800000000",
        subtotal=Decimal("0.00"), total=Decimal("0.00"), shipping_fee=shipping, paid_at=paid_at,
        completed_at=completed_at,
    )
    quantities = quantities or [1] * len(variants)
    discounts = discounts or [(Decimal(0),) * 3] * len(variants)
    points = points or [Decimal(0)] * len(variants)
    kinds = {"tier": Decimal(0), "promotion": Decimal(0), coupon_kind: Decimal(0)}
    subtotal = net = Decimal("0.00")
    for variant, quantity, (tier, promotion, coupon), point_value in zip(variants, quantities, discounts, points):
        gross = variant.price * quantity
        share = tier + promotion + coupon
        OrderLine.objects.create(
            order=order, variant=variant, product_name=variant.product.name, sku=variant.sku,
            unit_price=variant.price, quantity=quantity, line_total=gross, discount=share,
            points_value=point_value, net_total=gross - share - point_value,
        )
        kinds["tier"] += tier
        kinds["promotion"] += promotion
        kinds[coupon_kind] += coupon
        subtotal += gross
        net += gross - share - point_value
    for kind, amount in kinds.items():
        if amount:
            # Discounts are stored negative; a floor give-back is positive (see orders/pricing.py).
            OrderAdjustment.objects.create(order=order, kind=kind, amount=amount if kind == "floor" else -amount)
    total = net + shipping
    Order.objects.filter(pk=order.pk).update(
        subtotal=subtotal, discount_total=subtotal - net, total=total, wallet_amount=min(wallet, total)
    )
    order.refresh_from_db()
    return order


def refund(order, *, when, lines=None, status=Refund.Status.SUCCEEDED):
    """Refund one unit of each given line (all lines by default) at its net unit price."""
    lines = lines if lines is not None else list(order.lines.all())
    made = Refund.objects.create(order=order, key=uuid.uuid4().hex, amount=Decimal("0.00"), reason="test", status=status)
    amount = Decimal("0.00")
    for line in lines:
        share = (line.net_total / line.quantity).quantize(CENT)
        RefundLine.objects.create(refund=made, order_line=line, quantity=1, amount=share)
        amount += share
    Refund.objects.filter(pk=made.pk).update(amount=amount, created_at=when)
    return made


def products(count: int, price=Decimal("50.00")):
    return [ProductFactory(price=price).variants.get() for _ in range(count)]


def random_money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low, high)) * CENT
