"""Stores and warehouses, and the stock each keeps of each SKU."""

import uuid

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
        TRANSFER_OUT = "transfer_out", _("transfer dispatched")
        TRANSFER_IN = "transfer_in", _("transfer received")
        STOCKTAKE = "stocktake", _("stocktake")

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


class Transfer(models.Model):
    """A transfer (调拨) of stock from one store to another; its moves are stores.services.transfers.

    requested → approved (the sending store's manager or HQ) → dispatched (the units leave the
    sender's shelf and are in transit on the lines) → received (counted per line at the receiver).
    A request or an approved transfer not yet sent may be cancelled.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        DISPATCHED = "dispatched", _("in transit")
        RECEIVED = "received", _("received")
        CANCELLED = "cancelled", _("cancelled")

    from_store = models.ForeignKey(
        Store, verbose_name=_("from store"), on_delete=models.PROTECT, related_name="transfers_out"
    )
    to_store = models.ForeignKey(Store, verbose_name=_("to store"), on_delete=models.PROTECT, related_name="transfers_in")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REQUESTED, db_index=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("approved by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("dispatched by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("received by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=~Q(from_store=F("to_store")), name="transfer_between_two_stores"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """What the ledger's movements of this transfer carry as their reference."""
        return f"TR{self.pk:06d}" if self.pk else "TR"


class TransferLine(models.Model):
    class Discrepancy(models.TextChoices):
        DAMAGED = "damaged", _("damaged in transit")
        MISSING = "missing", _("missing")
        MISCOUNTED = "miscounted", _("sender miscounted")
        EXTRA = "extra", _("more than sent")
        OTHER = "other", _("other")

    transfer = models.ForeignKey(Transfer, verbose_name=_("transfer"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(_("requested"))
    dispatched_quantity = models.PositiveIntegerField(_("sent"), default=0)
    received_quantity = models.PositiveIntegerField(_("received"), null=True, blank=True)
    discrepancy_reason = models.CharField(_("discrepancy"), max_length=12, choices=Discrepancy.choices, blank=True)
    discrepancy_note = models.CharField(_("discrepancy note"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("transfer line")
        verbose_name_plural = _("transfer lines")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["transfer", "variant"], name="transfer_line_unique_variant"),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="transfer_line_quantity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.transfer} · {self.variant_id} × {self.quantity}"

    @property
    def in_transit(self) -> int:
        """Units sent and not yet counted in at the receiving store."""
        return self.dispatched_quantity if self.received_quantity is None else 0

    @property
    def difference(self) -> int | None:
        return None if self.received_quantity is None else self.received_quantity - self.dispatched_quantity


class Stocktake(models.Model):
    """A count session (盘点) of one store, all SKUs or one category; its rules are stores.services.stocktakes.

    Opening it snapshots each row's on hand and the ledger position; a count is compared with the
    snapshot plus the movements since, up to when it was entered, so sales during the count do not
    show as losses.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("counting")
        APPLIED = "applied", _("applied")
        CANCELLED = "cancelled", _("cancelled")

    store = models.ForeignKey(Store, verbose_name=_("store"), on_delete=models.PROTECT, related_name="stocktakes")
    category = models.ForeignKey(
        "catalog.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+", help_text=_("Leave empty to count every SKU of the store."),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    # The last ledger entry when the snapshot was taken: "movements since" are those after it.
    snapshot_movement_id = models.BigIntegerField(_("ledger position at the snapshot"), default=0, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("opened by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    opened_at = models.DateTimeField(_("opened at"), auto_now_add=True, db_index=True)
    applied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("applied by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake")
        verbose_name_plural = _("stocktakes")
        ordering = ["-opened_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"ST{self.pk:06d}" if self.pk else "ST"


class StocktakeLine(models.Model):
    stocktake = models.ForeignKey(Stocktake, verbose_name=_("stocktake"), on_delete=models.CASCADE, related_name="lines")
    variant = models.ForeignKey("catalog.Variant", verbose_name=_("variant"), on_delete=models.PROTECT, related_name="+")
    snapshot_on_hand = models.IntegerField(_("on hand at the snapshot"), default=0)
    counted = models.PositiveIntegerField(_("counted"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"), null=True, blank=True)
    # The ledger position when the count was entered: movements up to here happened before the count.
    counted_movement_id = models.BigIntegerField(_("ledger position at the count"), null=True, blank=True)
    counted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("counted by"), null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    applied_change = models.IntegerField(_("applied change"), null=True, blank=True)

    class Meta:
        verbose_name = _("stocktake line")
        verbose_name_plural = _("stocktake lines")
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["stocktake", "variant"], name="stocktake_line_unique_variant")]

    def __str__(self) -> str:
        return f"{self.stocktake} · {self.variant_id}"


class ImportJob(models.Model):
    """One uploaded catalogue or stock file on its way through preview and application (stores/services/import_jobs.py).

    Kept in the database, not the cache, so a job and its preview outlive a
    Redis restart and any web process or worker sees the same state. The
    file itself sits in default storage at ``path`` until it is applied.
    """

    class Kind(models.TextChoices):
        PRODUCTS = "products", _("products, variants and prices")
        STOCK = "stock", _("stock counts per store")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        PREVIEWING = "previewing", _("checking the rows")
        PREVIEWED = "previewed", _("ready to apply")
        REFUSED = "refused", _("rows with errors")
        APPLYING = "applying", _("applying")
        APPLIED = "applied", _("applied")
        FAILED = "failed", _("failed")

    RUNNING = (Status.QUEUED, Status.PREVIEWING, Status.APPLYING)
    FINISHED = (Status.PREVIEWED, Status.REFUSED, Status.APPLIED, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.CASCADE, related_name="+"
    )
    # The stores a stock file may touch: the uploader's own (a manager's), fixed when it was uploaded.
    stores = models.ManyToManyField(Store, verbose_name=_("stores"), blank=True, related_name="+")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    filename = models.CharField(_("file name"), max_length=200)
    path = models.CharField(_("stored file"), max_length=255)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows checked"), default=0)
    # The preview: counts of what would be created / changed / left alone, and the first rows of each.
    summary = models.JSONField(_("preview summary"), default=dict, blank=True)
    changes = models.JSONField(_("changes"), default=list, blank=True)
    errors = models.JSONField(_("errors per row"), default=list, blank=True)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # When the running step (preview or application) was handed to the workers: a step still running long
    # after is one whose task was lost, and the catch-up queues it again (resume_stalled_import_jobs).
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["created_by", "-created_at"], name="importjob_by_user_recent")]
        constraints = [
            models.CheckConstraint(condition=Q(processed_rows__lte=F("total_rows")) | Q(total_rows=0),
                                   name="importjob_processed_within_total"),
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"

    @property
    def is_running(self) -> bool:
        return self.status in self.RUNNING

    @property
    def percent(self) -> int:
        return int(self.processed_rows * 100 / self.total_rows) if self.total_rows else 0
