"""Members: profile, tiers, points and wallet ledgers, referrals, tags, addresses.

Balances are ledgers, never bare counters: ``PointsEntry`` and
``WalletEntry`` rows are the truth and the audit trail; the balances on
``MemberProfile`` are kept in step by members.services under a row lock
and can always be recomputed from the ledger.
"""

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from decimal import Decimal

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

phone_validator = RegexValidator(r"^\+?[0-9][0-9 -]{5,18}[0-9]$", _("Enter a valid phone number."))


class Address(models.Model):
    """A delivery address in the Chinese form: province / city / district / street and number."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses")
    recipient = models.CharField(_("recipient"), max_length=50)
    phone = models.CharField(_("phone"), max_length=20, validators=[phone_validator])
    province = models.CharField(_("province"), max_length=30)
    city = models.CharField(_("city"), max_length=30)
    district = models.CharField(_("district"), max_length=30)
    detail = models.CharField(_("street and number"), max_length=200)
    is_default = models.BooleanField(_("default address"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="address_one_default_per_user"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient} {self.province}{self.city}{self.district}{self.detail}"

    @property
    def one_line(self) -> str:
        return f"{self.province} {self.city} {self.district} {self.detail}"


class Tier(models.Model):
    """A member level (普通 / 银卡 / 金卡) with how to reach it and what it gives."""

    class Rule(models.TextChoices):
        SPEND = "spend", _("rolling 12-month spend")
        POINTS = "points", _("points earned in 12 months")

    name = models.CharField(_("name"), max_length=30)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True, help_text=_("Higher ranks are better tiers."))
    rule = models.CharField(_("entry rule"), max_length=10, choices=Rule.choices, default=Rule.SPEND)
    threshold = models.DecimalField(
        _("entry threshold"), max_digits=12, decimal_places=2, default=Decimal("0.00"),
        help_text=_("Spend in yuan, or points, over the last 12 months."),
    )
    discount_percent = models.DecimalField(
        _("discount %"), max_digits=5, decimal_places=2, default=Decimal("0.00"),
        help_text=_("Taken off the goods at checkout, e.g. 5 for 5%."),
    )
    points_multiplier = models.DecimalField(_("points multiplier"), max_digits=4, decimal_places=2, default=Decimal("1.00"))
    free_shipping_over = models.DecimalField(
        _("free shipping from"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    birthday_benefit = models.CharField(_("birthday benefit"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["rank"]
        constraints = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=0, discount_percent__lt=100), name="tier_discount_range"
            ),
            models.CheckConstraint(condition=Q(points_multiplier__gte=0), name="tier_multiplier_non_negative"),
        ]

    def __str__(self) -> str:
        return self.name


class MemberTag(models.Model):
    name = models.CharField(_("name"), max_length=30, unique=True)

    class Meta:
        verbose_name = _("member tag")
        verbose_name_plural = _("member tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class MemberProfile(models.Model):
    """Everything the member programme knows about a shopper, beside the allauth user."""

    class Gender(models.TextChoices):
        UNSPECIFIED = "", _("not given")
        FEMALE = "female", _("female")
        MALE = "male", _("male")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("account"), on_delete=models.CASCADE, related_name="member"
    )
    phone = models.CharField(_("mobile phone"), max_length=20, blank=True, validators=[phone_validator])
    birthday = models.DateField(_("birthday"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True, default="")
    marketing_consent = models.BooleanField(_("agrees to marketing messages"), default=False)
    marketing_consent_at = models.DateTimeField(_("consent changed at"), null=True, blank=True)
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.PROTECT)
    tier_since = models.DateTimeField(_("tier since"), null=True, blank=True)
    tags = models.ManyToManyField(MemberTag, verbose_name=_("tags"), blank=True, related_name="members")
    points_balance = models.IntegerField(_("points"), default=0)
    wallet_balance = models.DecimalField(_("wallet balance"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    referral_code = models.CharField(_("invite code"), max_length=12, unique=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("invited by"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="referrals",
    )
    # Kept in step by orders (members must not read orders): for staff filters and tier rules.
    total_spend = models.DecimalField(_("total spend"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    last_order_at = models.DateTimeField(_("last order at"), null=True, blank=True)
    deletion_requested_at = models.DateTimeField(_("deletion requested at"), null=True, blank=True)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    created_at = models.DateTimeField(_("member since"), auto_now_add=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        constraints = [
            models.CheckConstraint(condition=Q(points_balance__gte=0), name="member_points_non_negative"),
            models.CheckConstraint(condition=Q(wallet_balance__gte=0), name="member_wallet_non_negative"),
            models.UniqueConstraint(fields=["phone"], condition=~Q(phone=""), name="member_phone_unique"),
            models.CheckConstraint(condition=~Q(referred_by=F("user")), name="member_not_self_referred"),
        ]

    def __str__(self) -> str:
        return self.user.email or self.user.get_username()

    @property
    def masked_phone(self) -> str:
        digits = self.phone.replace(" ", "").replace("-", "")
        return f"{digits[:3]}****{digits[-4:]}" if len(digits) >= 7 else digits


class TierChange(models.Model):
    member = models.ForeignKey(MemberProfile, on_delete=models.CASCADE, related_name="tier_changes")
    from_tier = models.ForeignKey(
        Tier, verbose_name=_("from tier"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    to_tier = models.ForeignKey(
        Tier, verbose_name=_("to tier"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("changed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-created_at", "-id"]


class LedgerEntry(models.Model):
    """What every ledger row records besides its amount: why, who, when."""

    reference = models.CharField(_("reference"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-id"]


class PointsEntry(LedgerEntry):
    """One change to a member's points. Keyed entries (earn/reverse/redeem/referral per order) are unique,
    so an order credits points once however often the task runs."""

    class Kind(models.TextChoices):
        EARN = "earn", _("earned on an order")
        REVERSE = "reverse", _("reversed by a refund")
        REDEEM = "redeem", _("used at checkout")
        RESTORE = "restore", _("returned from a cancelled order")
        EXPIRE = "expire", _("expired")
        REFERRAL = "referral", _("invite reward")
        ADJUST = "adjust", _("staff adjustment")

    member = models.ForeignKey(MemberProfile, on_delete=models.CASCADE, related_name="points_entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    change = models.IntegerField(_("change"))
    balance_after = models.IntegerField(_("balance after"))
    expires_on = models.DateField(_("expires on"), null=True, blank=True)

    class Meta(LedgerEntry.Meta):
        verbose_name = _("points entry")
        verbose_name_plural = _("points entries")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "reference"], condition=~Q(reference="") & ~Q(kind="adjust"),
                name="points_entry_once_per_reference",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="points_balance_after_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change:+d}"


class WalletEntry(LedgerEntry):
    """One change to a member's stored value (储值)."""

    class Kind(models.TextChoices):
        TOP_UP = "top_up", _("top-up")
        BONUS = "bonus", _("top-up bonus")
        PAYMENT = "payment", _("paid an order")
        REFUND = "refund", _("refund")
        ADJUST = "adjust", _("staff adjustment")

    member = models.ForeignKey(MemberProfile, on_delete=models.CASCADE, related_name="wallet_entries")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    change = models.DecimalField(_("change"), max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(_("balance after"), max_digits=12, decimal_places=2)

    class Meta(LedgerEntry.Meta):
        verbose_name = _("wallet entry")
        verbose_name_plural = _("wallet entries")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "kind", "reference"], condition=~Q(reference="") & ~Q(kind="adjust"),
                name="wallet_entry_once_per_reference",
            ),
            models.CheckConstraint(condition=Q(balance_after__gte=0), name="wallet_balance_after_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.change}"


class TopUpBonusRule(models.Model):
    """Pay at least ``pay_at_least``, get ``bonus`` on top (充500送50). The best matching rule applies."""

    pay_at_least = models.DecimalField(_("pay at least"), max_digits=12, decimal_places=2)
    bonus = models.DecimalField(_("bonus"), max_digits=12, decimal_places=2)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("top-up bonus rule")
        verbose_name_plural = _("top-up bonus rules")
        ordering = ["pay_at_least"]
        constraints = [
            models.CheckConstraint(condition=Q(pay_at_least__gt=0, bonus__gte=0), name="topup_rule_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.pay_at_least} + {self.bonus}"


class WalletTopUp(models.Model):
    """An online top-up: created pending, paid through the payment gateway, credited once."""

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting payment")
        PAID = "paid", _("paid")
        CANCELLED = "cancelled", _("cancelled")

    number = models.CharField(_("top-up number"), max_length=20, unique=True)
    member = models.ForeignKey(MemberProfile, on_delete=models.PROTECT, related_name="top_ups")
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    bonus = models.DecimalField(_("bonus"), max_digits=12, decimal_places=2, default=Decimal("0.00"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    transaction_id = models.CharField(_("transaction id"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True)
    paid_at = models.DateTimeField(_("paid at"), null=True, blank=True)

    class Meta:
        verbose_name = _("wallet top-up")
        verbose_name_plural = _("wallet top-ups")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="topup_amount_positive"),
            models.UniqueConstraint(
                fields=["transaction_id"], condition=~Q(transaction_id=""), name="topup_unique_transaction"
            ),
        ]

    def __str__(self) -> str:
        return self.number


class ReferralReward(models.Model):
    """Both sides rewarded for an invitee's first completed order — unique per invitee, so exactly once."""

    invitee = models.OneToOneField(MemberProfile, on_delete=models.CASCADE, related_name="referral_reward")
    referrer = models.ForeignKey(MemberProfile, on_delete=models.CASCADE, related_name="referral_rewards_given")
    order_number = models.CharField(_("order number"), max_length=20)
    points_each = models.PositiveIntegerField(_("points each"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("referral reward")
        verbose_name_plural = _("referral rewards")
        ordering = ["-created_at"]


class Favourite(models.Model):
    """收藏: a product a member keeps for later."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="favourites")
    product = models.ForeignKey("catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("favourite")
        verbose_name_plural = _("favourites")
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["user", "product"], name="favourite_once")]


class BackInStockRequest(models.Model):
    """到货通知: tell this member once when this sold-out variant can be bought again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="back_in_stock_requests")
    variant = models.ForeignKey("catalog.Variant", verbose_name=_("variant"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    notified_at = models.DateTimeField(_("told at"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("back-in-stock notice")
        verbose_name_plural = _("back-in-stock notices")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "variant"], condition=Q(notified_at__isnull=True),
                                    name="back_in_stock_once_while_waiting"),
        ]


class ConsentRecord(models.Model):
    """用户协议 / 隐私政策 accepted at sign-up (or later): which document, which version, when."""

    class Document(models.TextChoices):
        TERMS = "terms", _("terms of service")
        PRIVACY = "privacy", _("privacy policy")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consents")
    document = models.CharField(_("document"), max_length=10, choices=Document.choices)
    version = models.CharField(_("version"), max_length=20)
    accepted_at = models.DateTimeField(_("accepted at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "document", "version"], name="consent_once_per_version"),
        ]
