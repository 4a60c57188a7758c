"""The stock back office: receipts and adjustments go through the services and land in the ledger."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from stores.models import LowStockAlert, Stock, StockMovement, StoreStaff
from stores.services import reserve_stock
from stores.tasks import check_low_stock_task
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db

RECEIVE = "/admin/stores/stock/receive/"
STOCK_LIST = "/admin/stores/stock/"


@pytest.fixture
def store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店")


@pytest.fixture
def stock(store):
    variant = stocked_variant(store=store, on_hand=10)
    return Stock.objects.get(store=store, variant=variant)


def adjust_url(stock):
    return f"/admin/stores/stock/{stock.pk}/adjust/"


def test_the_stock_list_links_to_receiving_stock(admin_client, stock):
    response = admin_client.get(STOCK_LIST)

    assert response.status_code == 200
    assert RECEIVE.encode() in response.content
    assert adjust_url(stock).encode() in response.content


def test_receiving_stock_adds_to_the_count_and_writes_the_ledger(admin_client, admin_user, stock, store):
    assert admin_client.get(RECEIVE).status_code == 200

    response = admin_client.post(RECEIVE, {
        "store": store.pk, "sku": f" {stock.variant.sku} ", "quantity": "5", "reference": "PO-2026-001",
    })

    assert response.status_code == 302
    stock.refresh_from_db()
    assert stock.on_hand == 15
    movement = StockMovement.objects.get(reference="PO-2026-001")
    assert (movement.reason, movement.on_hand_change, movement.created_by) == ("receipt", 5, admin_user)


def test_receiving_a_sku_for_the_first_time_in_a_store_creates_its_row(admin_client, stock):
    other = StoreFactory()

    admin_client.post(RECEIVE, {"store": other.pk, "sku": stock.variant.sku, "quantity": "2", "reference": ""})

    assert Stock.objects.get(store=other, variant=stock.variant).on_hand == 2


def test_receiving_an_unknown_sku_is_a_form_error(admin_client, store):
    response = admin_client.post(RECEIVE, {"store": store.pk, "sku": "NO-SUCH-SKU", "quantity": "5"})

    assert response.status_code == 200
    assert response.context["form"].errors["sku"]
    assert not StockMovement.objects.exists()


@pytest.mark.parametrize("quantity", ["0", "-3", "abc", "", "99999999999"])
def test_receiving_needs_a_positive_quantity(admin_client, stock, store, quantity):
    response = admin_client.post(RECEIVE, {"store": store.pk, "sku": stock.variant.sku, "quantity": quantity})

    assert response.status_code == 200
    assert response.context["form"].errors["quantity"]
    stock.refresh_from_db()
    assert stock.on_hand == 10


def test_a_valid_adjustment_writes_a_movement_with_the_reason_and_the_user(admin_client, admin_user, stock):
    assert admin_client.get(adjust_url(stock)).status_code == 200

    response = admin_client.post(adjust_url(stock), {"change": "-3", "note": "盘点短少 3 件"})

    assert response.status_code == 302
    stock.refresh_from_db()
    assert stock.on_hand == 7
    movement = StockMovement.objects.get(reason="adjustment")
    assert (movement.on_hand_change, movement.note, movement.created_by) == (-3, "盘点短少 3 件", admin_user)


def test_adjusting_below_what_is_reserved_is_a_form_error(admin_client, stock, store):
    reserve_stock(store_id=store.pk, lines=[(stock.variant_id, 8)], reference="ORDER-1")

    response = admin_client.post(adjust_url(stock), {"change": "-3", "note": "破损"})

    assert response.status_code == 200
    assert response.context["form"].errors["change"]
    stock.refresh_from_db()
    assert (stock.on_hand, stock.reserved) == (10, 8)
    assert not StockMovement.objects.filter(reason="adjustment").exists()


@pytest.mark.parametrize(("change", "note", "field"), [("0", "盘点", "change"), ("x", "盘点", "change"), ("2", "  ", "note")])
def test_an_adjustment_needs_a_nonzero_change_and_a_reason(admin_client, stock, change, note, field):
    response = admin_client.post(adjust_url(stock), {"change": change, "note": note})

    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not StockMovement.objects.filter(reason="adjustment").exists()


def test_the_stock_page_edits_the_threshold_but_never_the_counts(admin_client, stock):
    response = admin_client.post(
        f"/admin/stores/stock/{stock.pk}/change/", {"low_stock_threshold": "2", "on_hand": "999", "reserved": "5"}
    )

    assert response.status_code == 302
    stock.refresh_from_db()
    assert (stock.low_stock_threshold, stock.on_hand, stock.reserved) == (2, 10, 0)


def test_the_low_stock_filter_lists_rows_at_or_below_their_threshold(admin_client, store):
    low = Stock.objects.get(variant=stocked_variant(store=store, on_hand=5), store=store)
    reserved_down = Stock.objects.get(variant=stocked_variant(store=store, on_hand=8), store=store)
    reserve_stock(store_id=store.pk, lines=[(reserved_down.variant_id, 4)], reference="X")
    healthy = Stock.objects.get(variant=stocked_variant(store=store, on_hand=6), store=store)

    low_rows = admin_client.get(STOCK_LIST, {"low": "yes"}).context["cl"].result_list
    other_rows = admin_client.get(STOCK_LIST, {"low": "no"}).context["cl"].result_list

    assert set(low_rows) == {low, reserved_down}
    assert list(other_rows) == [healthy]


def test_staff_who_may_only_view_stock_are_refused_receipts_and_adjustments(client, stock, store):
    viewer = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    viewer.user_permissions.set(Permission.objects.filter(codename="view_stock"))
    client.force_login(viewer)

    assert client.get(STOCK_LIST).status_code == 200
    assert client.get(RECEIVE).status_code == 403
    assert client.post(RECEIVE, {"store": store.pk, "sku": stock.variant.sku, "quantity": "5"}).status_code == 403
    assert client.post(adjust_url(stock), {"change": "-1", "note": "x"}).status_code == 403
    stock.refresh_from_db()
    assert stock.on_hand == 10


def test_a_shopper_is_sent_to_the_admin_login(client, shopper, stock):
    client.force_login(shopper)

    for url in [RECEIVE, adjust_url(stock)]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")


def test_store_staff_are_added_on_the_store_page(admin_client, admin_user, store):
    prefix = "staff"
    response = admin_client.post(f"/admin/stores/store/{store.pk}/change/", {
        "name": store.name, "code": store.code, "kind": "store", "priority": "10", "is_active": "on",
        "is_pickup_enabled": "on", "is_delivery_source": "on",
        f"{prefix}-TOTAL_FORMS": "1", f"{prefix}-INITIAL_FORMS": "0",
        f"{prefix}-0-user": admin_user.pk, f"{prefix}-0-role": "manager",
    })

    assert response.status_code == 302
    assert StoreStaff.objects.get(store=store).role == StoreStaff.Role.MANAGER


def test_low_stock_alerts_are_listed_newest_first(admin_client, store):
    stocked_variant(store=store, on_hand=2)
    check_low_stock_task()

    response = admin_client.get("/admin/stores/lowstockalert/", {"stock__store__id__exact": store.pk})

    assert list(response.context["cl"].result_list) == list(LowStockAlert.objects.all())
    assert response.context["cl"].result_count == 1


@pytest.mark.parametrize(
    "url",
    [
        "/admin/stores/store/",
        "/admin/stores/store/add/",
        "/admin/stores/storestaff/",
        "/admin/stores/stock/?low=yes",
        "/admin/stores/stockmovement/",
        "/admin/stores/lowstockalert/",
    ],
)
def test_store_admin_pages_open(admin_client, stock, url):
    assert admin_client.get(url).status_code == 200


def test_the_stock_row_page_offers_the_adjustment(admin_client, stock):
    response = admin_client.get(f"/admin/stores/stock/{stock.pk}/change/")

    assert response.status_code == 200
    assert adjust_url(stock).encode() in response.content
