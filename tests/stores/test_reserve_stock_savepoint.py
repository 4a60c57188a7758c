"""A reservation inside a longer transaction: its own savepoint, rolled back only for itself.

On PostgreSQL ``reserve_stock`` sends its savepoint with the reservation and
leaves it for the transaction's end instead of releasing it while the stock
rows are held; these tests pin down that it still behaves as atomic() did.
"""

import threading

import pytest
from django.db import DatabaseError, connection, transaction

from stores.exceptions import OutOfStock
from stores.models import Stock, StockMovement
from stores.services import reserve_stock
from tests.factories import stocked_variant


def _row_is_free_for_another_connection(stock_pk: int) -> bool:
    """Whether a second connection can lock the row at once (NOWAIT), asked from its own thread."""
    answer = {}

    def ask():
        try:
            with transaction.atomic():
                list(Stock.objects.select_for_update(nowait=True).filter(pk=stock_pk))
            answer["free"] = True
        except DatabaseError:
            answer["free"] = False
        finally:
            connection.close()

    thread = threading.Thread(target=ask)
    thread.start()
    thread.join(timeout=10)
    return answer["free"]


@pytest.mark.django_db(transaction=True)
def test_a_store_found_short_lets_go_of_its_rows_at_once_and_keeps_the_reservation_before_it(warehouse):
    kept = stocked_variant(store=warehouse, on_hand=5)
    scarce = stocked_variant(store=warehouse, on_hand=1)
    scarce_row = Stock.objects.get(store=warehouse, variant=scarce)

    with transaction.atomic():
        reserve_stock(store_id=warehouse.pk, lines=[(kept.pk, 2)], reference="A-1")
        with pytest.raises(OutOfStock) as raised:
            reserve_stock(store_id=warehouse.pk, lines=[(kept.pk, 1), (scarce.pk, 2)], reference="B-1")
        scarce_is_free = _row_is_free_for_another_connection(scarce_row.pk)
        kept_reserved_inside = Stock.objects.get(store=warehouse, variant=kept).reserved

    assert raised.value.shortages == {scarce.pk: 1}
    assert scarce_is_free
    assert kept_reserved_inside == 2
    assert Stock.objects.get(store=warehouse, variant=kept).reserved == 2
    assert Stock.objects.get(store=warehouse, variant=scarce).reserved == 0
    assert list(StockMovement.objects.filter(reference__in=["A-1", "B-1"]).values_list("reference", "reserved_change")) == [
        ("A-1", 2)
    ]


@pytest.mark.django_db(transaction=True)
def test_a_reservation_still_holds_its_rows_until_the_transaction_ends(warehouse):
    variant = stocked_variant(store=warehouse, on_hand=3)
    row = Stock.objects.get(store=warehouse, variant=variant)

    with transaction.atomic():
        reserve_stock(store_id=warehouse.pk, lines=[(variant.pk, 1)], reference="C-1")
        held = not _row_is_free_for_another_connection(row.pk)

    assert held
    assert _row_is_free_for_another_connection(row.pk)
    assert Stock.objects.get(pk=row.pk).reserved == 1


@pytest.mark.django_db
def test_a_failure_after_the_reservation_undoes_that_reservation_only_and_the_transaction_goes_on(warehouse, monkeypatch):
    kept = stocked_variant(store=warehouse, on_hand=5)
    last = stocked_variant(store=warehouse, on_hand=1)

    def broken_flags(*, variant_ids):
        raise RuntimeError("the catalogue flags could not be written")

    with transaction.atomic():
        reserve_stock(store_id=warehouse.pk, lines=[(kept.pk, 1)], reference="D-1")
        # Taking the last unit flips the product to sold out: that step fails here.
        monkeypatch.setattr("stores.services.refresh_product_stock_flags", broken_flags)
        with pytest.raises(RuntimeError):
            reserve_stock(store_id=warehouse.pk, lines=[(last.pk, 1)], reference="D-2")

        assert Stock.objects.get(store=warehouse, variant=kept).reserved == 1
        assert Stock.objects.get(store=warehouse, variant=last).reserved == 0
        assert not StockMovement.objects.filter(reference="D-2").exists()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_reservation_is_its_own_transaction(warehouse):
    variant = stocked_variant(store=warehouse, on_hand=2)

    with pytest.raises(OutOfStock):
        reserve_stock(store_id=warehouse.pk, lines=[(variant.pk, 3)], reference="E-1")
    reserve_stock(store_id=warehouse.pk, lines=[(variant.pk, 2)], reference="E-2")

    assert Stock.objects.get(store=warehouse, variant=variant).reserved == 2
    assert list(StockMovement.objects.filter(reference__startswith="E-").values_list("reference", flat=True)) == ["E-2"]
