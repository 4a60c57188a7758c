"""The nightly sales report: each store's managers get their store's day, head office gets every store.

Once per (day, store): the ``SalesReport`` row is claimed by its unique
constraint (``get_or_create``), and the e-mail by a conditional update of
``sent_at`` (only the run that turns it from empty to a time sends). The mail
goes after commit; if sending fails, ``sent_at`` is emptied again so the next
run (or the task's retry) sends it, and a report sent once is never sent twice.
"""

from __future__ import annotations

import datetime as dt
import io
import logging

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.mail import EmailMessage
from django.db import transaction
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
    facts = DailyStoreFact.objects.filter(day=day)
    products = DailyProductFact.objects.filter(day=day)
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
    products = book.create_sheet(_("Top products"))
    products.append([_("Product"), _("Units"), _("Net sales")])
    for row in summary["top_products"]:
        products.append([row["name"], row["units"], Decimal(row["net"])])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def prepare_report(*, day: dt.date, store: Store | None) -> SalesReport:
    """The (day, store) report row, made once; its figures and workbook are written until it has been sent."""
    report, _created = SalesReport.objects.get_or_create(day=day, store=store)
    if report.sent_at is None:
        summary = report_summary(day=day, store=store)
        name = f"sales-{day.isoformat()}-{store.code if store else 'all'}.xlsx"
        with transaction.atomic():
            locked = SalesReport.objects.select_for_update().get(pk=report.pk)
            if locked.sent_at is None:
                locked.summary = summary
                locked.workbook.save(name, ContentFile(report_workbook(summary)), save=False)
                locked.save(update_fields=["summary", "workbook"])
            report = locked
    return report


def send_report(*, report: SalesReport, recipients: list[str]) -> bool:
    """Claim the report's sending (once ever) and mail it after commit; False if another run has it."""
    with transaction.atomic():
        claimed = SalesReport.objects.filter(pk=report.pk, sent_at__isnull=True).update(
            sent_at=timezone.now(), recipients=", ".join(recipients)[:500]
        )
        if claimed and recipients:
            transaction.on_commit(lambda: _deliver(report_id=report.pk, recipients=recipients))
    return bool(claimed)


def _deliver(*, report_id: int, recipients: list[str]) -> None:
    report = SalesReport.objects.select_related("store").get(pk=report_id)
    where = report.store.name if report.store else _("all stores")
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Sales report %(day)s: %(where)s") % {"day": report.day.isoformat(), "where": where}
        total = report.summary.get("total", {})
        body = _("Orders: %(orders)s\nNet sales: %(net)s\nRefunds: %(refunds)s\n\nThe spreadsheet is attached.") % {
            "orders": total.get("orders", 0), "net": total.get("net", "0.00"), "refunds": total.get("refunds", "0.00")}
    message = EmailMessage(subject=subject, body=body, to=recipients)
    report.workbook.open("rb")
    try:
        message.attach(report.workbook.name.rsplit("/", 1)[-1], report.workbook.read(), XLSX)
    finally:
        report.workbook.close()
    try:
        message.send()
    except Exception:
        # Not sent: give the claim back so the next run sends it (once).
        SalesReport.objects.filter(pk=report_id).update(sent_at=None)
        logger.exception("sales report %s not sent; will retry", report_id)
        raise


def send_sales_reports(*, day: dt.date) -> list[SalesReport]:
    """Build ``day``'s facts, then each store's report for its managers and the all-stores one for head office."""
    build_facts(first_day=day)
    sent = []
    for store in report_stores():
        report = prepare_report(day=day, store=store)
        if send_report(report=report, recipients=manager_emails(store)):
            sent.append(report)
    report = prepare_report(day=day, store=None)
    if send_report(report=report, recipients=head_office_emails()):
        sent.append(report)
    return sent


def days_due(*, today: dt.date | None = None) -> list[dt.date]:
    """Yesterday, and the nights missed since the last head-office report (at most a week back)."""
    yesterday = (today or shop_today()) - dt.timedelta(days=1)
    limit = yesterday - dt.timedelta(days=int(getattr(settings, "ANALYTICS_REPORT_CATCH_UP_DAYS", 7)) - 1)
    last = (SalesReport.objects.filter(store__isnull=True, sent_at__isnull=False, day__lte=yesterday)
            .order_by("-day").values_list("day", flat=True).first())
    first = max(limit, last + dt.timedelta(days=1)) if last else yesterday
    # A report whose sending failed is due again, whatever its day within the window.
    unsent = set(SalesReport.objects.filter(sent_at__isnull=True, day__gte=limit, day__lte=yesterday)
                 .values_list("day", flat=True))
    days = {first + dt.timedelta(days=n) for n in range((yesterday - first).days + 1)} | unsent
    return sorted(days)


def send_due_reports(*, today: dt.date | None = None) -> list[dt.date]:
    days = days_due(today=today)
    for day in days:
        send_sales_reports(day=day)
    return days
