from decimal import Decimal

import pytest

from catalog.models import Product
from catalog.search import clean_query, cjk_bigrams, search_products
from catalog.services import refresh_product_summary
from tests.factories import BrandFactory, ProductFactory

pytestmark = pytest.mark.django_db


def search(query):
    return list(search_products(Product.objects.visible(), query).order_by("-rank", "pk"))


@pytest.fixture
def products():
    return {
        "apples": ProductFactory(name="山野农场 红富士苹果 5斤装"),
        "juice": ProductFactory(name="鲜榨苹果汁 Apple Juice"),
        "oats": ProductFactory(name="有机燕麦片 Organic Rolled Oats"),
        "shoes": ProductFactory(name="轻跑运动鞋 Running Shoes"),
        "rice": ProductFactory(name="东北大米 10kg"),
    }


def test_a_two_character_chinese_query_finds_names_containing_it(products):
    assert set(search("苹果")) == {products["apples"], products["juice"]}


def test_a_longer_chinese_query_finds_the_product_that_contains_all_of_it(products):
    assert search("红富士苹果") == [products["apples"]]


def test_a_single_chinese_character_still_finds_products(products):
    assert products["rice"] in search("米")


def test_english_words_match_by_their_stem(products):
    assert search("oat") == [products["oats"]]
    assert search("running shoe") == [products["shoes"]]
    assert search("apples") == [products["juice"]]


def test_a_product_can_be_found_by_brand_and_by_sku():
    brand = BrandFactory(name="鲜之源")
    product = ProductFactory(name="有机牛奶", brand=brand)
    refresh_product_summary(product_ids=[product.pk])

    assert search("鲜之源") == [product]
    assert search(f"sku-{product.slug}") == [product]


def test_a_name_match_ranks_above_a_description_match():
    in_name = ProductFactory(name="蜂蜜柚子茶")
    in_text = ProductFactory(name="早餐饮品")
    in_text.description = "适合搭配蜂蜜柚子茶"
    in_text.save()
    refresh_product_summary(product_ids=[in_text.pk])

    assert search("柚子茶") == [in_name, in_text]


def test_unpublished_and_scheduled_products_are_not_found():
    ProductFactory(name="未上架苹果", is_published=False)
    from datetime import timedelta

    from django.utils import timezone

    ProductFactory(name="预售苹果", available_from=timezone.now() + timedelta(days=1))

    assert search("苹果") == []


@pytest.mark.parametrize(
    "odd",
    [
        '"',
        "'",
        "& | ! ( ) :* <->",
        "苹果 & | !",
        "\x00苹果\x00",
        "a" * 10_000,
        "%_\\",
        "-",
        "   ",
        "DROP TABLE catalog_product;--",
        "😀🍎",
    ],
)
def test_odd_input_gives_results_or_none_never_an_error(products, odd):
    results = search(odd)

    assert isinstance(results, list)


def test_odd_input_on_the_search_page_is_a_normal_page(client, products):
    for odd in ['"', "& | !", "\x00", "x" * 10_000, "(((", "苹果\x00"]:
        response = client.get("/search/", {"q": odd})
        assert response.status_code == 200


def test_the_query_is_cleaned_of_control_characters_and_bounded():
    assert clean_query("  Apple\x00  JUICE\n ") == "apple juice"
    assert len(clean_query("x" * 10_000)) == 100
    assert clean_query(None) == ""


def test_chinese_runs_are_split_into_bigrams():
    assert cjk_bigrams("红富士 apple 苹果") == ["红富", "富士", "苹果"]
    assert cjk_bigrams("米") == []


def test_the_search_page_shows_results_with_prices(client, products):
    products["juice"].variants.update(price=Decimal("12.50"))
    refresh_product_summary(product_ids=[products["juice"].pk])

    response = client.get("/search/", {"q": "苹果汁"})

    assert response.status_code == 200
    assert products["juice"].name in response.content.decode()
    assert "¥12.50" in response.content.decode()


def test_a_single_chinese_character_is_looked_up_in_the_full_text_index_not_by_substring(products):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        found = search("米")

    assert found == [products["rice"]]
    candidates = captured.captured_queries[0]["sql"]
    assert "@@" in candidates and "LIKE" not in candidates.upper()


def test_a_single_character_matches_names_brands_categories_and_tags_but_not_descriptions():
    named = ProductFactory(name="西湖龙井茶")
    described = ProductFactory(name="玻璃杯", description="适合泡茶")
    refresh_product_summary(product_ids=[named.pk, described.pk])

    assert search("茶") == [named]
    assert search("泡茶") == [described]
