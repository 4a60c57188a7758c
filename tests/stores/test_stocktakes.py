"""Stocktakes (盘点): counts against the snapshot plus the movements since, applied once as ledger adjustments."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.models import Category
from stores.models import Stock, StockMovement, Stocktake, StoreStaff
from stores.services import deduct_stock, reserve_stock
from stores.services.stocktakes import (
    StocktakeError,
    apply_stocktake,
    import_counts,
    open_stocktake,
    parse_counts_csv,
    record_count,
    variances,
)
from tests.factories import CategoryFactory, StoreFactory, stocked_variant
from tests.stores.staff import store_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
M = StoreStaff.Role.MANAGER


@pytest.fixture
def store(db):
    return StoreFactory(code="xuhui", name="徐汇店")


def on_hand(store, variant):
    return Stock.objects.get(store=store, variant=variant).on_hand


def test_the_variance_is_the_count_less_the_snapshot_and_shows_its_value_at_the_price(store, admin_user):
    variant = stocked_variant(store=store, on_hand=10, price=Decimal("12.50"))
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)

    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=8, by=admin_user)

    (row,) = variances(stocktake)
    assert (row.expected, row.units, row.value) == (10, -2, Decimal("-25.00"))


def test_a_sale_during_the_count_is_not_taken_for_a_loss(store, admin_user):
    variant = stocked_variant(store=store, on_hand=10)
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 3)], reference="P1")
    deduct_stock(store_id=store.pk, lines=[(variant.pk, 3)], reference="P1")  # picked up while staff count

    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=7, by=admin_user)
    apply_stocktake(stocktake_id=stocktake.pk, by=admin_user)

    assert variances(stocktake)[0].units == 0
    assert on_hand(store, variant) == 7
    assert not StockMovement.objects.filter(reason="stocktake").exists()


def test_a_sale_after_the_count_is_kept_when_the_variance_is_applied(store, admin_user):
    variant = stocked_variant(store=store, on_hand=10)
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)
    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=9, by=admin_user)  # one missing
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="P2")
    deduct_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="P2")

    apply_stocktake(stocktake_id=stocktake.pk, by=admin_user)

    assert on_hand(store, variant) == 7  # 10 − 1 missing − 2 sold after the count


def test_applying_twice_applies_once(store, admin_user):
    variant = stocked_variant(store=store, on_hand=10)
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)
    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=12, by=admin_user)

    apply_stocktake(stocktake_id=stocktake.pk, by=admin_user)
    apply_stocktake(stocktake_id=stocktake.pk, by=admin_user)

    assert on_hand(store, variant) == 12
    assert StockMovement.objects.filter(reason="stocktake", reference=stocktake.reference).count() == 1
    assert Stocktake.objects.get(pk=stocktake.pk).status == Stocktake.Status.APPLIED


def test_scans_add_one_each_and_a_typed_count_replaces_them(store, admin_user):
    variant = stocked_variant(store=store, on_hand=4)
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)

    for _scan in range(3):
        record_count(stocktake_id=stocktake.pk, sku=variant.sku, add=1, by=admin_user)
    scanned = stocktake.lines.get().counted
    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=5, by=admin_user)

    assert (scanned, stocktake.lines.get().counted) == (3, 5)


def test_a_category_count_covers_only_that_category(store, admin_user):
    shoes = CategoryFactory(name="鞋")
    shoe = stocked_variant(store=store, on_hand=2, category=shoes)
    shirt = stocked_variant(store=store, on_hand=2)
    stocktake = open_stocktake(store_id=store.pk, category=Category.objects.get(pk=shoes.pk), by=admin_user)

    with pytest.raises(StocktakeError, match="not in the category"):
        record_count(stocktake_id=stocktake.pk, sku=shirt.sku, count=1, by=admin_user)

    assert list(stocktake.lines.values_list("variant_id", flat=True)) == [shoe.pk]


def test_a_csv_with_an_unknown_sku_imports_nothing(store, admin_user):
    variant = stocked_variant(store=store, on_hand=4)
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)
    rows, errors = parse_counts_csv(f"sku,count\n{variant.sku},3\nNOPE,1\n".encode())

    with pytest.raises(StocktakeError, match="NOPE"):
        import_counts(stocktake_id=stocktake.pk, rows=rows, by=admin_user)

    assert errors == [] and stocktake.lines.get().counted is None


def test_a_bad_csv_row_is_reported_by_its_number():
    rows, errors = parse_counts_csv(b"sku,count\nA1,three\n")

    assert rows == [] and errors == ["Row 2: write the SKU code and a whole count."]


def test_a_clerk_counts_but_only_a_manager_applies(store):
    variant = stocked_variant(store=store, on_hand=4)
    clerk = store_person("clerk", stores=[store])
    manager = store_person("manager", stores=[store], role=M)
    stocktake = open_stocktake(store_id=store.pk, by=clerk)
    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=3, by=clerk)

    with pytest.raises(StocktakeError):
        apply_stocktake(stocktake_id=stocktake.pk, by=clerk)
    apply_stocktake(stocktake_id=stocktake.pk, by=manager)

    assert on_hand(store, variant) == 3


def test_a_count_below_what_is_reserved_is_not_applied(store, admin_user):
    variant = stocked_variant(store=store, on_hand=4)
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 3)], reference="P3")
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)
    record_count(stocktake_id=stocktake.pk, sku=variant.sku, count=1, by=admin_user)

    with pytest.raises(StocktakeError, match="reserved"):
        apply_stocktake(stocktake_id=stocktake.pk, by=admin_user)

    assert on_hand(store, variant) == 4 and Stocktake.objects.get(pk=stocktake.pk).status == Stocktake.Status.OPEN


# --- the admin pages ------------------------------------------------------------------------


def test_store_staff_get_a_404_for_another_stores_stocktake(client, store, admin_user):
    stocked_variant(store=store, on_hand=1)
    stocktake = open_stocktake(store_id=store.pk, by=admin_user)
    client.force_login(store_person("outsider", stores=[StoreFactory(code="pudong")], role=M))

    assert client.get(f"/admin/stores/stocktake/{stocktake.pk}/count/").status_code == 404
    assert client.post(f"/admin/stores/stocktake/{stocktake.pk}/apply/").status_code == 404
    assert client.get(f"/admin/stores/stocktake/{stocktake.pk}/change/").status_code == 404


def test_a_clerk_uploads_counts_and_sees_the_variance_on_the_sheet(client, store, admin_user):
    variant = stocked_variant(store=store, on_hand=6, price=Decimal("10.00"))
    clerk = store_person("clerk", stores=[store])
    client.force_login(clerk)
    opened = client.post("/admin/stores/stocktake/open/", {"store": store.pk, "category": "", "note": ""})
    stocktake = Stocktake.objects.get()

    client.post(f"/admin/stores/stocktake/{stocktake.pk}/upload/",
                {"file": SimpleUploadedFile("counts.csv", f"{variant.sku},4\n".encode(), content_type="text/csv")})
    sheet = client.get(f"/admin/stores/stocktake/{stocktake.pk}/count/")
    refused = client.post(f"/admin/stores/stocktake/{stocktake.pk}/apply/")

    assert opened.status_code == 302
    assert sheet.context["totals"]["units"] == -2 and sheet.context["totals"]["value"] == Decimal("-20.00")
    assert sheet.context["can_apply"] is False
    assert refused.status_code == 302 and on_hand(store, variant) == 6
