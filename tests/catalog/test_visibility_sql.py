"""The visibility rule's two forms (a Q for querysets, SQL text for the fixed queries) agree."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from catalog.models import Product, visible_product, visible_product_sql
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_the_sql_form_of_visibility_finds_exactly_the_products_the_queryset_form_finds():
    now = timezone.now()
    hour = timedelta(hours=1)
    windows = [(None, None), (now - hour, None), (now + hour, None), (None, now + hour), (None, now - hour),
               (now - hour, now + hour), (now - 2 * hour, now - hour)]
    for n, (starts, ends) in enumerate(windows):
        for published in (True, False):
            product = ProductFactory(slug=f"p-{n}-{published}", is_published=published)
            Product.objects.filter(pk=product.pk).update(available_from=starts, available_until=ends)

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT p.id FROM {Product._meta.db_table} p WHERE {visible_product_sql('p', '%s')}", [now, now])
        by_sql = {row[0] for row in cursor.fetchall()}

    by_queryset = set(Product.objects.filter(visible_product(at=now)).values_list("pk", flat=True))
    assert by_sql == by_queryset
    assert len(by_queryset) == 4  # published with no window, started, not yet ended, inside its window
