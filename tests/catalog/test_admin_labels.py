"""Staff read labels in the catalogue admin, never raw field names ("以 depth", "VARIANT")."""

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def english(admin_user):
    client = Client()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the shop speaks Chinese whatever the browser asks
    client.force_login(admin_user)
    return client


def test_the_category_list_filters_by_a_labelled_level(english):
    CategoryFactory()

    response = english.get("/admin/catalog/category/")

    titles = [str(spec.title) for spec in response.context["cl"].filter_specs]
    assert "depth" not in titles
    assert "level" in titles


def test_the_product_images_inline_labels_the_variant_column(english):
    product = ProductFactory()

    response = english.get(f"/admin/catalog/product/{product.pk}/change/")

    headers = [str(field["label"]) for formset in response.context["inline_admin_formsets"]
               if formset.opts.model.__name__ == "ProductImage" for field in formset.fields()]
    assert "variant (SKU)" in headers
