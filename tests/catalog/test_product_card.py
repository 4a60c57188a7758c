"""A product card drawn in Python by {% product_card %} shows what the card template showed, escaped."""

from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import translation

from catalog.models import Product
from catalog.selectors import PageCards, cards_by_ids
from catalog.templatetags.product_cards import CardImage, card_html, draw_card, product_cards
from tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db


@dataclass
class Offer:
    price: Decimal | None
    badges: tuple[str, ...]


@dataclass
class Flash:
    flash_price: Decimal


def test_a_card_escapes_the_products_name_brand_and_picture_text():
    product = ProductFactory(name='<b>"茶"</b>', brand=BrandFactory(name="A&B"), price=Decimal("10.00"))
    product.card_image = CardImage(url='/media/x.jpg?a=1&b="2"', alt_text="")

    html = card_html(product)

    assert "<b>" not in html and "&lt;b&gt;&quot;茶&quot;&lt;/b&gt;" in html
    assert '<span class="brand">A&amp;B</span>' in html
    assert 'src="/media/x.jpg?a=1&amp;b=&quot;2&quot;"' in html
    assert 'alt="&lt;b&gt;&quot;茶&quot;&lt;/b&gt;"' in html  # no alt text of its own: the name


def test_a_card_without_a_picture_shows_the_empty_frame():
    html = card_html(ProductFactory(brand=None))

    assert '<span class="no-image" aria-hidden="true"></span>' in html
    assert 'class="brand"' not in html


def test_a_card_shows_the_promotional_price_over_the_crossed_out_price_and_each_badge():
    product = ProductFactory(price=Decimal("50.00"), compare_at_price=Decimal("80.00"))

    html = card_html(product, Offer(price=Decimal("40.00"), badges=("限时折扣", "满减")))

    assert '<span class="promo-price">¥40.00</span> <del>¥50.00</del>' in html
    assert "¥80.00" not in html
    assert html.index("限时折扣") < html.index("满减")


def test_a_card_says_from_for_a_price_range_and_crosses_out_the_compare_at_price():
    product = ProductFactory(price=Decimal("1234.50"))
    product.compare_at_price = Decimal("2000.00")  # the factory's variant would set its own on save
    product.has_price_range = True

    with translation.override("zh-hans"):
        html = card_html(product)

    assert '<span class="price">¥1,234.50 起 <del>¥2,000.00</del></span>' in html


def test_a_card_shows_the_flash_sale_sold_out_and_review_count_in_the_shoppers_language():
    product = ProductFactory(is_in_stock=False, review_count=3, rating_average=Decimal("4.4"))

    with translation.override("en"):
        english = card_html(product, None, Flash(flash_price=Decimal("9.90")))
    with translation.override("zh-hans"):
        chinese = card_html(product, None, Flash(flash_price=Decimal("9.90")))

    assert "Flash sale ¥9.90" in english and "Sold out" in english and "3 reviews" in english
    assert "★★★★☆" in english
    assert "Sold out" not in chinese and "3 reviews" not in chinese


def fixed_marks(product, at):
    """A CATALOG_CARD_MARKS that puts the same offer and flash sale on every card."""
    return Offer(price=Decimal("7.00"), badges=("满减",)), Flash(flash_price=Decimal("5.00"))


@override_settings(CATALOG_CARD_MARKS="tests.catalog.test_product_card.fixed_marks")
def test_a_card_shows_the_marks_catalog_card_marks_gives_it_in_a_grid_and_in_the_card_template():
    product = ProductFactory(name="红茶", price=Decimal("9.00"))

    in_grid = product_cards([product])
    from_template = render_to_string("catalog/_product_card.html", {"product": product})

    for html in (in_grid, from_template, draw_card(product)):
        assert '<span class="promo-price">¥7.00</span> <del>¥9.00</del>' in html
        assert '<span class="badge promo">满减</span>' in html and "¥5.00" in html


@override_settings(CATALOG_CARD_MARKS=None)
def test_a_card_shows_no_marks_when_no_app_gives_them():
    html = draw_card(ProductFactory(price=Decimal("9.00")))

    assert '<span class="price">¥9.00</span>' in html and "badge" not in html


def test_a_listings_cards_come_out_in_the_listings_order():
    products = [ProductFactory(name=f"商品{i}") for i in range(3)]

    html = product_cards(cards_by_ids([products[2].pk, products[0].pk, products[1].pk]))

    assert html.index("商品2") < html.index("商品0") < html.index("商品1")
    assert html.count('<li class="product-card">') == 3


class CountingPage(PageCards):
    """A listing page that records which ids it was asked to read."""

    def __init__(self, ids):
        super().__init__(ids)
        self.reads = []

    def read(self, ids):
        self.reads.append(list(ids))
        return super().read(ids)


def test_a_listing_page_reads_the_rows_of_its_uncached_cards_only():
    products = [ProductFactory(name=f"商品{i}") for i in range(4)]
    product_cards(PageCards([products[0].pk, products[2].pk]))  # another listing drew these two

    page = CountingPage([product.pk for product in products])
    html = product_cards(page)

    assert page.reads == [[products[1].pk, products[3].pk]]
    assert [html.index(f"商品{i}") for i in range(4)] == sorted(html.index(f"商品{i}") for i in range(4))


def test_a_listing_page_whose_cards_are_all_cached_reads_no_product_row(django_assert_num_queries):
    products = [ProductFactory(name=f"商品{i}") for i in range(3)]
    ids = [product.pk for product in products]
    product_cards(PageCards(ids))

    with django_assert_num_queries(0):
        html = product_cards(PageCards(list(reversed(ids))))

    assert html.index("商品2") < html.index("商品1") < html.index("商品0")


def test_a_product_hidden_before_its_card_is_read_has_no_card():
    shown, hidden = ProductFactory(name="上架"), ProductFactory(name="下架")
    page = PageCards([shown.pk, hidden.pk])
    Product.objects.filter(pk=hidden.pk).update(is_published=False)

    html = product_cards(page)

    assert "上架" in html and "下架" not in html


def test_a_listing_page_looked_at_as_products_reads_them_once_in_its_order(django_assert_num_queries):
    products = [ProductFactory() for _ in range(3)]
    page = PageCards([products[1].pk, products[0].pk, products[2].pk])

    with django_assert_num_queries(1):
        assert [product.pk for product in page] == [products[1].pk, products[0].pk, products[2].pk]
        assert len(page) == 3 and page[0].pk == products[1].pk
    assert page and not PageCards([])
