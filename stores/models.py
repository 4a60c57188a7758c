"""Stores and warehouses, and the stock each keeps of each SKU."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Store(models.Model):
    class Kind(models.TextChoices):
        STORE = "store", _("store")
        WAREHOUSE = "warehouse", _("warehouse")

    name = models.CharField(_("name"), max_length=100)
    code = models.SlugField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.STORE)
    region = models.CharField(_("region"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=255, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=100, blank=True)
    is_pickup_enabled = models.BooleanField(_("pick-up enabled"), default=True)
    is_delivery_source = models.BooleanField(
        _("ships delivery orders"), default=True, help_text=_("Stock here may be sent out for online delivery orders.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    priority = models.PositiveIntegerField(
        _("priority"), default=100, help_text=_("Lower numbers serve delivery orders first.")
    )

    class Meta:
        verbose_name = _("store")
        verbose_name_plural = _("stores")
        ordering = ["priority", "code"]

    def __str__(self) -> str:
        return self.name


class Stock(models.Model):
    """One row per store and SKU. Available to sell = on_hand − reserved."""

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="stock")
    variant = models.ForeignKey(
        "catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="stock"
    )
    on_hand = models.PositiveIntegerField(_("on hand"), default=0)
    reserved = models.PositiveIntegerField(_("reserved"), default=0)
    low_stock_threshold = models.PositiveIntegerField(_("low-stock threshold"), default=5)
    # Set when the managers were told this row ran low; cleared once it is restocked
    # above the threshold, so each crossing alerts exactly once.
    low_stock_alerted_at = models.DateTimeField(_("low-stock alert sent at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("stock")
        verbose_name_plural = _("stock")
        constraints = [
            models.UniqueConstraint(fields=["store", "variant"], name="stock_unique_store_variant"),
            models.CheckConstraint(condition=Q(on_hand__gte=0), name="stock_on_hand_non_negative"),
            models.CheckConstraint(condition=Q(reserved__gte=0), name="stock_reserved_non_negative"),
            models.CheckConstraint(condition=Q(reserved__lte=F("on_hand")), name="stock_reserved_le_on_hand"),
        ]

    def __str__(self) -> str:
        return f"{self.store} · {self.variant_id}"

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(models.Model):
    """The ledger: every change to a stock row, with why and by whom."""

    class Reason(models.TextChoices):
        RECEIPT = "receipt", _("receipt")
        ADJUSTMENT = "adjustment", _("adjustment")
        RESERVATION = "reservation", _("reservation")
        RELEASE = "release", _("release")
        DEDUCTION = "deduction", _("deduction")
        RETURN = "return", _("return to stock")

    stock = models.ForeignKey(Stock, verbose_name=_("stock"), on_delete=models.PROTECT, related_name="movements")
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    on_hand_change = models.IntegerField(_("on-hand change"), default=0)
    reserved_change = models.IntegerField(_("reserved change"), default=0)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("stock movement")
        verbose_name_plural = _("stock movements")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_reason_display()} {self.on_hand_change:+d}"


class StoreStaff(models.Model):
    class Role(models.TextChoices):
        MANAGER = "manager", _("manager")
        CLERK = "clerk", _("clerk")

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="store_roles"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.CLERK)

    class Meta:
        verbose_name = _("store staff")
        verbose_name_plural = _("store staff")
        constraints = [models.UniqueConstraint(fields=["store", "user"], name="store_staff_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.store} · {self.get_role_display()}"


class LowStockAlert(models.Model):
    """An admin notice that a stock row fell to its threshold; managers were mailed too."""

    stock = models.ForeignKey(Stock, verbose_name=_("stock"), on_delete=models.CASCADE, related_name="alerts")
    available = models.IntegerField(_("available then"))
    threshold = models.PositiveIntegerField(_("threshold"))
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)
    emailed_to = models.TextField(_("emailed to"), blank=True)

    class Meta:
        verbose_name = _("low-stock alert")
        verbose_name_plural = _("low-stock alerts")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.stock} ≤ {self.threshold}"
