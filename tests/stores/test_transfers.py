"""Transfers (调拨): request → approve → dispatch → receive, in the ledger, never selling reserved units."""

import threading

import pytest
from django.db import connection

from stores.models import Stock, StockMovement, StoreStaff, Transfer, TransferLine
from stores.services import reserve_stock
from stores.exceptions import OutOfStock
from stores.services.transfers import (
    TransferError,
    approve_transfer,
    available_steps,
    cancel_transfer,
    dispatch_transfer,
    receive_transfer,
    request_transfer,
)
from tests.factories import StoreFactory, stocked_variant
from tests.stores.staff import store_person

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
M, C = StoreStaff.Role.MANAGER, StoreStaff.Role.CLERK


@pytest.fixture
def sender(db):
    return StoreFactory(code="jingan", name="静安店")


@pytest.fixture
def receiver(db):
    return StoreFactory(code="xuhui", name="徐汇店")


def row(store, variant):
    return Stock.objects.get(store=store, variant=variant)


def approved(sender, receiver, variant, quantity, by):
    transfer = request_transfer(from_store_id=sender.pk, to_store_id=receiver.pk, lines=[(variant.pk, quantity)], by=by)
    return approve_transfer(transfer_id=transfer.pk, by=by)


def test_a_transfer_moves_stock_through_transit_and_every_step_is_in_the_ledger(sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=10)
    clerk_there = store_person("clerk-to", stores=[receiver])
    manager_here = store_person("manager-from", stores=[sender], role=M)

    transfer = request_transfer(from_store_id=sender.pk, to_store_id=receiver.pk, lines=[(variant.pk, 4)], by=clerk_there)
    approve_transfer(transfer_id=transfer.pk, by=manager_here)
    dispatch_transfer(transfer_id=transfer.pk, by=manager_here)
    line = TransferLine.objects.get(transfer=transfer)
    in_transit, sender_left = line.in_transit, row(sender, variant).on_hand
    receive_transfer(transfer_id=transfer.pk, by=clerk_there, counts={line.pk: 4})

    transfer.refresh_from_db()
    assert (in_transit, sender_left) == (4, 6)
    assert transfer.status == Transfer.Status.RECEIVED and row(receiver, variant).on_hand == 4
    reasons = list(StockMovement.objects.filter(reference=transfer.reference).order_by("pk")
                   .values_list("reason", "on_hand_change"))
    assert reasons == [("transfer_out", -4), ("transfer_in", 4)]


def test_only_the_sending_stores_manager_or_head_office_approves(sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=10)
    clerk_from = store_person("clerk-from", stores=[sender])
    manager_to = store_person("manager-to", stores=[receiver], role=M)
    transfer = request_transfer(from_store_id=sender.pk, to_store_id=receiver.pk, lines=[(variant.pk, 1)], by=manager_to)

    for person in (clerk_from, manager_to):
        with pytest.raises(TransferError):
            approve_transfer(transfer_id=transfer.pk, by=person)
    approve_transfer(transfer_id=transfer.pk, by=admin_user)

    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.APPROVED
    assert "approve" not in available_steps(transfer, clerk_from)


def test_dispatch_never_sends_units_reserved_for_online_orders(sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=5)
    reserve_stock(store_id=sender.pk, lines=[(variant.pk, 3)], reference="ONLINE1")
    transfer = approved(sender, receiver, variant, 3, admin_user)

    with pytest.raises(TransferError, match="2 free to send"):
        dispatch_transfer(transfer_id=transfer.pk, by=admin_user)

    assert (row(sender, variant).on_hand, row(sender, variant).reserved) == (5, 3)
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.APPROVED


def test_a_short_delivery_is_received_with_its_reason_and_only_the_counted_units_arrive(sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=10)
    transfer = approved(sender, receiver, variant, 5, admin_user)
    dispatch_transfer(transfer_id=transfer.pk, by=admin_user)
    line = transfer.lines.get()

    with pytest.raises(TransferError, match="give the reason"):
        receive_transfer(transfer_id=transfer.pk, by=admin_user, counts={line.pk: 4})
    receive_transfer(transfer_id=transfer.pk, by=admin_user, counts={line.pk: 4},
                     reasons={line.pk: (TransferLine.Discrepancy.DAMAGED, "箱子压坏")})

    line.refresh_from_db()
    assert (line.received_quantity, line.difference, line.discrepancy_reason) == (4, -1, "damaged")
    assert row(receiver, variant).on_hand == 4 and row(sender, variant).on_hand == 5


def test_a_cancelled_request_moves_nothing_and_cannot_be_dispatched(sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=10)
    transfer = approved(sender, receiver, variant, 2, admin_user)

    cancel_transfer(transfer_id=transfer.pk, by=admin_user)
    with pytest.raises(TransferError, match="cancelled"):
        dispatch_transfer(transfer_id=transfer.pk, by=admin_user)

    assert row(sender, variant).on_hand == 10


def test_a_transfer_to_the_same_store_is_refused(sender, admin_user):
    variant = stocked_variant(store=sender, on_hand=1)

    with pytest.raises(TransferError):
        request_transfer(from_store_id=sender.pk, to_store_id=sender.pk, lines=[(variant.pk, 1)], by=admin_user)


@pytest.mark.django_db(transaction=True)
def test_a_transfer_dispatched_while_the_same_units_are_reserved_online_never_oversells(sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=5)
    transfer = approved(sender, receiver, variant, 5, admin_user)
    barrier = threading.Barrier(2)
    outcomes = {}

    def dispatch():
        try:
            barrier.wait()
            dispatch_transfer(transfer_id=transfer.pk, by=admin_user)
            outcomes["dispatch"] = "sent"
        except TransferError:
            outcomes["dispatch"] = "refused"
        finally:
            connection.close()

    def reserve():
        try:
            barrier.wait()
            reserve_stock(store_id=sender.pk, lines=[(variant.pk, 2)], reference="ONLINE-RACE")
            outcomes["reserve"] = "reserved"
        except OutOfStock:
            outcomes["reserve"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=dispatch), threading.Thread(target=reserve)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    stock = row(sender, variant)
    assert sorted(outcomes.values()) in (["refused", "sent"], ["refused", "reserved"])
    assert stock.reserved <= stock.on_hand
    if outcomes["dispatch"] == "sent":
        assert (stock.on_hand, stock.reserved) == (0, 0)
    else:
        assert (stock.on_hand, stock.reserved) == (5, 2)


# --- the admin pages ------------------------------------------------------------------------


def test_store_staff_get_a_404_for_another_stores_transfer(client, sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=3)
    transfer = approved(sender, receiver, variant, 1, admin_user)
    client.force_login(store_person("outsider", stores=[StoreFactory(code="pudong")], role=M))

    assert client.get(f"/admin/stores/transfer/{transfer.pk}/change/").status_code == 404
    assert client.post(f"/admin/stores/transfer/{transfer.pk}/step/dispatch/").status_code == 404
    assert client.get("/admin/stores/transfer/").context["cl"].result_count == 0


def test_a_clerk_receives_a_transfer_on_its_page(client, sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=3)
    transfer = approved(sender, receiver, variant, 2, admin_user)
    dispatch_transfer(transfer_id=transfer.pk, by=admin_user)
    line = transfer.lines.get()
    client.force_login(store_person("clerk", stores=[receiver]))

    page = client.get(f"/admin/stores/transfer/{transfer.pk}/change/")
    response = client.post(f"/admin/stores/transfer/{transfer.pk}/step/receive/",
                           {f"count_{line.pk}": "2", f"reason_{line.pk}": "", f"note_{line.pk}": ""})

    assert any("step/receive" in url for url, _label in page.context["transfer_steps"])
    assert response.status_code == 302 and row(receiver, variant).on_hand == 2


def test_a_clerk_cannot_approve_a_transfer_out_of_their_store(client, sender, receiver, admin_user):
    variant = stocked_variant(store=sender, on_hand=3)
    transfer = request_transfer(from_store_id=sender.pk, to_store_id=receiver.pk, lines=[(variant.pk, 1)], by=admin_user)
    client.force_login(store_person("clerk", stores=[sender]))

    response = client.post(f"/admin/stores/transfer/{transfer.pk}/step/approve/", {})

    assert response.status_code == 200 and response.context["form"].non_field_errors()
    assert Transfer.objects.get(pk=transfer.pk).status == Transfer.Status.REQUESTED


def test_the_request_page_is_prefilled_from_a_low_stock_alert_link(admin_client, sender, receiver):
    variant = stocked_variant(store=sender, on_hand=40)
    Stock.objects.create(store=receiver, variant=variant, on_hand=1)
    from stores.models import LowStockAlert

    LowStockAlert.objects.create(stock=row(receiver, variant), available=1, threshold=5)
    alerts = admin_client.get("/admin/stores/lowstockalert/").content.decode()
    link = alerts.split('href="/admin/stores/transfer/request/?')[1].split('"')[0].replace("&amp;", "&")
    form = admin_client.get(f"/admin/stores/transfer/request/?{link}").context["form"]
    response = admin_client.post("/admin/stores/transfer/request/", {
        "from_store": form.initial["from_store"], "to_store": form.initial["to_store"], "lines": form.initial["lines"],
    })

    transfer = Transfer.objects.get()
    assert response.status_code == 302
    assert (transfer.from_store, transfer.to_store) == (sender, receiver)
    assert transfer.lines.get().variant == variant and transfer.lines.get().quantity == 9
