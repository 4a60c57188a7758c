"""The product page's gallery, option choices and specifications, drawn in Python, escape what they show."""

from types import SimpleNamespace

import pytest

from catalog.models import Attribute, ProductAttributeValue
from catalog.templatetags.product_page import product_gallery, product_options, product_specs
from tests.factories import AttributeFactory, ProductFactory, TagFactory

pytestmark = pytest.mark.django_db


def _image(url, alt=""):
    return SimpleNamespace(detail_url=url, alt_text=alt)


def _choice(value, sku, *, selected=False, exact=True, in_stock=True):
    return SimpleNamespace(
        value=value, variant=SimpleNamespace(sku=sku, is_in_stock=in_stock), is_selected=selected, is_exact=exact,
    )


def test_a_product_without_pictures_shows_the_empty_picture():
    assert product_gallery([], "茶") == '<span class="no-image" aria-hidden="true"></span>'


def test_the_first_picture_loads_at_once_the_others_lazily_each_with_its_number():
    html = product_gallery([_image("/m/1.jpg", "正面"), _image("/m/2.jpg")], '<b>"茶"</b>')

    first, second = html.split("\n")
    assert first.startswith('<figure class="main"><img src="/m/1.jpg" alt="正面" ') and "loading" not in first
    assert "1 / 2</figcaption>" in first
    # No alt text of its own: the product's name, escaped.
    assert 'alt="&lt;b&gt;&quot;茶&quot;&lt;/b&gt;" loading="lazy"' in second and "2 / 2</figcaption>" in second


def test_a_single_picture_has_no_counter():
    assert "gallery-indicator" not in product_gallery([_image("/m/1.jpg")], "茶")


def test_option_values_link_to_their_variants_marked_selected_other_or_sold_out():
    groups = [SimpleNamespace(option=SimpleNamespace(name="颜色<"), values=[
        _choice("红", "T-RED", selected=True),
        _choice("蓝 & 绿", "T BLUE/1", exact=False, in_stock=False),
    ])]

    html = product_options(groups)

    assert '<span class="option-name">颜色&lt;</span>' in html
    assert '<a href="?sku=T-RED#buy" data-variant-link class="option selected" aria-current="true">红</a>' in html
    # The SKU quoted as the urlencode filter quotes it.
    assert '<a href="?sku=T%20BLUE/1#buy" data-variant-link class="option other unavailable">蓝 &amp; 绿</a>' in html


def test_a_product_without_options_has_no_option_groups():
    assert product_options([]) == ""


def test_specifications_show_the_description_values_and_tags_escaped():
    product = ProductFactory(description="第一行<script>\n\n第二段")
    weight = AttributeFactory(name="净含量", kind=Attribute.Kind.NUMBER, unit="g")
    ProductAttributeValue.objects.create(product=product, attribute=weight, value_number="500.000")
    product.tags.add(TagFactory(name="新品&热卖"))

    html = product_specs(product)

    assert "<p>第一行&lt;script&gt;</p>\n\n<p>第二段</p>" in html
    assert "<dt>净含量</dt><dd>500 g</dd>" in html
    assert '<ul class="chips tags"><li>新品&amp;热卖</li></ul>' in html


def test_a_product_with_nothing_to_specify_draws_no_sections():
    assert product_specs(ProductFactory(description="")) == ""
