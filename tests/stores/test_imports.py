"""Import and export of products and stock: preview first, errors per row, all or nothing, ledger adjustments."""

import time
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Product, Variant
from stores.models import Stock, StockMovement, StoreStaff
from stores.services import reserve_stock
from stores.services.imports import (
    ImportRefused, apply_products, apply_stock, export_table, plan_products, plan_stock,
)
from stores.tabular import read_table, write_csv, write_xlsx
from tests.factories import CategoryFactory, StoreFactory, stocked_variant

# Messages are compared in English, the source language.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


HEADER = ["sku", "product", "product_slug", "category", "brand", "options", "price", "compare_at_price",
          "weight_grams", "is_active"]


def table(header, rows, fmt="csv"):
    data = write_csv(header, rows) if fmt == "csv" else write_xlsx(header, rows, title="t")
    return read_table(data, f"file.{fmt}")


@pytest.fixture
def category(db):
    return CategoryFactory(name="水果", slug="fruit")


@pytest.fixture
def store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店")


def test_the_preview_lists_new_and_changed_skus_and_writes_nothing(category, store):
    existing = stocked_variant(store=store, on_hand=0, price=Decimal("10.00"))
    header, rows = table(HEADER, [
        [existing.sku, "", "", "", "", "", "12.50", "", "", ""],
        ["APPLE-1KG", "红富士苹果", "fuji", "fruit", "", "重量: 1kg", "19.90", "25.00", "1000", "yes"],
    ])

    plan = plan_products(header, rows)

    assert plan.errors == []
    assert plan.counts == {"create": 1, "update": 1, "unchanged": 0}
    assert "10.00 → 12.50" in plan.changes[0].details
    assert not Variant.objects.filter(sku="APPLE-1KG").exists()
    existing.refresh_from_db()
    assert existing.price == Decimal("10.00")


def test_applying_a_products_file_creates_products_with_options_and_updates_prices(category, store):
    existing = stocked_variant(store=store, on_hand=0, price=Decimal("10.00"))
    header, rows = table(HEADER, [
        [existing.sku, "", "", "", "", "", "12.50", "", "", "no"],
        ["APPLE-1KG", "红富士苹果", "fuji", "fruit", "", "重量: 1kg", "19.90", "25.00", "1000", "yes"],
        ["APPLE-2KG", "红富士苹果", "fuji", "fruit", "", "重量: 2kg", "35.00", "", "2000", ""],
    ], fmt="xlsx")

    apply_products(header, rows)

    existing.refresh_from_db()
    assert (existing.price, existing.is_active) == (Decimal("12.50"), False)
    product = Product.objects.get(slug="fuji")
    assert product.category == category and not product.is_published
    assert sorted(v.sku for v in product.variants.all()) == ["APPLE-1KG", "APPLE-2KG"]
    assert [ov.value for ov in Variant.objects.get(sku="APPLE-1KG").option_values.all()] == ["1kg"]
    assert product.price == Decimal("19.90")  # the from-price follows the cheapest variant


def test_every_bad_row_is_named_and_nothing_is_written(category):
    header, rows = table(HEADER, [
        ["OK-1", "好商品", "good", "fruit", "", "", "9.90", "", "", ""],
        ["BAD-1", "坏价格", "bad", "fruit", "", "", "abc", "", "", ""],
        ["BAD-2", "贵过原价", "bad2", "fruit", "", "", "10.00", "9.00", "", ""],
        ["BAD-3", "无类目", "bad3", "nowhere", "", "", "10.00", "", "", ""],
        ["OK-1", "重复", "dup", "fruit", "", "", "9.90", "", "", ""],
    ])

    plan = plan_products(header, rows)
    with pytest.raises(ImportRefused) as refused:
        apply_products(header, rows)

    assert [error.row for error in plan.errors] == [3, 4, 5, 6]
    assert len(refused.value.errors) == 4
    assert not Product.objects.exists()


def test_a_file_without_the_columns_or_not_a_table_is_an_error_not_a_crash(category):
    from stores.tabular import TableError

    assert plan_products(["name"], [{"name": "x"}]).errors[0].row == 1
    with pytest.raises(TableError):
        read_table(b"PK\x03\x04 broken", "file.xlsx")
    with pytest.raises(TableError):
        read_table(b"a,b", "file.txt")


def test_a_stock_import_adjusts_on_hand_in_the_ledger_and_keeps_reservations(store):
    variant = stocked_variant(store=store, on_hand=10, price=Decimal("10.00"))
    new = stocked_variant(store=store, on_hand=0, price=Decimal("5.00"))
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 3)], reference="web-1")
    header, rows = table(["store", "sku", "on_hand"], [["xuhui", variant.sku, "7"], ["xuhui", new.sku, "4"]])

    plan = apply_stock(header, rows, stores=[store], reason="monthly count", by=None, reference="import-1")

    assert plan.counts["update"] + plan.counts["create"] == 2
    row = Stock.objects.get(store=store, variant=variant)
    assert (row.on_hand, row.reserved) == (7, 3)
    assert Stock.objects.get(store=store, variant=new).on_hand == 4
    moves = StockMovement.objects.filter(reference="import-1", reason=StockMovement.Reason.ADJUSTMENT)
    assert sorted(m.on_hand_change for m in moves) == [-3, 4]
    assert {m.note for m in moves} == {"monthly count"}


def test_a_count_below_what_was_reserved_after_the_preview_refuses_the_whole_file(store):
    variant = stocked_variant(store=store, on_hand=10, price=Decimal("10.00"))
    other = stocked_variant(store=store, on_hand=1, price=Decimal("5.00"))
    header, rows = table(["store", "sku", "on_hand"], [["xuhui", other.sku, "9"], ["xuhui", variant.sku, "2"]])
    assert plan_stock(header, rows, stores=[store]).errors == []
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 5)], reference="web-2")  # sold online meanwhile

    with pytest.raises(ImportRefused) as refused:
        apply_stock(header, rows, stores=[store], reason="count", by=None, reference="import-2")

    assert "reserved" in refused.value.errors[0].message
    assert Stock.objects.get(store=store, variant=other).on_hand == 1  # no partial import
    assert not StockMovement.objects.filter(reference="import-2").exists()


def test_a_manager_cannot_import_stock_for_another_store(store):
    variant = stocked_variant(store=store, on_hand=1, price=Decimal("10.00"))
    elsewhere = StoreFactory(code="jingan", name="静安店")
    header, rows = table(["store", "sku", "on_hand"], [["xuhui", variant.sku, "5"]])

    assert "not one of yours" in plan_stock(header, rows, stores=[elsewhere]).errors[0].message


def test_an_export_reads_back_as_an_import_with_nothing_to_change(category, store):
    stocked_variant(store=store, on_hand=3, price=Decimal("12.30"))
    for fmt in ("csv", "xlsx"):
        data, filename, _type = export_table("products", fmt)
        header, rows = read_table(data, filename)
        assert plan_products(header, rows).counts == {"create": 0, "update": 0, "unchanged": 1}
        data, filename, _type = export_table("stock", fmt, stores=[store])
        header, rows = read_table(data, filename)
        assert plan_stock(header, rows, stores=[store]).counts["unchanged"] == 1


def test_ten_thousand_rows_preview_and_apply_in_under_a_minute(category, store, capsys):
    rows = [[f"BULK-{n:05d}", f"批量商品{n // 4}", f"bulk-{n // 4}", "fruit", "", f"规格: {n % 4}", "9.90", "",
             "500", "yes"] for n in range(10_000)]
    data = write_xlsx(HEADER, rows, title="products")
    started = time.monotonic()

    header, table_rows = read_table(data, "bulk.xlsx")
    assert plan_products(header, table_rows).counts["create"] == 10_000
    apply_products(header, table_rows)
    products_seconds = time.monotonic() - started

    stock_rows = [["xuhui", f"BULK-{n:05d}", str(n % 50)] for n in range(10_000)]
    started = time.monotonic()
    header, table_rows = read_table(write_csv(["store", "sku", "on_hand"], stock_rows), "stock.csv")
    plan_stock(header, table_rows, stores=[store])
    apply_stock(header, table_rows, stores=[store], reason="opening stock", by=None, reference="bulk")
    stock_seconds = time.monotonic() - started

    with capsys.disabled():
        print(f"\n10,000-row import: products (XLSX) {products_seconds:.1f}s, stock (CSV) {stock_seconds:.1f}s")
    assert Variant.objects.filter(sku__startswith="BULK-").count() == 10_000
    assert products_seconds < 60 and stock_seconds < 60


# --- the pages ---------------------------------------------------------------------------------


@pytest.fixture
def head_office(db):
    return get_user_model().objects.create_superuser(username="hq", password="x", email="hq@example.com")


def test_head_office_uploads_previews_and_applies_a_file_through_the_pages(client, head_office, category):
    client.force_login(head_office)
    upload = SimpleUploadedFile("p.csv", write_csv(HEADER, [["NEW-1", "新品", "new-1", "fruit", "", "", "8.80", "",
                                                             "", ""]]))

    response = client.post(reverse("storedata:home"), {"kind": "products", "file": upload, "reason": ""})

    job_url = response.url
    page = client.get(job_url)  # the preview ran inline (eager Celery in tests)
    assert page.context["job"].status == "previewed"
    assert 'http-equiv="refresh"' not in page.content.decode()
    assert not Variant.objects.filter(sku="NEW-1").exists()
    client.post(job_url + "apply/")
    client.post(job_url + "apply/")  # a second click applies nothing twice
    assert client.get(job_url).context["job"].status == "applied"
    assert Variant.objects.filter(sku="NEW-1").count() == 1


def test_a_clerk_may_not_import_and_a_broken_file_is_shown_as_an_error(client, head_office, store):
    clerk = get_user_model().objects.create_user(username="clerk", is_staff=True)
    StoreStaff.objects.create(store=store, user=clerk, role=StoreStaff.Role.CLERK)
    client.force_login(clerk)
    assert client.get(reverse("storedata:home")).status_code == 403
    assert client.get(reverse("storedata:export", kwargs={"kind": "products", "fmt": "csv"})).status_code == 403

    client.force_login(head_office)
    response = client.post(reverse("storedata:home"), {
        "kind": "stock", "reason": "count", "file": SimpleUploadedFile("s.xlsx", b"not a workbook")})
    page = client.get(response.url)
    assert page.status_code == 200 and page.context["job"].status == "failed"
    assert client.get(reverse("storedata:job", kwargs={"job_id": "nope"})).status_code == 404


def test_a_new_sku_named_after_an_existing_product_joins_that_product(category):
    header, rows = table(HEADER, [["PEAR-1", "香梨", "", "fruit", "", "", "6.00", "", "", ""]])
    apply_products(header, rows)
    header, rows = table(HEADER, [["PEAR-2", "香梨", "", "fruit", "", "", "11.00", "", "", ""]])

    apply_products(header, rows)

    assert Product.objects.get().variants.count() == 2
