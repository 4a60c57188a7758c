"""Exports: CSV and XLSX of every report, only the viewer's stores; long ranges as a background job only its owner downloads."""

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from analytics import exports, selectors
from analytics.models import ExportJob
from tests.analytics.facts_data import head_office, manager_of, two_stores_with_facts

pytestmark = pytest.mark.django_db
REPORTS = list(selectors.REPORTS)
# What a store manager may open: every report but head office's chain-wide ones (traffic has no store).
STORE_REPORTS = [name for name in REPORTS if name not in selectors.HQ_ONLY_REPORTS]


def export_url(name):
    return reverse("analytics:export", args=[name])


@pytest.mark.parametrize("name", STORE_REPORTS)
def test_every_report_exports_to_csv_with_only_the_managers_store(client, name):
    ours, _theirs = two_stores_with_facts(days=5)
    client.force_login(manager_of(ours))
    response = client.post(export_url(name), {"file_format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment;" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    list(csv.reader(io.StringIO(text)))  # parses as CSV
    assert "天河店" not in text and "别人的咖啡" not in text and "7777" not in text and "广东省" not in text


@pytest.mark.parametrize("name", REPORTS)
def test_every_report_exports_to_xlsx(client, name):
    _ours, _theirs = two_stores_with_facts(days=5)
    client.force_login(head_office())
    response = client.post(export_url(name), {"file_format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames


def test_the_xlsx_sales_export_holds_exact_numbers():
    ours, _theirs = two_stores_with_facts(days=3)
    yesterday = selectors.today() - timedelta(days=1)
    content = exports.render("sales", [ours.pk], yesterday, yesterday, period="day", hq=False, file_format="xlsx")
    sheet = load_workbook(io.BytesIO(content)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == yesterday.isoformat() and rows[1][4] == 100


def test_a_forged_store_in_an_export_is_a_404(client):
    ours, theirs = two_stores_with_facts(days=1)
    client.force_login(manager_of(ours))
    assert client.post(export_url("sales"), {"file_format": "csv", "store": theirs.pk}).status_code == 404
    assert client.get(export_url("sales")).status_code == 405


def test_a_long_range_export_runs_as_a_job_with_a_progress_page_and_a_download_for_its_owner_only(
        client, django_capture_on_commit_callbacks):
    ours, theirs = two_stores_with_facts(days=3)
    manager = manager_of(ours)
    client.force_login(manager)
    end = selectors.today() - timedelta(days=1)
    start = end - timedelta(days=exports.INLINE_EXPORT_DAYS + 10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(export_url("products"), {"file_format": "csv", "start": start, "end": end})
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("analytics:export-job", args=[job.pk])
    assert job.user == manager and job.params["store_ids"] == [ours.pk]

    waiting = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in waiting and "<progress" in waiting
    assert client.get(reverse("analytics:export-download", args=[job.pk])).status_code == 404

    for callback in callbacks:
        callback()  # the task runs eagerly in the tests
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.progress == 100
    done = client.get(reverse("analytics:export-job", args=[job.pk])).content.decode()
    assert 'http-equiv="refresh"' not in done and reverse("analytics:export-download", args=[job.pk]) in done
    download = client.get(reverse("analytics:export-download", args=[job.pk]))
    assert download.status_code == 200
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "我们的茶" in body and "别人的咖啡" not in body

    client.force_login(manager_of(theirs, username="other-manager"))
    assert client.get(reverse("analytics:export-job", args=[job.pk])).status_code == 404
    assert client.get(reverse("analytics:export-download", args=[job.pk])).status_code == 404


def test_running_an_export_job_twice_builds_its_file_once():
    ours, _theirs = two_stores_with_facts(days=1)
    manager = manager_of(ours)
    yesterday = selectors.today() - timedelta(days=1)
    job = ExportJob.objects.create(user=manager, report="sales", file_format="xlsx",
                                   params={"store_ids": [ours.pk], "start": yesterday.isoformat(),
                                           "end": yesterday.isoformat(), "period": "day", "hq": False})
    exports.run_export(job.pk)
    job.refresh_from_db()
    first = job.file.name
    exports.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.file.name == first


def test_an_export_job_drops_stores_the_owner_may_no_longer_see():
    ours, theirs = two_stores_with_facts(days=1)
    manager = manager_of(ours)
    yesterday = selectors.today() - timedelta(days=1)
    job = ExportJob.objects.create(user=manager, report="regions", file_format="csv",
                                   params={"store_ids": [ours.pk, theirs.pk], "start": yesterday.isoformat(),
                                           "end": yesterday.isoformat(), "period": "day", "hq": True})
    exports.run_export(job.pk)
    job.refresh_from_db()
    text = job.file.read().decode("utf-8-sig")
    assert "徐汇店" in text and "天河店" not in text


def test_asking_for_a_background_export_of_a_short_range_also_makes_a_job(client, django_capture_on_commit_callbacks):
    ours, _theirs = two_stores_with_facts(days=1)
    client.force_login(manager_of(ours))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(export_url("sales"), {"file_format": "xlsx", "background": "1"})
    assert response.status_code == 302
    assert ExportJob.objects.get().status == ExportJob.Status.DONE
