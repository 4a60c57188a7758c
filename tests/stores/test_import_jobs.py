"""Import jobs are database rows: their state outlives the cache, only their owner sees them, each step runs once."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Variant
from stores.models import ImportJob, Stock, StockMovement, StoreStaff
from stores.roles import assign_store_role
from stores.services import reserve_stock
from stores.services.import_jobs import confirm_import, job_for, run_apply, run_preview, start_import
from stores.tabular import write_csv
from tests.factories import CategoryFactory, StoreFactory, stocked_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

STOCK_HEADER = ["store", "sku", "on_hand"]


@pytest.fixture
def stores(db):
    return StoreFactory(code="xuhui", name="上海徐汇店"), StoreFactory(code="jingan", name="静安店")


@pytest.fixture
def managers(stores):
    from django.contrib.auth import get_user_model

    store_a, store_b = stores
    users = get_user_model().objects
    manager_a = users.create_user(username="manager-a", password="x")
    assign_store_role(user=manager_a, store=store_a, role=StoreStaff.Role.MANAGER)
    manager_b = users.create_user(username="manager-b", password="x")
    assign_store_role(user=manager_b, store=store_b, role=StoreStaff.Role.MANAGER)
    return manager_a, manager_b


def upload(client, rows, *, name="count.csv"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.post(reverse("storedata:home"), {
        "kind": "stock", "reason": "monthly count", "file": SimpleUploadedFile(name, write_csv(STOCK_HEADER, rows))})


def test_an_upload_is_an_import_job_row_with_its_preview_and_it_survives_the_cache_being_emptied(
    client, stores, managers
):
    store_a, _store_b = stores
    manager_a, _manager_b = managers
    variant = stocked_variant(store=store_a, on_hand=10, price=Decimal("10.00"))
    client.force_login(manager_a)

    response = upload(client, [["xuhui", variant.sku, "7"]])
    cache.clear()  # Redis restarted: the job does not live there

    job = ImportJob.objects.get()
    assert response.url == reverse("storedata:job", kwargs={"job_id": job.pk.hex})
    assert (job.created_by, job.kind, job.filename, job.status) == (manager_a, "stock", "count.csv", "previewed")
    assert list(job.stores.all()) == [store_a]
    assert (job.total_rows, job.processed_rows, job.error_count) == (1, 1, 0)
    assert job.summary == {"create": 0, "update": 1, "unchanged": 0}
    assert job.changes[0]["key"].endswith(variant.sku) and job.finished_at is not None
    page = client.get(response.url)
    assert page.status_code == 200 and "0 to create, 1 to change, 0 unchanged." in page.content.decode()
    assert Stock.objects.get(store=store_a, variant=variant).on_hand == 10  # the preview wrote nothing

    client.post(reverse("storedata:job-apply", kwargs={"job_id": job.pk.hex}))

    job.refresh_from_db()
    assert job.status == "applied"
    assert Stock.objects.get(store=store_a, variant=variant).on_hand == 7


def test_a_store_manager_never_sees_another_managers_job(client, stores, managers):
    store_a, store_b = stores
    manager_a, manager_b = managers
    variant = stocked_variant(store=store_a, on_hand=10, price=Decimal("10.00"))
    client.force_login(manager_a)
    upload(client, [["xuhui", variant.sku, "3"]])
    job = ImportJob.objects.get()
    client.force_login(manager_b)

    for name in ("storedata:job", "storedata:job-progress"):
        assert client.get(reverse(name, kwargs={"job_id": job.pk.hex})).status_code == 404
    client.post(reverse("storedata:job-apply", kwargs={"job_id": job.pk.hex}))
    assert job.filename not in client.get(reverse("storedata:home")).content.decode()

    job.refresh_from_db()
    assert job.status == "previewed"  # manager B's press applied nothing
    assert Stock.objects.get(store=store_a, variant=variant).on_hand == 10
    assert job_for(job.pk, user=manager_b) is None and job_for("not-a-uuid", user=manager_a) is None


def test_the_progress_bar_polls_the_jobs_state_as_json(client, stores, managers):
    store_a, _store_b = stores
    manager_a, _manager_b = managers
    variant = stocked_variant(store=store_a, on_hand=1, price=Decimal("10.00"))
    client.force_login(manager_a)
    upload(client, [["xuhui", variant.sku, "3"]])
    job = ImportJob.objects.get()
    ImportJob.objects.filter(pk=job.pk).update(status="previewing", processed_rows=1, total_rows=4)

    progress = client.get(reverse("storedata:job-progress", kwargs={"job_id": job.pk.hex})).json()
    page = client.get(reverse("storedata:job", kwargs={"job_id": job.pk.hex})).content.decode()

    assert progress == {"status": "previewing", "label": "checking the rows", "running": True, "processed": 1,
                        "total": 4, "percent": 25}
    assert 'data-import-progress="' in page and 'value="25"' in page
    assert "<noscript><meta http-equiv=\"refresh\"" in page  # without JavaScript the page reloads itself


def test_rows_with_errors_are_listed_and_the_job_cannot_be_applied(client, stores, managers):
    store_a, _store_b = stores
    manager_a, _manager_b = managers
    variant = stocked_variant(store=store_a, on_hand=1, price=Decimal("10.00"))
    client.force_login(manager_a)

    upload(client, [["xuhui", variant.sku, "5"], ["jingan", variant.sku, "5"], ["xuhui", "NO-SUCH", "x"]])

    job = ImportJob.objects.get()
    assert job.status == "refused" and job.error_count == 2
    assert [error["row"] for error in job.errors] == [3, 4]
    client.post(reverse("storedata:job-apply", kwargs={"job_id": job.pk.hex}), follow=True)
    job.refresh_from_db()
    assert job.status == "refused"
    assert Stock.objects.get(store=store_a, variant=variant).on_hand == 1  # never a partial import


def test_each_step_runs_once_however_often_its_task_or_button_runs(stores, managers):
    store_a, _store_b = stores
    manager_a, _manager_b = managers
    variant = stocked_variant(store=store_a, on_hand=10, price=Decimal("10.00"))
    job = start_import(kind="stock", data=write_csv(STOCK_HEADER, [["xuhui", variant.sku, "8"]]),
                       filename="c.csv", user=manager_a, store_ids=[store_a.pk], reason="count")
    assert ImportJob.objects.get(pk=job.pk).status == "previewed"

    run_preview(job_id=job.pk.hex)  # a repeated preview task finds it done
    confirm_import(job_id=job.pk, user=manager_a)
    confirm_import(job_id=job.pk, user=manager_a)
    run_apply(job_id=job.pk.hex)  # a repeated apply task finds it applied

    assert ImportJob.objects.get(pk=job.pk).status == "applied"
    assert StockMovement.objects.filter(reason=StockMovement.Reason.ADJUSTMENT, stock__variant=variant).count() == 1
    assert Stock.objects.get(store=store_a, variant=variant).on_hand == 8


def test_a_file_that_turned_wrong_after_its_preview_is_refused_whole_and_says_which_rows(stores, managers):
    store_a, _store_b = stores
    manager_a, _manager_b = managers
    first = stocked_variant(store=store_a, on_hand=1, price=Decimal("10.00"))
    second = stocked_variant(store=store_a, on_hand=10, price=Decimal("10.00"))
    job = start_import(kind="stock", data=write_csv(STOCK_HEADER, [["xuhui", first.sku, "9"],
                                                                   ["xuhui", second.sku, "2"]]),
                       filename="c.csv", user=manager_a, store_ids=[store_a.pk], reason="count")
    reserve_stock(store_id=store_a.pk, lines=[(second.pk, 5)], reference="web-1")  # sold online meanwhile

    confirm_import(job_id=job.pk, user=manager_a)

    job.refresh_from_db()
    assert job.status == "refused" and [error["row"] for error in job.errors] == [3]
    assert "Nothing was imported" in job.message
    assert Stock.objects.get(store=store_a, variant=first).on_hand == 1


def test_a_products_job_of_head_office_previews_and_applies(db):
    from django.contrib.auth import get_user_model

    CategoryFactory(name="水果", slug="fruit")
    head_office = get_user_model().objects.create_superuser(username="hq", password="x", email="hq@example.com")
    header = ["sku", "product", "product_slug", "category", "brand", "options", "price", "compare_at_price",
              "weight_grams", "is_active"]
    job = start_import(kind="products", data=write_csv(header, [["PEACH-1", "水蜜桃", "peach", "fruit", "", "", "9.90",
                                                                  "", "", ""]]),
                       filename="p.csv", user=head_office, store_ids=[])

    confirm_import(job_id=job.pk.hex, user=head_office)

    job.refresh_from_db()
    assert job.status == "applied" and job.summary["create"] == 1
    assert Variant.objects.filter(sku="PEACH-1").exists()


def test_a_job_whose_task_was_lost_is_queued_again_by_the_catch_up(stores, managers, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from stores.services import import_jobs

    store_a, _store_b = stores
    manager_a, _manager_b = managers
    variant = stocked_variant(store=store_a, on_hand=10, price=Decimal("10.00"))
    lost = []
    monkeypatch.setattr(import_jobs, "queue_task", lambda name, *args: lost.append(name))  # the broker is down
    job = start_import(kind="stock", data=write_csv(STOCK_HEADER, [["xuhui", variant.sku, "4"]]),
                       filename="c.csv", user=manager_a, store_ids=[store_a.pk], reason="count")
    assert ImportJob.objects.get(pk=job.pk).status == "queued"
    monkeypatch.undo()

    assert import_jobs.resume_stalled_import_jobs() == 0  # queued a moment ago: its task may still come
    ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now() - timedelta(minutes=3))
    assert import_jobs.resume_stalled_import_jobs() == 1

    job.refresh_from_db()
    assert lost == ["stores.tasks.preview_import_task"] and job.status == "previewed"
    assert import_jobs.resume_stalled_import_jobs() == 0
