"""Carts, orders and their lines, adjustments, events, payments, refunds and the outbox."""

import uuid
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Round
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from shop.money import money_field

MAX_LINE_QUANTITY = 99


class Cart(models.Model):
    """A member's cart. A guest's cart lives in the session until they log in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="cart",
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("cart")
        verbose_name_plural = _("carts")

    def __str__(self) -> str:
        return f"{self.user}"


class CartLine(models.Model):
    cart = models.ForeignKey(Cart, verbose_name=_("cart"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.CASCADE, related_name="+",
    )
    quantity = models.PositiveSmallIntegerField(
        _("quantity"),
        validators=[MinValueValidator(1), MaxValueValidator(MAX_LINE_QUANTITY)]
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cart", "variant"], name="cart_line_unique_variant"),
            models.CheckConstraint(
                condition=Q(quantity__gte=1, quantity__lte=MAX_LINE_QUANTITY), name="cart_line_quantity_range"
            ),
        ]


class ShippingMethod(models.Model):
    """A way to get parcels to a shopper, and what it costs.

    Fee = base fee, plus ``fee_per_extra_kg`` for each started kilogram over
    ``included_weight_grams``; nothing when the goods reach ``free_over``.
    ``provinces`` limits where it goes (blank: everywhere), so regional
    prices are separate methods ("江浙沪次日达", "全国快递").
    """

    name = models.CharField(_("name"), max_length=60)
    code = models.SlugField(_("code"), max_length=30, unique=True)
    base_fee = money_field(_("base fee"), default=Decimal("0.00"))
    included_weight_grams = models.PositiveIntegerField(_("weight included (g)"), default=1000)
    fee_per_extra_kg = money_field(_("fee per extra kg"), default=Decimal("0.00"))
    free_over = money_field(_("free from order value"), null=True, blank=True)
    provinces = models.CharField(
        _("provinces served"), max_length=500, blank=True, help_text=_("Comma-separated; empty means everywhere.")
    )
    # How long a parcel takes, in days after dispatch, shown on each option at checkout ("预计 2–3 天送达").
    delivery_days_min = models.PositiveSmallIntegerField(_("delivery takes at least (days)"), default=1)
    delivery_days_max = models.PositiveSmallIntegerField(_("delivery takes at most (days)"), default=3)
    is_active = models.BooleanField(_("active"), default=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("shipping method")
        verbose_name_plural = _("shipping methods")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(base_fee__gte=0, fee_per_extra_kg__gte=0), name="shipping_fees_non_negative"),
            models.CheckConstraint(
                condition=Q(delivery_days_min__lte=F("delivery_days_max")), name="shipping_delivery_days_ordered"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def province_list(self) -> list[str]:
        return [p.strip() for p in self.provinces.replace("，", ",").split(",") if p.strip()]

    def serves(self, province: str) -> bool:
        allowed = self.province_list
        return not allowed or province in allowed


class Order(models.Model):
    class Status(models.TextChoices):
        PENDING_PAYMENT = "pending_payment", _("awaiting payment")
        PLACED = "placed", _("placed (cash on delivery)")
        PAID = "paid", _("paid")
        READY_FOR_PICKUP = "ready_for_pickup", _("ready for pick-up")
        SHIPPED = "shipped", _("shipped")
        COMPLETED = "completed", _("completed")
        CANCELLED = "cancelled", _("cancelled")
        REFUNDED = "refunded", _("refunded")

    class Fulfilment(models.TextChoices):
        DELIVERY = "delivery", _("delivery")
        PICKUP = "pickup", _("pick-up in store")

    class Channel(models.TextChoices):
        ONLINE = "online", _("online")
        COUNTER = "counter", _("store counter")

    class PaymentMethod(models.TextChoices):
        ONLINE = "online", _("online payment")
        BANK_TRANSFER = "bank_transfer", _("bank transfer")
        CASH_ON_DELIVERY = "cod", _("cash on delivery")
        # Paid at the till (cash, card, stored value or a mix: the payments say which); never offered online.
        COUNTER = "counter", _("paid at the store counter")

    # Who may move an order where, and what follows, is orders/workflow.py; the model only stores the state.

    number = models.CharField(_("order number"), max_length=20, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.PROTECT, related_name="orders"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, db_index=True)
    fulfilment = models.CharField(_("fulfilment"), max_length=10, choices=Fulfilment.choices)
    payment_method = models.CharField(_("payment method"), max_length=20, choices=PaymentMethod.choices)
    store = models.ForeignKey(
        "stores.Store", verbose_name=_("fulfilling store"), on_delete=models.PROTECT, related_name="orders"
    )
    checkout_token = models.UUIDField(_("checkout token"), unique=True, editable=False)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.ONLINE, db_index=True)
    # The staff member who made the sale (导购): at the counter, or through their share link.
    sales_staff = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sales staff"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    # A group-buy order waits here until its group fills (marketing.Group.code); it is not fulfilled before.
    group_code = models.CharField(_("group"), max_length=16, blank=True, db_index=True)
    # Where the visit that placed this order came from (utm_source or an outside referrer's host), for the funnel.
    source = models.CharField(_("traffic source"), max_length=100, blank=True)
    is_waiting_for_group = models.BooleanField(_("waiting for its group"), default=False)

    recipient = models.CharField(_("recipient"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20)
    province = models.CharField(_("province"), max_length=30, blank=True)
    city = models.CharField(_("city"), max_length=30, blank=True)
    district = models.CharField(_("district"), max_length=30, blank=True)
    address_detail = models.CharField(_("street and number"), max_length=200, blank=True)
    shipping_method = models.ForeignKey(
        ShippingMethod, verbose_name=_("shipping method"), null=True, blank=True, on_delete=models.PROTECT
    )
    shipping_method_name = models.CharField(_("shipping method"), max_length=60, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    # The language the shopper checked out in: their emails are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="CNY")
    subtotal = money_field(_("goods"))
    discount_total = money_field(_("discounts"), default=Decimal("0.00"))
    shipping_fee = money_field(_("shipping"), default=Decimal("0.00"))
    total = money_field(_("total"))
    refunded_total = money_field(_("refunded amount"), default=Decimal("0.00"))
    points_used = models.PositiveIntegerField(_("points used"), default=0)
    wallet_amount = money_field(_("paid from wallet"), default=Decimal("0.00"))
    wallet_refunded = money_field(_("refunded to wallet"), default=Decimal("0.00"))

    # Pick-up (自提核销): the code the shopper shows at the store, how often a wrong one was tried,
    # until when the order refuses codes after too many, and when an uncollected order is given up.
    pickup_code = models.CharField(_("pick-up code"), max_length=6, blank=True)
    pickup_code_failures = models.PositiveSmallIntegerField(_("wrong pick-up codes"), default=0)
    pickup_locked_until = models.DateTimeField(_("pick-up code locked until"), null=True, blank=True)
    pickup_deadline = models.DateTimeField(_("collect by"), null=True, blank=True, db_index=True)

    carrier = models.CharField(_("carrier"), max_length=50, blank=True)
    tracking_number = models.CharField(_("tracking number"), max_length=50, blank=True)

    placed_at = models.DateTimeField(_("placed at"), auto_now_add=True, db_index=True)
    expires_at = models.DateTimeField(_("pay by"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped at"), null=True, blank=True)
    ready_at = models.DateTimeField(_("ready at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    # Claimed once by a conditional update when the order is counted for the member
    # (points, spend, tier, referral), so a task run twice or a crash never counts it twice.
    counted_at = models.DateTimeField(_("counted for the member at"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-placed_at", "-id"]
        indexes = [models.Index(fields=["user", "-placed_at"], name="order_user_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_non_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0, refunded_total__lte=F("total")), name="order_refund_within_total"
            ),
            models.CheckConstraint(
                condition=Q(wallet_amount__gte=0, wallet_amount__lte=F("total")), name="order_wallet_within_total"
            ),
            models.CheckConstraint(
                condition=Q(wallet_refunded__gte=0, wallet_refunded__lte=F("wallet_amount")),
                name="order_wallet_refund_within_wallet_paid",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("orders:order-detail", kwargs={"number": self.number})

    @property
    def can_request_return(self) -> bool:
        return self.status in (self.Status.PAID, self.Status.SHIPPED, self.Status.COMPLETED, self.Status.READY_FOR_PICKUP)

    @property
    def needs_payment(self) -> bool:
        return self.status == self.Status.PENDING_PAYMENT

    @property
    def amount_due(self) -> Decimal:
        """What the external method pays: the total less what the wallet paid."""
        return self.total - self.wallet_amount

    @property
    def refundable_amount(self) -> Decimal:
        return self.total - self.refunded_total


class OrderLine(models.Model):
    """A line as bought: names and prices are copied so later edits never rewrite history.

    Money per line: ``line_total`` is the gross (unit price × quantity);
    ``discount`` is this line's share of every order-level discount (tier,
    promotions, coupon; one ``OrderLineAdjustment`` row per share says why);
    ``points_used``/``points_value`` its share of the points paid with; and
    ``net_total`` what the shopper paid for it in money. Refunds pay back
    net amounts and give back the points share.
    """

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+",
    )
    product_name = models.CharField(_("product"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=64)
    options = models.CharField(_("options"), max_length=200, blank=True)
    unit_price = money_field(_("unit price"))
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    line_total = money_field(_("gross"))
    discount = money_field(_("discount share"), default=Decimal("0.00"))
    points_used = models.PositiveIntegerField(_("points share"), default=0)
    points_value = money_field(_("points value share"), default=Decimal("0.00"))
    net_total = money_field(_("net paid"), default=Decimal("0.00"))
    refunded_quantity = models.PositiveSmallIntegerField(_("refunded quantity"), default=0)
    refunded_amount = money_field(_("refunded amount"), default=Decimal("0.00"))
    refunded_points = models.PositiveIntegerField(_("refunded points"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        constraints = [
            models.CheckConstraint(condition=Q(refunded_quantity__lte=F("quantity")), name="order_line_refund_within_quantity"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="order_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="order_line_unit_price_non_negative"),
            models.CheckConstraint(
                condition=Q(discount__gte=0, points_value__gte=0, net_total__gte=0), name="order_line_shares_non_negative"
            ),
            models.CheckConstraint(
                # Rounded to the cent: exact on PostgreSQL already, and SQLite (the zero-setup demo)
                # computes in binary floating point.
                condition=Q(net_total=Round(F("line_total") - F("discount") - F("points_value"), 2)),
                name="order_line_net_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("net_total")),
                name="order_line_refund_within_net",
            ),
            models.CheckConstraint(condition=Q(refunded_points__lte=F("points_used")), name="order_line_points_refund_within_share"),
        ]

    def __str__(self) -> str:
        return f"{self.product_name} × {self.quantity}"


class OrderAdjustment(models.Model):
    """A line of the receipt that is not goods: a discount, shipping, points used.

    It stores what it is (``kind``) and the figures its description needs
    (``params``); the description is rendered where it is shown, in the
    reader's language (``label``). Goods discounts and points are shared out
    over the lines they cover (``allocations``).
    """

    class Kind(models.TextChoices):
        TIER = "tier", _("member discount")
        PROMOTION = "promotion", _("promotion")
        COUPON = "coupon", _("coupon")
        SHIPPING = "shipping", _("shipping")
        SHIPPING_DISCOUNT = "shipping_discount", _("free shipping")
        POINTS = "points", _("points")
        FLOOR = "floor", _("discount limited to the order value")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="adjustments")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    params = models.JSONField(_("details"), default=dict, blank=True)
    amount = money_field(_("amount"))
    reference = models.CharField(_("reference"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("order adjustment")
        verbose_name_plural = _("order adjustments")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.label}: {self.amount}"

    @property
    def label(self) -> str:
        from orders.labels import adjustment_label

        return adjustment_label(self.kind, self.params)


class OrderLineAdjustment(models.Model):
    """One order line's share of one adjustment: why this line costs what it does."""

    adjustment = models.ForeignKey(
        OrderAdjustment, verbose_name=_("adjustment"), on_delete=models.CASCADE, related_name="allocations",
    )
    line = models.ForeignKey(
        "OrderLine", verbose_name=_("order line"), on_delete=models.CASCADE, related_name="allocations",
    )
    amount = money_field(_("amount"))

    class Meta:
        verbose_name = _("line share of an adjustment")
        verbose_name_plural = _("line shares of adjustments")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["adjustment", "line"], name="line_adjustment_once_per_line"),
        ]


class OrderEvent(models.Model):
    """History: every status change and staff action, with who and when."""

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        labels = dict(Order.Status.choices)
        return f"{labels.get(self.from_status, self.from_status)} → {labels.get(self.to_status, self.to_status)}"

    @property
    def to_status_label(self) -> str:
        return Order.Status(self.to_status).label if self.to_status in Order.Status.values else ""


class Payment(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="payments")
    provider = models.CharField(_("provider"), max_length=30)
    amount = money_field(_("amount"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    transaction_id = models.CharField(_("transaction id"), max_length=100, blank=True)
    # A payment that arrived for an order no longer waiting for it (expired, cancelled):
    # kept, never applied, and flagged so staff refund it.
    needs_refund = models.BooleanField(_("needs refund"), default=False, db_index=True)
    refunded_at = models.DateTimeField(_("refunded at"), null=True, blank=True)
    # Refunds written against this payment (pending or settled; a failed one is given back).
    refunded_amount = money_field(_("refunded"), default=Decimal("0.00"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("confirmed by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "transaction_id"],
                condition=~Q(transaction_id=""),
                name="payment_unique_transaction",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive"),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0, refunded_amount__lte=F("amount")), name="payment_refund_within_amount"
            ),
            models.UniqueConstraint(
                fields=["order"],
                # Counter tenders (cash, card) may split one sale between them; an online order has one payer.
                condition=Q(status="succeeded", needs_refund=False) & ~Q(provider__in=["wallet", "cash", "card"]),
                name="payment_one_applied_external_per_order",
            ),
            models.UniqueConstraint(
                fields=["order"], condition=Q(provider="wallet"), name="payment_one_wallet_part_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} {self.amount} ({self.get_status_display()})"

    @property
    def refundable(self) -> Decimal:
        """What this payment brought in and has not been (or is not being) paid back."""
        if self.status != self.Status.SUCCEEDED:
            return Decimal("0.00")
        return self.amount - self.refunded_amount


class Refund(models.Model):
    """A staff (or system) decision to pay money back for an order: which lines, how much, why.

    The money moves in ``RefundPayment`` legs, one per payment it goes back
    through (wallet first, then the way it was paid). ``key`` makes a
    decision once-only: a double-submitted form or a task run twice finds
    the refund it already made.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.PROTECT, related_name="refunds")
    key = models.CharField(_("once-only key"), max_length=100, unique=True)
    amount = money_field(_("amount"))
    points = models.PositiveIntegerField(_("points given back"), default=0)
    reason = models.CharField(_("reason"), max_length=200)
    restock = models.BooleanField(_("returned to stock"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="refund_amount_non_negative")]

    def __str__(self) -> str:
        return f"{self.order} −{self.amount}"


class RefundPayment(models.Model):
    """One leg of a refund: money going back through one payment.

    Written pending inside the refund's transaction; the provider is called
    after commit by a task keyed on this row, and its answer recorded here.
    """

    refund = models.ForeignKey(Refund, verbose_name=_("refund"), on_delete=models.CASCADE, related_name="legs")
    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refund_legs",
    )
    amount = money_field(_("amount"))
    status = models.CharField(_("status"), max_length=10, choices=Refund.Status.choices, default=Refund.Status.PENDING)
    provider_reference = models.CharField(_("provider reference"), max_length=100, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    settled_at = models.DateTimeField(_("settled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund payment")
        verbose_name_plural = _("refund payments")
        ordering = ["id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="refund_payment_amount_positive")]

    def __str__(self) -> str:
        return f"{self.payment.provider} −{self.amount} ({self.get_status_display()})"


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, verbose_name=_("refund"), on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        OrderLine, verbose_name=_("order line"), on_delete=models.PROTECT, related_name="refund_lines",
    )
    quantity = models.PositiveSmallIntegerField(_("quantity"))
    amount = money_field(_("amount"))
    points = models.PositiveIntegerField(_("points"), default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="refund_line_quantity_positive"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="refund_line_amount_non_negative"),
        ]


class ReturnRequest(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    order = models.ForeignKey(Order, verbose_name=_("order"), on_delete=models.CASCADE, related_name="return_requests")
    reason = models.CharField(_("reason"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED)
    staff_note = models.CharField(_("staff note"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("return request")
        verbose_name_plural = _("return requests")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["order"], condition=Q(status="requested"), name="return_request_one_open_per_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order} · {self.get_status_display()}"


class OutboxMessage(models.Model):
    """A side effect (an email) written in the same transaction as the change that causes it.

    It is handed to Celery after commit; if Redis is down it simply waits
    here and the periodic flush sends it. Sending claims the row first, so
    each message goes out exactly once.
    """

    kind = models.CharField(_("kind"), max_length=40)
    order = models.ForeignKey(
        Order, verbose_name=_("order"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # A message about no order (back in stock, birthday coupon): to whom, and the figures its template needs.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("to"), null=True, blank=True, on_delete=models.CASCADE,
        related_name="+",
    )
    params = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, db_index=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["id"]

    def __str__(self) -> str:
        # A message about no order (a report, a back-in-stock notice) has no order number to show.
        return f"{self.kind} #{self.order_id}" if self.order_id else f"{self.kind} ({self.pk})"


def new_checkout_token() -> uuid.UUID:
    return uuid.uuid4()
