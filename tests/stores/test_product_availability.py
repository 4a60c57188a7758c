import pytest

from stores.models import Stock, Store
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
