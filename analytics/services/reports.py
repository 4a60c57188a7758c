"""The nightly sales report: each store's managers get their store's day, head office gets every store.

Once per (day, store): the ``SalesReport`` row is claimed by its unique
constraint (``get_or_create``) and, under its row lock, by ``queued_at``. The
run that sets ``queued_at`` writes the figures and the e-mail in the same
transaction: the e-mail is an orders ``OutboxMessage`` of kind
``sales_report`` (``queue_message``; ORDERS_OUTBOX_SENDERS names
``send_report_message`` as its sender). The outbox hands it to a worker after
commit, claims it before sending, and its periodic flush retries a failed
send, so each report is mailed exactly once, however often or on however
many workers the nightly task runs. The XLSX attachment is built from the
stored figures when the mail is sent; no file is kept.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import router, transaction
from django.db.models import Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from analytics.models import DailyProductFact, DailyStoreFact, SalesReport
from analytics.services.facts import build_facts, shop_today
from stores.models import Store, StoreStaff

logger = logging.getLogger(__name__)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FIGURES = ("orders", "units", "gross", "discount_tier", "discount_promotion", "discount_coupon", "points_value",
           "shipping", "net", "wallet_used", "refunds", "customers", "new_customers", "returning_customers")
MONEY = {"gross", "discount_tier", "discount_promotion", "discount_coupon", "points_value", "shipping", "net",
         "wallet_used", "refunds"}


def report_stores():
    return Store.objects.filter(kind=Store.Kind.STORE, is_active=True).order_by("code")


def manager_emails(store: Store) -> list[str]:
    rows = StoreStaff.objects.filter(store=store, role=StoreStaff.Role.MANAGER, user__is_active=True)
    return sorted({email for email in rows.values_list("user__email", flat=True) if email})


def head_office_emails() -> list[str]:
    configured = list(getattr(settings, "ANALYTICS_HQ_REPORT_EMAILS", []) or [])
    if configured:
        return configured
    users = get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    return sorted(set(users.values_list("email", flat=True)))


def _figures(rows) -> dict:
    totals = rows.aggregate(**{name: Sum(name) for name in FIGURES})
    return {name: str(totals[name] or 0) if name in MONEY else int(totals[name] or 0) for name in FIGURES}


def report_summary(*, day: dt.date, store: Store | None) -> dict:
    """The report's figures as JSON-safe values (money as strings, exact)."""
    # From the primary: the facts were built a moment ago, and a replica may not have them yet.
    primary = router.db_for_write(DailyStoreFact)
    facts = DailyStoreFact.objects.using(primary).filter(day=day)
    products = DailyProductFact.objects.using(primary).filter(day=day)
    if store is not None:
        facts, products = facts.filter(store=store), products.filter(store=store)
    summary = {"day": day.isoformat(), "store": store.name if store else "", "total": _figures(facts)}
    summary["channels"] = {
        channel: _figures(facts.filter(channel=channel)) for channel in DailyStoreFact.Channel.values
    }
    if store is None:
        summary["stores"] = [
            {"code": s.code, "name": s.name, **_figures(facts.filter(store=s))} for s in report_stores()
        ]
        # Warehouses get no report of their own, but their shipped online orders are in head office's total:
        # listed apart so the shops' sheet compares shops only and the total still adds up.
        warehouses = Store.objects.filter(kind=Store.Kind.WAREHOUSE, is_active=True).order_by("code")
        summary["warehouses"] = [
            {"code": s.code, "name": s.name, **_figures(facts.filter(store=s))} for s in warehouses
        ]
    top = (products.values("product__name").annotate(units_sold=Sum("units"), net_sales=Sum("net"))
           .order_by("-net_sales", "product__name")[:10])
    summary["top_products"] = [
        {"name": row["product__name"], "units": row["units_sold"], "net": str(row["net_sales"])} for row in top
    ]
    return summary


def report_workbook(summary: dict) -> bytes:
    """The summary as an XLSX workbook: figures by channel (and by store for head office), top products."""
    from decimal import Decimal

    from openpyxl import Workbook

    labels = {name: str(DailyStoreFact._meta.get_field(name).verbose_name) for name in FIGURES}

    def cell(name, value):
        return Decimal(value) if name in MONEY else value

    book = Workbook()
    sheet = book.active
    sheet.title = _("Sales")
    sheet.append([_("Sales report"), summary["day"], summary["store"] or _("All stores")])
    sheet.append([])
    sheet.append([_("Channel"), *labels.values()])
    channel_labels = dict(DailyStoreFact.Channel.choices)
    for channel, figures in summary["channels"].items():
        sheet.append([str(channel_labels[channel]), *(cell(n, figures[n]) for n in FIGURES)])
    sheet.append([_("Total"), *(cell(n, summary["total"][n]) for n in FIGURES)])
    if "stores" in summary:
        stores = book.create_sheet(_("Stores"))
        stores.append([_("Code"), _("Store"), *labels.values()])
        for row in summary["stores"]:
            stores.append([row["code"], row["name"], *(cell(n, row[n]) for n in FIGURES)])
    if summary.get("warehouses"):
        warehouses = book.create_sheet(_("Warehouses"))
        warehouses.append([_("Code"), _("Warehouse"), *labels.values()])
        for row in summary["warehouses"]:
            warehouses.append([row["code"], row["name"], *(cell(n, row[n]) for n in FIGURES)])
    products = book.create_sheet(_("Top products"))
    products.append([_("Product"), _("Units"), _("Net sales")])
    for row in summary["top_products"]:
        products.append([row["name"], row["units"], Decimal(row["net"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


REPORT_KIND = "sales_report"


def queue_report(*, day: dt.date, store: Store | None, recipients: list[str]) -> bool:
    """Write the (day, store) report's figures and its e-mail, once ever; False if another run already has.

    The report row and the outbox row commit together, so there is never a report marked done without its
    mail, nor a mail about figures that were rolled back. A second run (or a second worker at the same
    moment) waits on the row lock and then finds ``queued_at`` set.
    """
    with transaction.atomic():
        report, _created = SalesReport.objects.get_or_create(day=day, store=store)
        report = SalesReport.objects.select_for_update().get(pk=report.pk)
        if report.queued_at is not None:
            return False
        report.summary = report_summary(day=day, store=store)
        report.recipients = ", ".join(recipients)[:500]
        report.queued_at = timezone.now()
        report.save(update_fields=["summary", "recipients", "queued_at"])
        if recipients:
            from orders.services.notifications import queue_message

            queue_message(kind=REPORT_KIND, params={"report": report.pk, "to": recipients})
    return True


def report_file_name(report: SalesReport) -> str:
    return f"sales-{report.day.isoformat()}-{report.store.code if report.store else 'all'}.xlsx"


def send_report_message(message) -> None:
    """The outbox's sender for ``sales_report``: mail the stored figures with the workbook built now.

    Called by orders.services.notifications once the outbox has claimed the message; raising leaves the
    message to the outbox's retry. A report deleted since is skipped.
    """
    primary = router.db_for_write(SalesReport)  # written just before the outbox handed this over
    report = SalesReport.objects.using(primary).select_related("store").filter(pk=message.params.get("report")).first()
    recipients = list(message.params.get("to") or [])
    if report is None or not recipients:
        return
    where = report.store.name if report.store else _("all stores")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Sales report %(day)s: %(where)s") % {"day": report.day.isoformat(), "where": where}
        total = report.summary.get("total", {})
        body = _("Orders: %(orders)s\nNet sales: %(net)s\nRefunds: %(refunds)s\n\nThe spreadsheet is attached.") % {
            "orders": total.get("orders", 0), "net": total.get("net", "0.00"), "refunds": total.get("refunds", "0.00")}
        workbook = report_workbook(report.summary)
    email = EmailMessage(subject=subject, body=body, to=recipients)
    email.attach(report_file_name(report), workbook, XLSX)
    email.send()
    SalesReport.objects.filter(pk=report.pk).update(sent_at=timezone.now())


def send_sales_reports(*, day: dt.date) -> list[SalesReport]:
    """Build ``day``'s facts, then queue each store's report for its managers and the all-stores one for HQ."""
    build_facts(first_day=day)
    queued = []
    for store in report_stores():
        if queue_report(day=day, store=store, recipients=manager_emails(store)):
            queued.append(SalesReport.objects.get(day=day, store=store))
    if queue_report(day=day, store=None, recipients=head_office_emails()):
        queued.append(SalesReport.objects.get(day=day, store__isnull=True))
    return queued


def days_due(*, today: dt.date | None = None) -> list[dt.date]:
    """Yesterday, and the nights missed since the last head-office report (at most a week back)."""
    yesterday = (today or shop_today()) - dt.timedelta(days=1)
    limit = yesterday - dt.timedelta(days=int(getattr(settings, "ANALYTICS_REPORT_CATCH_UP_DAYS", 7)) - 1)
    last = (SalesReport.objects.filter(store__isnull=True, queued_at__isnull=False, day__lte=yesterday)
            .order_by("-day").values_list("day", flat=True).first())
    first = max(limit, last + dt.timedelta(days=1)) if last else yesterday
    # A report row left unqueued (a run that died between making it and queueing) is due again; a queued
    # mail that failed to send is the outbox's to retry, not ours.
    unsent = set(SalesReport.objects.filter(queued_at__isnull=True, day__gte=limit, day__lte=yesterday)
                 .values_list("day", flat=True))
    days = {first + dt.timedelta(days=n) for n in range((yesterday - first).days + 1)} | unsent
    return sorted(days)


def send_due_reports(*, today: dt.date | None = None) -> list[dt.date]:
    days = days_due(today=today)
    for day in days:
        send_sales_reports(day=day)
    return days
