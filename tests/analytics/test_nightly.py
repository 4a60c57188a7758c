"""The nightly sales report: each store's managers get their store, head office all stores, once per (day, store).

The mail goes through orders' outbox (kind ``sales_report``): written with the report row, sent once by the
outbox's task after commit, retried by its flush.
"""

import datetime as dt
import io
import threading
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import connection
from openpyxl import load_workbook

from analytics.models import SalesReport
from analytics.services.facts import shop_today
from analytics.services.reports import days_due, send_due_reports, send_sales_reports
from orders.models import OutboxMessage
from orders.services.notifications import flush_outbox
from stores.models import StoreStaff
from tests.analytics.orders_for_facts import at, make_order, member, products
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 20)


@pytest.fixture
def chain():
    north, south = StoreFactory(name="北店"), StoreFactory(name="南店")
    for store, name in [(north, "north"), (south, "south")]:
        StoreStaff.objects.create(store=store, user=member(f"{name}-manager"), role=StoreStaff.Role.MANAGER)
        StoreStaff.objects.create(store=store, user=member(f"{name}-clerk"), role=StoreStaff.Role.CLERK)
    [variant] = products(1)
    make_order(user=member("buyer1"), store=north, variants=[variant], paid_at=at(DAY, 10))
    make_order(user=member("buyer2"), store=south, variants=[variant], paid_at=at(DAY, 11), quantities=[3])
    return north, south


def sent_to():
    return sorted((tuple(message.to), message.subject) for message in mail.outbox)


def test_each_stores_managers_get_their_own_store_and_head_office_gets_all_stores(
    chain, settings, django_capture_on_commit_callbacks
):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)
    by_recipient = {tuple(message.to): message for message in mail.outbox}
    assert set(by_recipient) == {("north-manager@example.com",), ("south-manager@example.com",), ("hq@example.com",)}
    north_book = load_workbook(io.BytesIO(by_recipient[("north-manager@example.com",)].attachments[0][1]))
    assert "南店" not in str([cell.value for row in north_book.worksheets[0].iter_rows() for cell in row])
    hq_book = load_workbook(io.BytesIO(by_recipient[("hq@example.com",)].attachments[0][1]))
    assert {row[1] for row in hq_book.worksheets[1].iter_rows(min_row=2, values_only=True)} == {"北店", "南店"}
    hq = SalesReport.objects.get(day=DAY, store__isnull=True)
    assert hq.summary["total"]["orders"] == 2 and hq.summary["total"]["net"] == "200.00"
    assert SalesReport.objects.get(day=DAY, store=chain[1]).summary["total"]["units"] == 3
    assert all(report.queued_at and report.sent_at for report in SalesReport.objects.all())
    messages = OutboxMessage.objects.filter(kind="sales_report")
    assert messages.count() == 3 and all(message.sent_at for message in messages)


def test_the_report_row_and_its_outbox_message_are_written_together_and_the_mail_waits_for_the_commit(chain, settings):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    send_sales_reports(day=DAY)  # inside the test's transaction: nothing is handed to a worker yet
    assert mail.outbox == []
    message = OutboxMessage.objects.get(kind="sales_report", params__to=["hq@example.com"])
    report = SalesReport.objects.get(day=DAY, store__isnull=True)
    assert message.params["report"] == report.pk and report.queued_at and report.sent_at is None

    assert flush_outbox() == 3  # the periodic flush sends what no worker got
    assert flush_outbox() == 0
    assert len(mail.outbox) == 3
    report.refresh_from_db()
    assert report.sent_at is not None


def test_a_rollback_after_queueing_leaves_neither_the_report_nor_its_mail(chain, settings):
    from django.db import transaction

    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    with pytest.raises(RuntimeError), transaction.atomic():
        send_sales_reports(day=DAY)
        raise RuntimeError("the run died")
    assert not SalesReport.objects.exists() and not OutboxMessage.objects.exists()


def test_running_the_report_twice_sends_each_report_once(chain, settings, django_capture_on_commit_callbacks):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)
        send_sales_reports(day=DAY)
    assert len(mail.outbox) == 3
    assert SalesReport.objects.filter(day=DAY).count() == 3


@pytest.mark.django_db(transaction=True)
def test_two_workers_at_once_send_each_report_once(chain, settings):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    errors = []

    def run():
        try:
            send_sales_reports(day=DAY)
        except Exception as err:  # noqa: BLE001 - shown by the assertion
            errors.append(err)
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert len(mail.outbox) == 3
    assert SalesReport.objects.filter(day=DAY).count() == 3
    assert OutboxMessage.objects.filter(kind="sales_report").count() == 3
    flush_outbox()
    assert len(mail.outbox) == 3


def test_a_failed_send_is_retried_by_the_outbox_flush_and_not_sent_twice(
    chain, settings, django_capture_on_commit_callbacks
):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    real_send = mail.EmailMessage.send

    def fail_for_hq(message, *args, **kwargs):
        if message.to == ["hq@example.com"]:
            raise OSError("mail server down")
        return real_send(message, *args, **kwargs)

    with mock.patch("django.core.mail.EmailMessage.send", fail_for_hq), \
            django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)  # the worker's failure is logged; the report stays queued
    hq_message = OutboxMessage.objects.get(kind="sales_report", params__to=["hq@example.com"])
    assert hq_message.sent_at is None and "mail server down" in hq_message.last_error
    assert SalesReport.objects.get(day=DAY, store__isnull=True).sent_at is None
    assert len(mail.outbox) == 2
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)  # the next night's run queues nothing again
    assert OutboxMessage.objects.filter(kind="sales_report").count() == 3
    assert flush_outbox() == 1
    assert flush_outbox() == 0
    assert sent_to().count((("hq@example.com",), mail.outbox[-1].subject)) == 1
    assert len(mail.outbox) == 3
    assert SalesReport.objects.get(day=DAY, store__isnull=True).sent_at is not None


def test_head_offices_report_lists_warehouses_on_their_own_sheet_and_warehouses_get_no_report(
    chain, settings, django_capture_on_commit_callbacks
):
    from stores.models import Store

    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    depot = StoreFactory(name="苏州仓", kind=Store.Kind.WAREHOUSE)
    [variant] = products(1)
    make_order(user=member("online-buyer"), store=depot, variants=[variant], paid_at=at(DAY, 15))
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)
    assert not SalesReport.objects.filter(store=depot).exists()
    hq = SalesReport.objects.get(day=DAY, store__isnull=True)
    assert sorted(row["name"] for row in hq.summary["stores"]) == ["北店", "南店"]
    assert [row["name"] for row in hq.summary["warehouses"]] == ["苏州仓"]
    assert hq.summary["total"]["orders"] == 3
    [hq_mail] = [message for message in mail.outbox if message.to == ["hq@example.com"]]
    book = load_workbook(io.BytesIO(hq_mail.attachments[0][1]))
    # Sales, Stores, Warehouses, Top products (the sheet names are translated into the shop's language).
    assert len(book.worksheets) == 4
    assert [row[1] for row in book.worksheets[2].iter_rows(min_row=2, values_only=True)] == ["苏州仓"]


def test_a_store_without_a_manager_gets_its_report_page_but_no_mail(settings, django_capture_on_commit_callbacks):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    lonely = StoreFactory(name="孤店")
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)
    report = SalesReport.objects.get(day=DAY, store=lonely)
    assert report.queued_at and report.recipients == ""
    assert [message.to for message in mail.outbox] == [["hq@example.com"]]


def test_head_office_defaults_to_superusers_without_the_setting(chain, settings, django_capture_on_commit_callbacks):
    settings.ANALYTICS_HQ_REPORT_EMAILS = []
    boss = member("boss")
    boss.is_superuser = True
    boss.save(update_fields=["is_superuser"])
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=DAY)
    assert ("boss@example.com",) in [tuple(message.to) for message in mail.outbox]


def test_a_missed_night_is_caught_up_on_the_next_run(chain, settings, django_capture_on_commit_callbacks):
    settings.ANALYTICS_HQ_REPORT_EMAILS = ["hq@example.com"]
    today = shop_today()
    with django_capture_on_commit_callbacks(execute=True):
        send_sales_reports(day=today - dt.timedelta(days=4))
    assert days_due(today=today) == [today - dt.timedelta(days=n) for n in (3, 2, 1)]
    with django_capture_on_commit_callbacks(execute=True):
        send_due_reports(today=today)
    assert days_due(today=today) == []
    assert SalesReport.objects.filter(store__isnull=True).count() == 4
    assert Decimal(SalesReport.objects.get(day=today - dt.timedelta(days=4), store__isnull=True).summary["total"]["net"]) == 0
