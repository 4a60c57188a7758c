"""Links by slug are exactly what Django's reverse() gives, without reversing each one."""

import pytest
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix

from catalog.links import slug_url
from catalog.models import Category, Product

SLUGS = ["p-000049", "apple_red-fuji", "红富士苹果", "青岛啤酒-500ml", "ÉtéBio", "a" * 120]


@pytest.mark.parametrize("slug", SLUGS)
@pytest.mark.parametrize("name", ["catalog:product", "catalog:category"])
def test_a_slug_link_is_what_reverse_writes(name, slug):
    assert slug_url(name, slug) == reverse(name, kwargs={"slug": slug})


def test_a_link_follows_the_script_prefix_the_shop_is_served_under():
    set_script_prefix("/shop/")
    try:
        assert slug_url("catalog:product", "红富士") == reverse("catalog:product", kwargs={"slug": "红富士"})
        assert slug_url("catalog:product", "红富士").startswith("/shop/p/")
    finally:
        clear_script_prefix()
    assert slug_url("catalog:product", "x").startswith("/p/")


@pytest.mark.parametrize("slug", ["", "a/b"])
def test_a_slug_reverse_refuses_is_still_refused(slug):
    with pytest.raises(NoReverseMatch):
        slug_url("catalog:product", slug)


def test_products_and_categories_link_through_it():
    assert Product(slug="红富士").get_absolute_url() == reverse("catalog:product", kwargs={"slug": "红富士"})
    assert Category(slug="fresh").get_absolute_url() == reverse("catalog:category", kwargs={"slug": "fresh"})
