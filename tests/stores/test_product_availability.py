import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from stores.models import Stock, Store
from stores.selectors import _stock_rows
from tests.factories import ProductFactory, StoreFactory

pytestmark = pytest.mark.django_db


def test_the_product_page_lists_pickup_stores_that_have_the_chosen_variant(client):
    product = ProductFactory(slug="tea", is_in_stock=True)
    variant = product.variants.get()
    warehouse = StoreFactory(name="线上仓", kind=Store.Kind.WAREHOUSE, is_pickup_enabled=False)
    has_it = StoreFactory(name="徐汇店", address="漕溪北路 1 号")
    empty = StoreFactory(name="浦东店")
    closed = StoreFactory(name="关门店", is_active=False)
    Stock.objects.create(store=warehouse, variant=variant, on_hand=7)
    Stock.objects.create(store=has_it, variant=variant, on_hand=3, reserved=1)
    Stock.objects.create(store=empty, variant=variant, on_hand=2, reserved=2)
    Stock.objects.create(store=closed, variant=variant, on_hand=9)

    response = client.get("/p/tea/")

    stores = [entry["store"].name for entry in response.context["pickup_stores"]]
    assert stores == ["徐汇店"]
    assert response.context["online_available"] == 7 + 2  # delivery sources: the warehouse and the stores
    assert "漕溪北路 1 号" in response.content.decode()


@pytest.mark.parametrize("vendor, sent", [("postgresql", "EXECUTE stores_stock_rows"), ("sqlite", "SELECT ")])
def test_the_stock_rows_are_prepared_on_postgresql_and_sent_as_text_to_other_databases(monkeypatch, vendor, sent):
    variant = ProductFactory().variants.get()
    Stock.objects.create(store=StoreFactory(name="徐汇店"), variant=variant, on_hand=4, reserved=1)
    connection.ensure_connection()
    monkeypatch.setattr(connection, "vendor", vendor)  # the text is one both databases run

    with CaptureQueriesContext(connection) as captured:
        rows = _stock_rows(variant.pk)

    assert [(on_hand, reserved, store.name) for on_hand, reserved, store in rows] == [(4, 1, "徐汇店")]
    assert [query["sql"][: len(sent)] for query in captured.captured_queries] == [sent]


def test_a_failed_low_stock_email_is_retried_later_not_lost(settings, django_user_model, monkeypatch):
    from stores.models import LowStockAlert, StoreStaff
    from stores.tasks import check_low_stock_task

    store = StoreFactory()
    manager = django_user_model.objects.create_user(username="m", email="m@example.com", password="x")
    StoreStaff.objects.create(store=store, user=manager, role=StoreStaff.Role.MANAGER)
    Stock.objects.create(store=store, variant=ProductFactory().variants.get(), on_hand=1, low_stock_threshold=5)

    def broken(*args, **kwargs):
        raise OSError("smtp down")

    monkeypatch.setattr("django.core.mail.send_mail", broken)
    with pytest.raises(OSError):
        check_low_stock_task.run()
    assert not LowStockAlert.objects.exists()

    monkeypatch.undo()
    assert check_low_stock_task.run() == 1
    assert LowStockAlert.objects.count() == 1
