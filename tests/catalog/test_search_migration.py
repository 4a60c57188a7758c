"""catalog/migrations/0008 gives stored products the single-character search words new saves write."""

import importlib

import pytest
from django.db import connection

from catalog.models import Product
from catalog.search import search_products
from catalog.services import refresh_product_summary
from tests.factories import BrandFactory, ProductFactory, TagFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("catalog.migrations.0008_single_character_search_words")


def test_the_migration_adds_the_characters_of_name_brand_category_and_tags_that_a_save_would():
    product = ProductFactory(name="西湖龙井", brand=BrandFactory(name="御茶园"), description="清香")
    product.tags.add(TagFactory(name="春茶"))
    refresh_product_summary(product_ids=[product.pk])
    saved = Product.objects.get(pk=product.pk).search_document
    # As it was stored before single characters were indexed: text and bigrams only.
    before = saved.rsplit(" 西 ", 1)[0]
    Product.objects.filter(pk=product.pk).update(search_document=before, search_vector=None)

    with connection.cursor() as cursor:
        cursor.execute(migration.APPEND_CHARACTERS)

    migrated = Product.objects.get(pk=product.pk).search_document
    assert set(migrated.split()) == set(saved.split())
    assert list(search_products(Product.objects.visible(), "龙")) == [product]
