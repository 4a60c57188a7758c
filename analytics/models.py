"""Facts the dashboards and reports read, built from orders by idempotent upserts; traffic; nightly reports.

Every fact row is keyed by its day (in the shop's time zone, Asia/Shanghai)
and its store (and channel or product), with a unique constraint, so a day
rebuilt twice — or twice at once — leaves one row with the same figures.
Dashboards and reports read these tables, never the orders.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def money_field(verbose_name, **kwargs):
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, default=Decimal("0.00"), **kwargs)


class StoreFigures(models.Model):
    """The figures of one store in one channel over a stretch of time (a day, or a month of days summed)."""

    class Channel(models.TextChoices):
        DELIVERY = "delivery", _("online delivery")
        PICKUP = "pickup", _("pick-up")
        COUNTER = "counter", _("store counter")

    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    units = models.PositiveIntegerField(_("units"), default=0)
    gross = money_field(_("gross sales"))
    discount_tier = money_field(_("member discounts"))
    discount_promotion = money_field(_("promotion discounts"))
    discount_coupon = money_field(_("coupon discounts"))
    points_value = money_field(_("paid with points"))
    shipping = money_field(_("shipping"))
    net = money_field(_("net sales"))
    wallet_used = money_field(_("paid from stored value"))
    refunds = money_field(_("refunds"))
    refunded_orders = models.PositiveIntegerField(_("orders refunded"), default=0)
    customers = models.PositiveIntegerField(_("customers"), default=0)
    new_customers = models.PositiveIntegerField(_("new customers"), default=0)
    returning_customers = models.PositiveIntegerField(_("returning customers"), default=0)
    built_at = models.DateTimeField(_("built at"), auto_now=True)

    class Meta:
        abstract = True

    @property
    def average_order_value(self) -> Decimal:
        return (self.net / self.orders).quantize(Decimal("0.01")) if self.orders else Decimal("0.00")


# The columns a roll-up sums; every one of StoreFigures' counts and amounts.
STORE_FIGURES = ("orders", "units", "gross", "discount_tier", "discount_promotion", "discount_coupon", "points_value",
                 "shipping", "net", "wallet_used", "refunds", "refunded_orders", "customers", "new_customers",
                 "returning_customers")


class DailyStoreFact(StoreFigures):
    """One store's day in one channel (online delivery, pick-up, counter)."""

    day = models.DateField(_("day"))

    class Meta:
        verbose_name = _("daily store figures")
        verbose_name_plural = _("daily store figures")
        ordering = ["-day", "store", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["day", "store", "channel"], name="daily_store_fact_once"),
        ]
        indexes = [models.Index(fields=["store", "day"], name="daily_store_fact_store_day")]


class MonthlyStoreFact(StoreFigures):
    """A store's calendar month in one channel: the sum of its DailyStoreFact rows, kept by the same build.

    Dashboards over long ranges read whole months here and only the partial months at the edges from the
    daily rows (a year is 12 rows per store and channel instead of 365). A customer counted on two days
    counts twice here as in the days' sum: these are the days' figures added up, nothing else.
    """

    month = models.DateField(_("month"), help_text=_("The first day of the month."))

    class Meta:
        verbose_name = _("monthly store figures")
        verbose_name_plural = _("monthly store figures")
        ordering = ["-month", "store", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["month", "store", "channel"], name="monthly_store_fact_once"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="monthly_store_fact_first_of_month"),
        ]
        indexes = [models.Index(fields=["store", "month"], name="monthly_store_fact_store_month")]


class DailyProductFact(models.Model):
    """One product's day in one store: units sold and refunded, gross and net."""

    day = models.DateField(_("day"))
    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(
        "catalog.Product", verbose_name=_("product"), on_delete=models.CASCADE, related_name="+",
    )
    units = models.PositiveIntegerField(_("units"), default=0)
    orders = models.PositiveIntegerField(_("orders"), default=0)
    gross = money_field(_("gross sales"))
    net = money_field(_("net sales"))
    refunded_units = models.PositiveIntegerField(_("units refunded"), default=0)
    refunds = money_field(_("refunds"))
    built_at = models.DateTimeField(_("built at"), auto_now=True)

    class Meta:
        verbose_name = _("daily product figures")
        verbose_name_plural = _("daily product figures")
        ordering = ["-day", "store", "product"]
        constraints = [
            models.UniqueConstraint(fields=["day", "store", "product"], name="daily_product_fact_once"),
        ]
        indexes = [models.Index(fields=["store", "day"], name="daily_product_fact_store_day")]


class DailyHourFact(models.Model):
    """Sales by hour of day (0–23, shop time) per store and day, for the 'sales by hour' charts."""

    day = models.DateField(_("day"))
    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    hour = models.PositiveSmallIntegerField(_("hour"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    net = money_field(_("net sales"))

    class Meta:
        verbose_name = _("hourly sales")
        verbose_name_plural = _("hourly sales")
        constraints = [
            models.UniqueConstraint(fields=["day", "store", "hour"], name="daily_hour_fact_once"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="daily_hour_fact_hour_range"),
        ]
        # One store's days (the store dashboard, a range's edge days): the unique index leads with the day.
        indexes = [models.Index(fields=["store", "day"], name="daily_hour_fact_store_day")]


class MonthlyHourFact(models.Model):
    """Sales by hour of day per store and calendar month: the sum of that month's DailyHourFact rows."""

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    store = models.ForeignKey("stores.Store", verbose_name=_("store"), on_delete=models.CASCADE, related_name="+")
    hour = models.PositiveSmallIntegerField(_("hour"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    net = money_field(_("net sales"))

    class Meta:
        verbose_name = _("monthly sales by hour")
        verbose_name_plural = _("monthly sales by hour")
        constraints = [
            models.UniqueConstraint(fields=["month", "store", "hour"], name="monthly_hour_fact_once"),
            models.CheckConstraint(condition=models.Q(hour__lte=23), name="monthly_hour_fact_hour_range"),
        ]


class FactBuild(models.Model):
    """When each day's facts were last built, so a catch-up finds days the scheduler missed."""

    day = models.DateField(_("day"), unique=True)
    built_at = models.DateTimeField(_("built at"), auto_now=True)
    orders_seen = models.PositiveIntegerField(_("orders seen"), default=0)

    class Meta:
        verbose_name = _("facts build")
        verbose_name_plural = _("facts builds")
        ordering = ["-day"]


class DailyTraffic(models.Model):
    """Page views and unique visitors per day, page type and source (utm source or referrer host)."""

    day = models.DateField(_("day"))
    page_type = models.CharField(_("page type"), max_length=20)
    source = models.CharField(_("source"), max_length=100, blank=True)
    page_views = models.PositiveIntegerField(_("page views"), default=0)
    visitors = models.PositiveIntegerField(_("unique visitors"), default=0)

    class Meta:
        verbose_name = _("daily traffic")
        verbose_name_plural = _("daily traffic")
        constraints = [
            models.UniqueConstraint(fields=["day", "page_type", "source"], name="daily_traffic_once"),
        ]


class DailyFunnel(models.Model):
    """Product views → add to cart → checkout started → paid, per day and source."""

    day = models.DateField(_("day"))
    source = models.CharField(_("source"), max_length=100, blank=True)
    product_views = models.PositiveIntegerField(_("product views"), default=0)
    add_to_cart = models.PositiveIntegerField(_("added to cart"), default=0)
    checkout_started = models.PositiveIntegerField(_("checkouts started"), default=0)
    paid = models.PositiveIntegerField(_("paid orders"), default=0)

    class Meta:
        verbose_name = _("daily funnel")
        verbose_name_plural = _("daily funnel")
        constraints = [models.UniqueConstraint(fields=["day", "source"], name="daily_funnel_once")]


class SalesReport(models.Model):
    """The nightly sales report of one day for one store (``store`` empty: all stores, for HQ)."""

    day = models.DateField(_("day"))
    store = models.ForeignKey(
        "stores.Store", verbose_name=_("store"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    summary = models.JSONField(_("figures"), default=dict)
    recipients = models.CharField(_("sent to"), max_length=500, blank=True)
    # Set in the transaction that wrote the figures and the outgoing e-mail (orders' outbox): the claim that
    # makes the report once per (day, store). sent_at is when the outbox's sender actually mailed it.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sales report")
        verbose_name_plural = _("sales reports")
        ordering = ["-day", "store"]
        constraints = [
            models.UniqueConstraint(fields=["day", "store"], name="sales_report_once_per_store_day"),
            models.UniqueConstraint(fields=["day"], condition=models.Q(store__isnull=True),
                                    name="sales_report_once_per_day_for_hq"),
        ]


class ExportJob(models.Model):
    """A large report export run by a Celery task: its progress and, when done, the file to download."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+",
    )
    report = models.CharField(_("report"), max_length=40)
    params = models.JSONField(_("filters"), default=dict)
    file_format = models.CharField(_("format"), max_length=4, default="xlsx")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    progress = models.PositiveSmallIntegerField(_("progress %"), default=0)
    file = models.FileField(_("file"), upload_to="exports/", blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        ordering = ["-created_at"]
