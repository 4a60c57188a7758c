import pytest

from catalog.models import Product, Variant
from stores.exceptions import NotEnoughStock
from stores.models import StockMovement
from stores.services import adjust_stock, receive_stock
from tests.factories import ProductFactory, StoreFactory, VariantFactory

pytestmark = pytest.mark.django_db


def test_receiving_stock_marks_the_variant_and_product_in_stock_and_writes_the_ledger(admin_user):
    product = ProductFactory(is_in_stock=False)
    variant = product.variants.get()
    store = StoreFactory()

    stock = receive_stock(store_id=store.pk, variant_id=variant.pk, quantity=5, reference="PO-1", by=admin_user)

    assert stock.on_hand == 5
    assert Variant.objects.get(pk=variant.pk).is_in_stock
    assert Product.objects.get(pk=product.pk).is_in_stock
    movement = StockMovement.objects.get(stock=stock)
    assert (movement.reason, movement.on_hand_change, movement.created_by) == ("receipt", 5, admin_user)


def test_adjusting_the_last_units_away_marks_the_product_sold_out():
    product = ProductFactory(is_in_stock=False)
    stock = receive_stock(store_id=StoreFactory().pk, variant_id=product.variants.get().pk, quantity=2)

    adjust_stock(stock_id=stock.pk, change=-2, note="盘点损耗")

    assert not Product.objects.get(pk=product.pk).is_in_stock


def test_an_adjustment_below_zero_is_refused_and_changes_nothing():
    product = ProductFactory(is_in_stock=False)
    stock = receive_stock(store_id=StoreFactory().pk, variant_id=product.variants.get().pk, quantity=2)

    with pytest.raises(NotEnoughStock):
        adjust_stock(stock_id=stock.pk, change=-3, note="盘点")

    stock.refresh_from_db()
    assert stock.on_hand == 2
    assert stock.movements.count() == 1


def test_a_product_stays_in_stock_while_any_active_variant_is():
    product = ProductFactory(is_in_stock=False)
    other = VariantFactory(product=product, is_in_stock=False)
    store = StoreFactory()
    receive_stock(store_id=store.pk, variant_id=other.pk, quantity=1)

    assert Product.objects.get(pk=product.pk).is_in_stock


def test_stock_in_an_inactive_store_does_not_count():
    product = ProductFactory(is_in_stock=False)
    receive_stock(store_id=StoreFactory(is_active=False).pk, variant_id=product.variants.get().pk, quantity=9)

    assert not Product.objects.get(pk=product.pk).is_in_stock
