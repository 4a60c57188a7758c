"""shop.lookups: ``any_of`` sends a list of ids as one array parameter."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Product
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_any_of_finds_exactly_the_listed_rows_with_one_parameter_for_the_whole_list():
    products = [ProductFactory() for _ in range(4)]
    wanted = [products[0].pk, products[2].pk, products[3].pk]

    with CaptureQueriesContext(connection) as captured:
        found = set(Product.objects.filter(pk__any_of=wanted).values_list("pk", flat=True))

    assert found == set(wanted)
    assert "ANY(" in captured.captured_queries[0]["sql"]


def test_any_of_an_empty_list_matches_nothing():
    ProductFactory()

    assert not Product.objects.filter(pk__any_of=[]).exists()
