"""Promotions on the storefront: badges and promotional prices on cards and product pages, the cart's hints."""

from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from marketing.live_promotions import forget_promotion_tables
from marketing.models import Promotion
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.factories import (
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    stocked_variant,
)
from tests.marketing.test_promotions import promotion, tiered

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def shelf(db):
    return CategoryFactory(slug="shelf", name="货架")


def grow(shelf, brand, count, start=0):
    for n in range(start, start + count):
        ProductFactory(slug=f"p-{n}", name=f"苹果 {n}", category=shelf, brand=brand if n % 2 else None,
                       price=D("50.00"), is_in_stock=True)


def cold_queries(client, url):
    for cache in caches.all():
        cache.clear()
    forget_promotion_tables()  # as a freshly started process
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_listing_cards_show_the_badge_and_the_promotional_price(client, shelf):
    brand = BrandFactory()
    grow(shelf, brand, 2)
    promotion(Promotion.Kind.PERCENT, name="品牌 8 折", badge="限时折扣", percent=D("20"), applies_to_all=False, brands=[brand])

    _count, page = cold_queries(client, "/c/shelf/")

    assert page.count("限时折扣") == 1
    assert "¥40.00" in page and "promo-price" in page


def test_a_promotion_without_badge_text_shows_its_kind_default(client, shelf):
    grow(shelf, None, 1)
    tiered(badge="")

    with translation.override("en"):
        _count, page = cold_queries(client, "/en/c/shelf/" if False else "/c/shelf/")

    assert page.count('class="badge promo"') == 1


def test_cards_cost_no_extra_query_each_however_many_promotions_and_products(client, shelf):
    brand = BrandFactory()
    promotion(Promotion.Kind.PERCENT, name="品牌 8 折", badge="限时折扣", percent=D("20"), applies_to_all=False, brands=[brand])
    promotion(Promotion.Kind.PERCENT, name="货架 9 折", percent=D("10"), applies_to_all=False, categories=[shelf])
    tiered()
    grow(shelf, brand, 3)
    small, _page = cold_queries(client, "/c/shelf/")

    grow(shelf, brand, 17, start=3)
    large, page = cold_queries(client, "/c/shelf/")

    assert large == small
    assert page.count("限时折扣") == 10


def test_the_product_page_shows_the_variant_promotional_price_and_the_promotions_that_cover_it(client, warehouse):
    variant = stocked_variant(store=warehouse, price=D("80.00"), slug="pear", name="梨")
    promotion(Promotion.Kind.AMOUNT_OFF, name="立减 10 元", badge="限时折扣", amount=D("10"))
    tiered()

    page = client.get("/p/pear/").content.decode()

    assert "¥70.00" in page and "立减 10 元" in page and "满199减20" in page
    assert variant.price == D("80.00")


def test_the_cart_says_how_much_more_to_spend_and_then_shows_the_discount_on_each_line(client, shopper, warehouse):
    apples = stocked_variant(store=warehouse, price=D("100.00"), name="苹果")
    tiered()
    client.force_login(shopper)
    add_to_cart(cart=MemberCart(shopper), variant_id=apples.pk, quantity=1)

    with translation.override("en"):
        before = client.get("/cart/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    add_to_cart(cart=MemberCart(shopper), variant_id=apples.pk, quantity=1)
    after = client.get("/cart/").content.decode()

    assert "promotion-hint" in before and "¥99.00" in before
    assert "满199减20" in after and "-¥20.00" in after.replace("−", "-")
