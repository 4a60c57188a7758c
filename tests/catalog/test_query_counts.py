"""Each storefront page costs the same number of queries however big the catalogue is."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.models import Attribute, Option, OptionValue, ProductAttributeValue, Variant
from catalog.services import refresh_product_summary
from catalog.templatetags import product_cards
from marketing.models import Announcement
from tests.factories import (
    AttributeFactory,
    AttributeOptionFactory,
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
)

pytestmark = pytest.mark.django_db

PAGES = ["/", "/categories/", "/c/top/", "/c/leaf/?sort=price&in_stock=on&a_origin=north", "/p/item-0/", "/search/?q=苹果"]


def grow_catalogue(count: int, start: int) -> None:
    """Add ``count`` products, each with brand, image, two variants and attribute values."""
    top = CategoryFactory._meta.model.objects.get(slug="top")
    leaf = CategoryFactory._meta.model.objects.get(slug="leaf")
    origin = Attribute.objects.get(code="origin")
    north = origin.options.get(slug="north")
    size = Option.objects.get(name="规格")
    small, large = size.values.all()
    for n in range(start, start + count):
        product = ProductFactory(
            slug=f"item-{n}",
            name=f"红富士苹果 {n}",
            category=leaf if n % 2 else top,
            brand=BrandFactory(),
            is_featured=n % 3 == 0,
            price=Decimal("9.90"),
        )
        second = Variant.objects.create(product=product, sku=f"ITEM-{n}-L", price=Decimal("19.90"))
        second.option_values.add(large)
        product.variants.exclude(pk=second.pk).get().option_values.add(small)
        ProductAttributeValue.objects.create(product=product, attribute=origin, option=north)
        ProductImageFactory(product=product)
        if n:
            product.related_products.add(product.__class__.objects.get(slug=f"item-{n - 1}"))
        refresh_product_summary(product_ids=[product.pk])


@pytest.fixture
def catalogue():
    top = CategoryFactory(slug="top")
    CategoryFactory(slug="leaf", parent=top)
    origin = AttributeFactory(code="origin", kind=Attribute.Kind.CHOICE)
    AttributeOptionFactory(attribute=origin, slug="north")
    AttributeOptionFactory(attribute=origin, slug="south")
    top.filter_attributes.add(origin, AttributeFactory(code="organic", kind=Attribute.Kind.BOOLEAN))
    size = Option.objects.create(name="规格")
    OptionValue.objects.create(option=size, value="500g")
    OptionValue.objects.create(option=size, value="1kg")
    Announcement.objects.create(text="满199减20")


MEMBER_PAGES = [*PAGES, "/cart/"]


def queries_per_page(client, pages=PAGES) -> dict[str, int]:
    from django.core.cache import caches

    from catalog.cache import bump_catalog_version

    for url in pages:
        client.get(url)  # per-process tables (promotions) loaded once, as in a running process
    counts = {}
    for url in pages:
        # Each page cold, as after an admin save: what a miss of every cached part costs.
        # (Per page, since product cards cached by one listing are reused by the next.)
        bump_catalog_version()
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, HTTP_COOKIE="recently_viewed=1.2.3.4.5")
        assert response.status_code == 200, url
        counts[url] = len(captured)
    return counts


def test_page_query_counts_stay_the_same_when_the_catalogue_grows_tenfold(client, catalogue):
    grow_catalogue(3, start=0)
    small = queries_per_page(client)

    grow_catalogue(27, start=3)
    large = queries_per_page(client)

    assert large == small


def fill_cart(user, lines: int) -> None:
    from orders.services import add_to_cart
    from orders.services.cart import MemberCart

    variants = Variant.objects.filter(is_active=True).order_by("pk")[:lines]
    for variant in variants:
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=1)


def test_a_members_page_query_counts_stay_the_same_when_the_catalogue_grows_tenfold(client, catalogue, shopper):
    grow_catalogue(3, start=0)
    fill_cart(shopper, 5)
    client.force_login(shopper)
    small = queries_per_page(client, MEMBER_PAGES)

    grow_catalogue(27, start=3)
    large = queries_per_page(client, MEMBER_PAGES)

    assert large == small


def test_a_listing_reuses_the_product_cards_another_listing_rendered(client, catalogue, monkeypatch):
    grow_catalogue(6, start=0)
    client.get("/c/top/")  # renders and caches every card of the subtree's first page
    drawn = []
    monkeypatch.setattr(product_cards, "card_html", lambda product, *marks: drawn.append(product.pk) or "")

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/c/top/?sort=price")

    assert response.status_code == 200
    assert drawn == []
    assert not [q for q in captured.captured_queries if q["sql"].startswith('SELECT "catalog_productimage"')]


def test_a_listing_reads_its_cards_pictures_in_its_own_query(client, catalogue):
    grow_catalogue(6, start=0)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/c/top/?sort=price")

    assert response.status_code == 200
    assert b"<img src=" in response.content
    assert not [q for q in captured.captured_queries if q["sql"].startswith('SELECT "catalog_productimage"')]


# Pages with product cards (or a product's own price) read the live promotions table once per process
# and promotions version (marketing.live_promotions): +1 on a cold page, never one per card.
# Cards and the product page also read the live flash-sale and group-buy table once per process and
# catalogue version (marketing.live_flash): +1.
@pytest.mark.parametrize(
    ("url", "ceiling"),
    [
        ("/", 6 + 1 + 1),
        ("/categories/", 1 + 1),  # the tree, and one picture per category for the grid (DISTINCT ON, one query)
        ("/c/top/", 7 + 1 + 1),  # ids-first: the page and its count in one query (catalog.selectors.listing_page)
        ("/c/leaf/?sort=price&in_stock=on&a_origin=north", 7 + 1 + 1),
        # The product with all its lists (one query), its stock, the category's newest (no staff-chosen related
        # products), the recently viewed cards and the claimable coupons.
        ("/p/item-0/", 5 + 1 + 1),
        # Search fetches its bounded candidate ids first (catalog.search.MAX_CANDIDATES): +1.
        ("/search/?q=苹果", 6 + 1 + 1 + 1 + 1),  # +1: the day's first search of a word writes its row (catalog.search_terms)
    ],
)
def test_each_page_stays_under_its_query_budget(client, catalogue, url, ceiling, django_assert_max_num_queries):
    grow_catalogue(12, start=0)

    with django_assert_max_num_queries(ceiling):
        response = client.get(url, HTTP_COOKIE="recently_viewed=1.2.3.4.5")

    assert response.status_code == 200


def test_a_members_cart_badge_costs_one_query_though_the_header_and_the_tab_bar_both_show_it(
    client, catalogue, shopper
):
    grow_catalogue(3, start=0)
    fill_cart(shopper, 2)
    client.force_login(shopper)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")

    assert response.status_code == 200
    assert response.content.decode().count('<span class="badge-count">2</span>') == 2
    assert len([q for q in captured.captured_queries if 'SUM("orders_cartline"."quantity")' in q["sql"]]) == 1
