"""Instances the fixed SQL reads build for less are the ones Model.from_db would give."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.models.signals import post_init

from catalog.fixed_sql import fields, from_db
from catalog.models import Brand, Product
from tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _row(product, names):
    return [getattr(product, name) for name in names]


def test_a_whole_row_builds_the_instance_model_from_db_builds():
    product = ProductFactory(price=Decimal("12.50"), brand=BrandFactory())
    names = [field.attname for field in fields(Product)]

    ours, django_s = from_db(Product, names, _row(product, names)), Product.from_db(connection.alias, names, _row(product, names))

    assert type(ours) is Product
    assert {k: v for k, v in vars(ours).items() if k != "_state"} == {k: v for k, v in vars(django_s).items() if k != "_state"}
    assert (ours._state.adding, ours._state.db) == (False, connection.alias) == (django_s._state.adding, django_s._state.db)
    assert ours == product and ours.get_deferred_fields() == set()


def test_columns_not_read_stay_deferred_and_load_on_first_use():
    product = ProductFactory(description="长的描述")
    names = ["id", "name", "slug", "brand_id"]

    ours = from_db(Product, names, _row(product, names))

    assert ours.get_deferred_fields() == Product.from_db(connection.alias, names, _row(product, names)).get_deferred_fields()
    assert "description" in ours.get_deferred_fields()
    assert ours.description == "长的描述"  # read from the database when asked


def test_a_foreign_key_id_set_this_way_loads_its_object():
    brand = BrandFactory(name="邻家")
    product = ProductFactory(brand=brand)
    names = ["id", "name", "brand_id"]

    assert from_db(Product, names, _row(product, names)).brand == brand


def test_a_model_someone_listens_to_is_built_by_django_with_its_signals():
    seen = []

    def listener(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(listener, sender=Brand)
    try:
        brand = from_db(Brand, ["id", "name"], [1, "邻家"])
    finally:
        post_init.disconnect(listener, sender=Brand)

    assert seen == [brand]
