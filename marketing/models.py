from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from shop.money import money_field


class AnnouncementQuerySet(models.QuerySet):
    def live(self, *, at=None):
        at = at or timezone.now()
        return self.filter(
            Q(starts_at__isnull=True) | Q(starts_at__lte=at),
            Q(ends_at__isnull=True) | Q(ends_at__gt=at),
            is_active=True,
        )


class Announcement(models.Model):
    """A banner line across the top of the storefront (开业大促, 配送通知…)."""

    text = models.CharField(_("text"), max_length=200)
    link = models.CharField(_("link"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    starts_at = models.DateTimeField(_("starts at"), null=True, blank=True)
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    objects = AnnouncementQuerySet.as_manager()

    class Meta:
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")
        ordering = ["position", "-id"]

    def __str__(self) -> str:
        return self.text


class Scope(models.Model):
    """What goods a coupon or promotion covers: the whole shop, or categories (with their subtrees),
    brands, products and variants, less exclusions. Covered = (whole shop or any inclusion) and no exclusion."""

    applies_to_all = models.BooleanField(_("whole shop"), default=True)
    categories = models.ManyToManyField(
        "catalog.Category", verbose_name=_("categories (with their subcategories)"), blank=True, related_name="+"
    )
    brands = models.ManyToManyField("catalog.Brand", verbose_name=_("brands"), blank=True, related_name="+")
    products = models.ManyToManyField("catalog.Product", verbose_name=_("products"), blank=True, related_name="+")
    variants = models.ManyToManyField("catalog.Variant", verbose_name=_("variants"), blank=True, related_name="+")
    excluded_products = models.ManyToManyField(
        "catalog.Product", verbose_name=_("excluded products"), blank=True, related_name="+"
    )
    excluded_variants = models.ManyToManyField(
        "catalog.Variant", verbose_name=_("excluded variants"), blank=True, related_name="+"
    )

    class Meta:
        abstract = True


class CouponTemplate(Scope):
    """A kind of coupon (优惠券) the shop hands out: what it takes off, on what, when, to whom, how many."""

    class Kind(models.TextChoices):
        CASH_OFF = "cash_off", _("cash off (no threshold)")
        THRESHOLD = "threshold", _("spend X, get Y off")
        PERCENT = "percent", _("percent off")
        FREE_SHIPPING = "free_shipping", _("free shipping")

    class AutoIssue(models.TextChoices):
        NONE = "", _("not automatic")
        BIRTHDAY = "birthday", _("birthday")
        REFERRAL = "referral", _("invite reward")
        FIRST_ORDER = "first_order", _("first completed order")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    amount = money_field(_("amount off"), null=True, blank=True, help_text=_("For cash-off and threshold coupons."))
    threshold = money_field(
        _("minimum spend"), default=Decimal("0.00"), help_text=_("Goods it covers must reach this amount.")
    )
    percent = models.DecimalField(
        _("percent off"), max_digits=5, decimal_places=2, null=True, blank=True, help_text=_("10 means 10 per cent off.")
    )
    max_discount = money_field(_("at most"), null=True, blank=True, help_text=_("Cap for a percent-off coupon."))
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)
    valid_days = models.PositiveSmallIntegerField(
        _("valid for days after claiming"), null=True, blank=True,
        help_text=_("Leave empty to use the fixed window above."),
    )
    total_quantity = models.PositiveIntegerField(_("total quantity"), null=True, blank=True, help_text=_("Empty: no limit."))
    issued_count = models.PositiveIntegerField(_("issued"), default=0)
    per_member_limit = models.PositiveSmallIntegerField(_("per member"), default=1)
    tiers = models.ManyToManyField(
        "members.Tier", verbose_name=_("only for tiers"), blank=True, related_name="+",
        help_text=_("Empty: every member."),
    )
    new_customers_only = models.BooleanField(_("new customers only"), default=False,
                                             help_text=_("Only members without a completed order."))
    stackable_with_promotions = models.BooleanField(_("stacks with promotions"), default=True)
    is_claimable = models.BooleanField(_("shown in the coupon centre"), default=False)
    auto_issue = models.CharField(_("issued automatically on"), max_length=20, choices=AutoIssue.choices, blank=True,
                                  default=AutoIssue.NONE)
    is_active = models.BooleanField(_("active"), default=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon template")
        verbose_name_plural = _("coupon templates")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_quantity__isnull=True) | Q(issued_count__lte=F("total_quantity")),
                name="coupon_template_issued_within_quantity",
            ),
            models.CheckConstraint(condition=Q(threshold__gte=0), name="coupon_template_threshold_non_negative"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=0), name="coupon_template_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gt=0, percent__lt=100), name="coupon_template_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Coupon(models.Model):
    """One coupon in a member's coupon wallet (我的优惠券), usable once.

    ``order_number`` (not a foreign key: orders sit above marketing) says
    which order used it. Expiry is a query on ``valid_until``, not a job.
    ``reference`` makes automatic issues once-only (``birthday-2026``).
    """

    class Status(models.TextChoices):
        AVAILABLE = "available", _("available")
        USED = "used", _("used")
        VOID = "void", _("void")

    class Source(models.TextChoices):
        CLAIM = "claim", _("claimed")
        CODE = "code", _("redeemed a code")
        STAFF = "staff", _("issued by staff")
        BIRTHDAY = "birthday", _("birthday")
        REFERRAL = "referral", _("invite reward")
        FIRST_ORDER = "first_order", _("first order")

    template = models.ForeignKey(
        CouponTemplate, verbose_name=_("coupon"), on_delete=models.PROTECT, related_name="coupons",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="coupons"
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.AVAILABLE)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.CLAIM)
    reference = models.CharField(_("reference"), max_length=64, blank=True)
    valid_from = models.DateTimeField(_("valid from"))
    valid_until = models.DateTimeField(_("valid until"))
    order_number = models.CharField(_("used on order"), max_length=20, blank=True, db_index=True)
    discount_amount = money_field(_("discount given"), default=Decimal("0.00"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("issued at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon")
        verbose_name_plural = _("coupons")
        ordering = ["valid_until", "id"]
        indexes = [models.Index(fields=["user", "status", "valid_until"], name="coupon_wallet")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "template", "reference"], condition=~Q(reference=""), name="coupon_once_per_reference"
            ),
            models.CheckConstraint(
                condition=~Q(status="used") | ~Q(order_number=""), name="coupon_used_names_its_order"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.template} · {self.code}"


class CouponCode(models.Model):
    """A bulk-generated unique code (发码) that turns into a coupon for whoever redeems it first."""

    template = models.ForeignKey(
        CouponTemplate, verbose_name=_("coupon"), on_delete=models.CASCADE, related_name="codes",
    )
    code = models.CharField(_("code"), max_length=20, unique=True)
    batch = models.CharField(_("batch"), max_length=40, blank=True, db_index=True)
    coupon = models.OneToOneField(
        Coupon, verbose_name=_("coupon"), null=True, blank=True, on_delete=models.SET_NULL, related_name="from_code"
    )
    redeemed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("redeemed by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    redeemed_at = models.DateTimeField(_("redeemed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("coupon code")
        verbose_name_plural = _("coupon codes")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.code


class Promotion(Scope):
    """A promotion (促销活动) priced by the pipeline for everyone it covers, in its window.

    Figures by kind: threshold reduction uses ``thresholds`` rows (满199减20,
    满299减40) or ``every_amount``/``amount`` ("every ¥100 off ¥10");
    percent off uses ``percent``; fixed price off uses ``amount`` per unit;
    Nth item at a discount uses ``nth`` and ``percent`` (第二件半价: 2, 50);
    buy X get Y uses ``buy_quantity``/``free_quantity``; gift with purchase
    uses ``gift_variant``/``gift_quantity`` above ``threshold``; member day
    uses ``weekday``, ``percent`` and ``points_multiplier`` (with ``tiers``);
    free shipping uses ``threshold``.
    """

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", _("threshold reduction")
        PERCENT = "percent", _("percent off")
        AMOUNT_OFF = "amount_off", _("price off per item")
        NTH_ITEM = "nth_item", _("Nth item discounted")
        BUY_X_GET_Y = "buy_x_get_y", _("buy X get Y free")
        GIFT = "gift", _("gift with purchase")
        MEMBER_DAY = "member_day", _("member day")
        FREE_SHIPPING = "free_shipping", _("free shipping")

    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    badge = models.CharField(_("badge"), max_length=12, blank=True, help_text=_("Shown on product cards, e.g. 满减."))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    priority = models.PositiveSmallIntegerField(_("priority"), default=100, help_text=_("Lower runs first."))
    is_exclusive = models.BooleanField(_("exclusive"), default=False,
                                       help_text=_("Covered goods get no other promotion."))
    stackable_with_coupons = models.BooleanField(_("stacks with coupons"), default=True)
    tiers = models.ManyToManyField("members.Tier", verbose_name=_("only for tiers"), blank=True, related_name="+")
    threshold = money_field(_("threshold"), null=True, blank=True)
    every_amount = money_field(_("for every"), null=True, blank=True)
    amount = money_field(_("amount off"), null=True, blank=True)
    max_discount = money_field(_("at most"), null=True, blank=True)
    percent = models.DecimalField(_("percent off"), max_digits=5, decimal_places=2, null=True, blank=True)
    nth = models.PositiveSmallIntegerField(_("Nth item"), null=True, blank=True)
    buy_quantity = models.PositiveSmallIntegerField(_("buy"), null=True, blank=True)
    free_quantity = models.PositiveSmallIntegerField(_("get free"), null=True, blank=True)
    gift_variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("gift"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gift_quantity = models.PositiveSmallIntegerField(_("gift quantity"), default=1)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), null=True, blank=True, help_text=_("0 = Monday … 6 = Sunday, in the shop's time zone.")
    )
    points_multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2, null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("promotion")
        verbose_name_plural = _("promotions")
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="promotion_window_positive"),
            models.CheckConstraint(
                condition=Q(percent__isnull=True) | Q(percent__gt=0, percent__lte=100), name="promotion_percent_range"
            ),
            models.CheckConstraint(condition=Q(weekday__isnull=True) | Q(weekday__lte=6), name="promotion_weekday_range"),
        ]

    def __str__(self) -> str:
        return self.name


class PromotionThreshold(models.Model):
    """One step of a threshold reduction: spend at least ``threshold`` on covered goods, get ``discount`` off."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), on_delete=models.CASCADE, related_name="thresholds",
    )
    threshold = money_field(_("spend at least"))
    discount = money_field(_("get off"))

    class Meta:
        verbose_name = _("threshold step")
        verbose_name_plural = _("threshold steps")
        ordering = ["threshold"]
        constraints = [
            models.UniqueConstraint(fields=["promotion", "threshold"], name="promotion_threshold_once"),
            models.CheckConstraint(condition=Q(discount__gt=0, threshold__gt=0), name="promotion_threshold_positive"),
        ]


class PromotionUse(models.Model):
    """A promotion or coupon applied to a placed order: the campaign figures (orders, discount, revenue)."""

    promotion = models.ForeignKey(
        Promotion, verbose_name=_("promotion"), null=True, blank=True, on_delete=models.CASCADE, related_name="uses",
    )
    coupon_template = models.ForeignKey(
        CouponTemplate, verbose_name=_("coupon"), null=True, blank=True, on_delete=models.CASCADE, related_name="uses"
    )
    order_number = models.CharField(_("order"), max_length=20, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), null=True, on_delete=models.SET_NULL, related_name="+",
    )
    discount = money_field(_("discount given"))
    order_total = money_field(_("order total"))
    is_cancelled = models.BooleanField(_("cancelled or refunded"), default=False)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("campaign use")
        verbose_name_plural = _("campaign uses")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(promotion__isnull=False) | Q(coupon_template__isnull=False), name="promotion_use_names_campaign"
            ),
            models.UniqueConstraint(fields=["promotion", "order_number"], condition=Q(promotion__isnull=False),
                                    name="promotion_use_once_per_order"),
            models.UniqueConstraint(fields=["coupon_template", "order_number"],
                                    condition=Q(coupon_template__isnull=False), name="coupon_use_once_per_order"),
        ]


class FlashSale(models.Model):
    """限时秒杀: a capped quota of one variant at a flash price in a window, a limit per member.

    ``taken`` moves only by a guarded UPDATE (taken + n <= quota), so the
    flash price is never sold beyond the cap; unpaid flash orders give it back.
    """

    name = models.CharField(_("name"), max_length=60)
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+",
    )
    flash_price = money_field(_("flash price"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    quota = models.PositiveIntegerField(_("units at the flash price"))
    taken = models.PositiveIntegerField(_("units taken"), default=0)
    per_member_limit = models.PositiveSmallIntegerField(_("per member"), default=1)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("flash sale")
        verbose_name_plural = _("flash sales")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(taken__lte=F("quota")), name="flash_sale_taken_within_quota"),
            models.CheckConstraint(condition=Q(flash_price__gte=0), name="flash_sale_price_non_negative"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="flash_sale_window_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class FlashSaleTake(models.Model):
    """Units of a flash sale held by one order; released (given back to the quota) when it is cancelled."""

    flash_sale = models.ForeignKey(
        FlashSale, verbose_name=_("flash sale"), on_delete=models.PROTECT, related_name="takes",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+",
    )
    order_number = models.CharField(_("order"), max_length=20)
    quantity = models.PositiveSmallIntegerField(_("units"))
    released_at = models.DateTimeField(_("given back at"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("flash sale purchase")
        verbose_name_plural = _("flash sale purchases")
        constraints = [
            models.UniqueConstraint(fields=["flash_sale", "order_number"], name="flash_take_once_per_order"),
            models.CheckConstraint(condition=Q(quantity__gte=1), name="flash_take_quantity_positive"),
        ]


class GroupBuy(models.Model):
    """拼团 campaign: a group price for one variant when ``group_size`` shoppers join within ``hours_to_fill``."""

    name = models.CharField(_("name"), max_length=60)
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+",
    )
    group_price = money_field(_("group price"))
    group_size = models.PositiveSmallIntegerField(_("group size"))
    hours_to_fill = models.PositiveSmallIntegerField(_("hours to fill a group"), default=24)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group buy")
        verbose_name_plural = _("group buys")
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(group_size__gte=2), name="group_buy_size_at_least_two"),
            models.CheckConstraint(condition=Q(group_price__gte=0), name="group_buy_price_non_negative"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="group_buy_window_positive"),
        ]

    def __str__(self) -> str:
        return self.name


class Group(models.Model):
    """One group of a group buy, started by a leader and joined by share link until full or its deadline.

    ``joined`` moves by a guarded UPDATE (joined < size), so the last slot
    goes to exactly one shopper.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    campaign = models.ForeignKey(GroupBuy, verbose_name=_("group buy"), on_delete=models.PROTECT, related_name="groups")
    code = models.CharField(_("share code"), max_length=16, unique=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("leader"), on_delete=models.PROTECT, related_name="+",
    )
    size = models.PositiveSmallIntegerField(_("size"))
    joined = models.PositiveSmallIntegerField(_("joined"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    deadline = models.DateTimeField(_("deadline"), db_index=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group")
        verbose_name_plural = _("groups")
        ordering = ["-created_at"]
        constraints = [models.CheckConstraint(condition=Q(joined__lte=F("size")), name="group_joined_within_size")]

    def __str__(self) -> str:
        return self.code


class GroupMember(models.Model):
    """A shopper's place in a group, held by their order (paid or awaiting payment)."""

    group = models.ForeignKey(Group, verbose_name=_("group"), on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="+",
    )
    order_number = models.CharField(_("order"), max_length=20, unique=True)
    is_leader = models.BooleanField(_("leader"), default=False)
    left_at = models.DateTimeField(_("left at"), null=True, blank=True,
                                   help_text=_("Set when the order was cancelled before the group filled."))
    joined_at = models.DateTimeField(_("joined at"), auto_now_add=True)

    class Meta:
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        ordering = ["joined_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], condition=Q(left_at__isnull=True),
                                    name="group_member_once_per_group"),
        ]


class Notification(models.Model):
    """A message in the member centre (消息): a birthday coupon arrived, a group filled or failed."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("member"), on_delete=models.CASCADE, related_name="notifications",
    )
    kind = models.CharField(_("kind"), max_length=30)
    params = models.JSONField(_("details"), default=dict, blank=True)
    link = models.CharField(_("link"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-id"]
