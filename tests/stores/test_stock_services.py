"""Stock services: all-or-nothing reservations, a ledger row per change, where orders are served from, alerts."""

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from stores.exceptions import NotEnoughStock, OutOfStock
from stores.models import LowStockAlert, Stock, StockMovement, Store, StoreStaff
from stores.services import (
    adjust_stock,
    choose_delivery_store,
    deduct_stock,
    pickup_stores_with,
    receive_stock,
    release_stock,
    reserve_stock,
    return_to_stock,
)
from stores.tasks import check_low_stock_task
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店", priority=10)


@pytest.fixture
def warehouse(db):
    return StoreFactory(code="online", name="线上旗舰仓", kind=Store.Kind.WAREHOUSE, priority=50, is_pickup_enabled=False)


def figures(variant, store):
    stock = Stock.objects.get(variant=variant, store=store)
    return stock.on_hand, stock.reserved


# --- reserve, release, deduct, return ----------------------------------------------------


def test_a_reservation_takes_every_line_or_nothing(store):
    plenty = stocked_variant(store=store, on_hand=5)
    scarce = stocked_variant(store=store, on_hand=1)

    with pytest.raises(OutOfStock) as refused:
        reserve_stock(store_id=store.pk, lines=[(plenty.pk, 2), (scarce.pk, 2)], reference="A1")

    assert refused.value.shortages == {scarce.pk: 1}
    assert figures(plenty, store) == (5, 0)
    assert figures(scarce, store) == (1, 0)
    assert not StockMovement.objects.filter(reference="A1").exists()


def test_a_line_the_store_never_stocked_is_short_by_everything(store):
    stocked = stocked_variant(store=store, on_hand=5)
    elsewhere = stocked_variant(store=StoreFactory(), on_hand=5)

    with pytest.raises(OutOfStock) as refused:
        reserve_stock(store_id=store.pk, lines=[(stocked.pk, 1), (elsewhere.pk, 1)], reference="A2")

    assert refused.value.shortages == {elsewhere.pk: 0}
    assert figures(stocked, store) == (5, 0)


def test_a_reservation_merges_repeated_lines_and_writes_one_movement_per_row(store):
    variant = stocked_variant(store=store, on_hand=5)

    reserve_stock(store_id=store.pk, lines=[(variant.pk, 1), (variant.pk, 2)], reference="A3")

    assert figures(variant, store) == (5, 3)
    movement = StockMovement.objects.get(reference="A3")
    assert (movement.reason, movement.reserved_change, movement.on_hand_change) == ("reservation", 3, 0)


def test_releasing_gives_reserved_units_back_to_sale(store, admin_user):
    variant = stocked_variant(store=store, on_hand=5)
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 3)], reference="B1")

    release_stock(store_id=store.pk, lines=[(variant.pk, 3)], reference="B1", by=admin_user)

    assert figures(variant, store) == (5, 0)
    movement = StockMovement.objects.get(reference="B1", reason="release")
    assert (movement.reserved_change, movement.created_by) == (-3, admin_user)


def test_releasing_more_than_is_reserved_is_refused_and_changes_no_line(store):
    first = stocked_variant(store=store, on_hand=5)
    second = stocked_variant(store=store, on_hand=5)
    reserve_stock(store_id=store.pk, lines=[(first.pk, 2), (second.pk, 2)], reference="B2")

    with pytest.raises(NotEnoughStock):
        release_stock(store_id=store.pk, lines=[(first.pk, 2), (second.pk, 3)], reference="B2")

    assert figures(first, store) == (5, 2)
    assert figures(second, store) == (5, 2)
    assert not StockMovement.objects.filter(reference="B2", reason="release").exists()


def test_releasing_twice_is_refused_the_second_time(store):
    variant = stocked_variant(store=store, on_hand=5)
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="B3")
    release_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="B3")

    with pytest.raises(NotEnoughStock):
        release_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="B3")

    assert figures(variant, store) == (5, 0)


def test_deducting_turns_a_reservation_into_goods_gone(store):
    variant = stocked_variant(store=store, on_hand=5)
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="C1")

    deduct_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="C1")

    assert figures(variant, store) == (3, 0)
    movement = StockMovement.objects.get(reference="C1", reason="deduction")
    assert (movement.on_hand_change, movement.reserved_change) == (-2, -2)


def test_deducting_what_was_never_reserved_is_refused(store):
    variant = stocked_variant(store=store, on_hand=5)

    with pytest.raises(NotEnoughStock):
        deduct_stock(store_id=store.pk, lines=[(variant.pk, 1)], reference="C2")

    assert figures(variant, store) == (5, 0)


def test_returned_goods_go_back_on_the_shelf_even_in_a_store_without_a_row(store, admin_user):
    variant = stocked_variant(store=store, on_hand=1)
    other = StoreFactory()

    return_to_stock(store_id=store.pk, lines=[(variant.pk, 2)], reference="R1", by=admin_user)
    return_to_stock(store_id=other.pk, lines=[(variant.pk, 1)], reference="R2")

    assert figures(variant, store) == (3, 0)
    assert figures(variant, other) == (1, 0)
    movement = StockMovement.objects.get(reference="R1")
    assert (movement.reason, movement.on_hand_change, movement.created_by) == ("return", 2, admin_user)


def test_a_change_of_no_units_is_a_programming_error(store):
    variant = stocked_variant(store=store, on_hand=5)

    with pytest.raises(ValueError):
        reserve_stock(store_id=store.pk, lines=[(variant.pk, 0)], reference="Z")
    with pytest.raises(ValueError):
        receive_stock(store_id=store.pk, variant_id=variant.pk, quantity=0)


def test_an_adjustment_may_not_leave_less_on_hand_than_is_reserved(store):
    variant = stocked_variant(store=store, on_hand=5)
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 4)], reference="D1")
    stock = Stock.objects.get(variant=variant, store=store)

    with pytest.raises(NotEnoughStock):
        adjust_stock(stock_id=stock.pk, change=-2, note="盘点")
    adjust_stock(stock_id=stock.pk, change=-1, note="盘点")

    assert figures(variant, store) == (4, 4)


# --- where an order is served from -------------------------------------------------------


def test_delivery_orders_come_from_the_warehouse_first_then_by_store_priority(store, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=5)
    Stock.objects.create(store=store, variant=variant, on_hand=5)
    second_store = StoreFactory(priority=20)
    Stock.objects.create(store=second_store, variant=variant, on_hand=5)

    assert choose_delivery_store(lines=[(variant.pk, 1)]) == warehouse

    Stock.objects.filter(store=warehouse).update(reserved=5)
    assert choose_delivery_store(lines=[(variant.pk, 1)]) == store

    Stock.objects.filter(store=store).update(reserved=5)
    assert choose_delivery_store(lines=[(variant.pk, 1)]) == second_store


def test_by_priority_alone_a_store_may_serve_before_the_warehouse(settings, store, warehouse):
    settings.SHOP_DELIVERY_SOURCE_ORDER = "priority"
    variant = stocked_variant(store=warehouse, on_hand=5)
    Stock.objects.create(store=store, variant=variant, on_hand=5)

    assert choose_delivery_store(lines=[(variant.pk, 1)]) == store


def test_a_delivery_source_lacking_one_line_is_skipped(store, warehouse):
    both = stocked_variant(store=warehouse, on_hand=5)
    only_in_store = stocked_variant(store=store, on_hand=5)
    Stock.objects.create(store=store, variant=both, on_hand=5)

    assert choose_delivery_store(lines=[(both.pk, 1), (only_in_store.pk, 1)]) == store
    assert choose_delivery_store(lines=[(both.pk, 1), (only_in_store.pk, 6)]) is None


def test_inactive_stores_and_stores_that_do_not_ship_never_serve_delivery_orders(store, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=5)
    Stock.objects.create(store=store, variant=variant, on_hand=5)
    Store.objects.filter(pk=warehouse.pk).update(is_active=False)
    Store.objects.filter(pk=store.pk).update(is_delivery_source=False)

    assert choose_delivery_store(lines=[(variant.pk, 1)]) is None


def test_pickup_is_offered_by_active_pickup_stores_holding_every_line_in_priority_order(store, warehouse):
    first, second = stocked_variant(store=store, on_hand=3), stocked_variant(store=store, on_hand=3)
    nearer = StoreFactory(priority=5)
    for variant in (first, second):
        Stock.objects.create(store=nearer, variant=variant, on_hand=3)
        Stock.objects.create(store=warehouse, variant=variant, on_hand=30)
    lacking = StoreFactory(priority=1)
    Stock.objects.create(store=lacking, variant=first, on_hand=3)
    closed = StoreFactory(priority=2, is_pickup_enabled=False)
    Stock.objects.create(store=closed, variant=first, on_hand=3)
    Stock.objects.create(store=closed, variant=second, on_hand=3)

    assert pickup_stores_with(lines=[(first.pk, 2), (second.pk, 3)]) == [nearer, store]
    assert pickup_stores_with(lines=[(first.pk, 4)]) == []


# --- low-stock alerts ----------------------------------------------------------------------


def person(username, store, role):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password="x")
    StoreStaff.objects.create(store=store, user=user, role=role)
    return user


def test_a_low_stock_row_alerts_the_managers_once_per_crossing(store):
    manager = person("manager", store, StoreStaff.Role.MANAGER)
    person("clerk", store, StoreStaff.Role.CLERK)
    person("elsewhere", StoreFactory(), StoreStaff.Role.MANAGER)
    variant = stocked_variant(store=store, on_hand=10)  # threshold 5
    stock = Stock.objects.get(store=store, variant=variant)

    assert check_low_stock_task() == 0
    reserve_stock(store_id=store.pk, lines=[(variant.pk, 6)], reference="L1")  # 4 available: low
    check_low_stock_task()
    check_low_stock_task()

    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert variant.sku in mail.outbox[0].body
    alert = LowStockAlert.objects.get()
    assert (alert.stock, alert.available, alert.threshold, alert.emailed_to) == (stock, 4, 5, manager.email)

    receive_stock(store_id=store.pk, variant_id=variant.pk, quantity=10)  # 14 available
    check_low_stock_task()
    assert len(mail.outbox) == 1

    adjust_stock(stock_id=stock.pk, change=-10, note="破损")  # 4 available again
    check_low_stock_task()
    check_low_stock_task()

    assert len(mail.outbox) == 2
    assert LowStockAlert.objects.filter(stock=stock).count() == 2


def test_a_store_without_managers_still_gets_the_admin_notice(store):
    variant = stocked_variant(store=store, on_hand=3)

    check_low_stock_task()

    assert mail.outbox == []
    alert = LowStockAlert.objects.get()
    assert (alert.stock.variant, alert.emailed_to) == (variant, "")
