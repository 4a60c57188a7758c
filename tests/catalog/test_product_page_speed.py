"""The cold product page reads the product and all it shows in one query, and shows exactly what it did before."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog import selectors
from catalog.cache import bump_catalog_version
from catalog.models import Attribute, Option, OptionValue, Product, ProductAttributeValue, Variant
from catalog.product_page_query import product_page_in_one_query
from catalog.services import refresh_product_summary
from tests.factories import (
    AttributeFactory,
    AttributeOptionFactory,
    BrandFactory,
    CategoryFactory,
    ProductFactory,
    ProductImageFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

# Read by no page: a related product's card leaves them behind.
CARD_SKIPPED = {"created_at", "updated_at", "available_from", "available_until", "description", "summary",
                "seo_title", "seo_description", "video_url"}


@pytest.fixture
def rich_product():
    """A product with everything its page can show: options, a variant's own picture, every kind of attribute,
    tags, and related products of which two are hidden."""
    category = CategoryFactory(name="水果", slug="fruit")
    product = ProductFactory(name="红富士苹果", slug="apple", category=category, brand=BrandFactory(name="青禾"),
                             summary="脆甜多汁", description="产地直发。\n当季鲜果。")
    colour, size = Option.objects.create(name="颜色", position=2), Option.objects.create(name="规格", position=1)
    red, green = OptionValue.objects.create(option=colour, value="红"), OptionValue.objects.create(option=colour, value="绿")
    small, big = OptionValue.objects.create(option=size, value="500g"), OptionValue.objects.create(option=size, value="1kg")
    product.variants.all().delete()
    for position, (sku, price, values) in enumerate(
        [("AP-R5", "12.50", [red, small]), ("AP-R1", "22.00", [red, big]), ("AP-G5", "13.90", [green, small])]
    ):
        variant = Variant.objects.create(product=product, sku=sku, price=Decimal(price), position=position,
                                         is_in_stock=sku != "AP-G5")
        variant.option_values.set(values)
    Variant.objects.create(product=product, sku="AP-OFF", price=Decimal("9.00"), is_active=False)
    Variant.objects.filter(sku="AP-R1").update(compare_at_price=Decimal("30.00"))
    ProductImageFactory(product=product, position=2, alt_text="整箱")
    ProductImageFactory(product=product, position=1, variant=Variant.objects.get(sku="AP-G5"))
    origin = AttributeFactory(name="产地", code="origin", kind=Attribute.Kind.CHOICE, position=1)
    ProductAttributeValue.objects.create(product=product, attribute=origin,
                                         option=AttributeOptionFactory(attribute=origin, value="山东"))
    weight = AttributeFactory(name="净重", code="weight", kind=Attribute.Kind.NUMBER, unit="kg", position=2)
    ProductAttributeValue.objects.create(product=product, attribute=weight, value_number=Decimal("2.500"))
    organic = AttributeFactory(name="有机", code="organic", kind=Attribute.Kind.BOOLEAN, position=3)
    ProductAttributeValue.objects.create(product=product, attribute=organic, value_boolean=True)
    note = AttributeFactory(name="储存", code="storage", kind=Attribute.Kind.TEXT, position=4)
    ProductAttributeValue.objects.create(product=product, attribute=note, value_text="冷藏")
    product.tags.add(TagFactory(name="新鲜"), TagFactory(name="产地直发"))
    refresh_product_summary(product_ids=[product.pk])

    pear = ProductFactory(name="梨", category=category, brand=BrandFactory(name="田间"), price=Decimal("8.80"))
    Variant.objects.create(product=pear, sku="PEAR-BIG", price=Decimal("15.00"))
    refresh_product_summary(product_ids=[pear.pk])
    ProductImageFactory(product=pear, position=3, alt_text="second")
    ProductImageFactory(product=pear, position=0, alt_text="first")
    plum = ProductFactory(name="李子", category=CategoryFactory())  # no brand, no picture
    hidden = ProductFactory(name="下架", is_published=False)
    expired = ProductFactory(name="过季", available_until=timezone.now() - timedelta(days=1))
    product.related_products.add(pear, plum, hidden, expired)
    return product


def fields(instance, skip=()):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields
            if f.attname not in instance.get_deferred_fields() and f.attname not in skip}


def everything(product, related):
    return {
        "product": fields(product),
        "category": fields(product.category),
        "brand": fields(product.brand) if product.brand else None,
        "variants": [(fields(v), [(fields(ov), fields(ov.option)) for ov in v.option_values.all()])
                     for v in product.variants.all()],
        "images": [fields(image) for image in product.images.all()],
        "attributes": [(fields(value), fields(value.attribute), value.option and fields(value.option), value.display_value)
                       for value in product.attribute_values.all()],
        "tags": [fields(tag) for tag in product.tags.all()],
        "related": [(fields(other, CARD_SKIPPED), other.brand and fields(other.brand), other.price_high,
                     other.card_image_name, other.card_image_alt) for other in related],
    }


def test_the_one_query_gives_the_same_objects_as_the_prefetching_form(rich_product):
    prefetched = selectors._prefetched_product_page("apple")
    chosen = list(selectors.with_card_data(prefetched.related_products.visible().defer("search_document", "search_vector")))

    with CaptureQueriesContext(connection) as captured:
        product = product_page_in_one_query("apple")
        loaded = everything(product, product.related_cards)

    assert len(captured) == 1
    assert loaded == everything(prefetched, chosen)
    assert [other.name for other in product.related_cards] == ["李子", "梨"]  # newest first, the hidden two left out
    assert [v.sku for v in product.variants.all()] == ["AP-R5", "AP-R1", "AP-G5"]
    assert loaded["variants"][1][0]["compare_at_price"] == Decimal("30.00")
    assert [value.display_value for value in product.attribute_values.all()] == ["山东", "2.5 kg", _("Yes"), "冷藏"]


def test_money_and_numbers_come_back_as_decimals_never_floats(rich_product):
    product = product_page_in_one_query("apple")

    prices = [v.price for v in product.variants.all()] + [other.price for other in product.related_cards]
    assert all(type(price) is Decimal for price in prices)
    assert type(product.attribute_values.all()[1].value_number) is Decimal
    assert product.related_cards[1].price_high == Decimal("15.00")


def test_hidden_unknown_and_inactive_category_products_are_not_found(rich_product):
    assert product_page_in_one_query("nope") is None
    ProductFactory(slug="draft", is_published=False)
    ProductFactory(slug="later", available_from=timezone.now() + timedelta(days=1))
    ProductFactory(slug="tucked-away", category=CategoryFactory(is_active=False))
    for slug in ("draft", "later", "tucked-away"):
        assert product_page_in_one_query(slug) is None


def test_a_filter_on_a_loaded_list_still_asks_the_database(rich_product):
    product = product_page_in_one_query("apple")

    assert list(product.variants.filter(sku="AP-OFF").values_list("sku", flat=True)) == ["AP-OFF"]


@pytest.mark.django_db(transaction=True)
def test_the_statement_is_prepared_again_on_a_new_database_connection(rich_product):
    assert product_page_in_one_query("apple").pk == rich_product.pk
    connection.close()

    assert product_page_in_one_query("apple").pk == rich_product.pk


@pytest.mark.django_db(transaction=True)
def test_a_statement_dropped_from_under_the_connection_is_prepared_again(rich_product):
    assert product_page_in_one_query("apple").pk == rich_product.pk
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")  # as a pooler handing the session to someone else would

    assert product_page_in_one_query("apple").pk == rich_product.pk


def _page(client, url):
    bump_catalog_version()
    caches["pages"].clear()
    html = client.get(url).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@pytest.mark.parametrize("query", ["", "?sku=AP-R1", "?sku=AP-G5"])
def test_the_page_reads_the_same_from_the_one_query_as_from_the_prefetching_form(
    client, rich_product, monkeypatch, query
):
    fast = _page(client, f"/p/apple/{query}")
    monkeypatch.setattr(selectors, "product_page_in_one_query", selectors._prefetched_product_page)
    slow = _page(client, f"/p/apple/{query}")

    assert fast == slow
    assert "山东" in fast and "2.5 kg" in fast and "产地直发" in fast and "梨" in fast and "下架" not in fast


def test_a_cold_product_page_reads_the_product_and_its_lists_in_one_query(client, rich_product):
    client.get("/p/apple/")  # per-process tables (promotions) loaded once, as in a running process
    bump_catalog_version()
    caches["pages"].clear()

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/p/apple/")

    assert response.status_code == 200
    # The product with its variants, images, attributes, tags and related cards; the stock of the chosen
    # variant (stores); the flash-sale table, reloaded once per process after each catalogue change.
    assert len(captured) == 3, [q["sql"][:80] for q in captured.captured_queries]
    assert captured.captured_queries[0]["sql"].startswith("EXECUTE catalog_product_page")
    assert captured.captured_queries[1]["sql"].startswith("EXECUTE stores_stock_rows")


def test_a_cold_product_page_hands_its_template_the_loaded_product_not_a_lazy_one(client, rich_product):
    bump_catalog_version()
    caches["pages"].clear()

    response = client.get("/p/apple/")

    assert type(response.context["product"]) is Product
    assert response.context["product"].pk == rich_product.pk


def test_a_coupon_the_admin_offers_shows_on_product_pages_within_a_second(client, shopper):
    import time

    from django.core.cache import cache

    from marketing.models import CouponTemplate

    ProductFactory(slug="tea", price=Decimal("50.00"))
    client.force_login(shopper)  # past the guests' whole-page cache
    assert "claim-button" not in client.get("/p/tea/").content.decode()

    now = timezone.now()
    CouponTemplate.objects.create(name="满100减20", kind=CouponTemplate.Kind.THRESHOLD, amount=Decimal("20.00"),
                                  threshold=Decimal("100.00"), valid_from=now - timedelta(days=1),
                                  valid_until=now + timedelta(days=30), is_claimable=True)
    cache.delete("marketing:claimable-coupons")  # what the coupon admin does on save
    time.sleep(1.05)  # each process keeps its own copy for a second

    assert "claim-button" in client.get("/p/tea/").content.decode()


def test_the_cached_head_carries_no_related_products_or_prefetched_lists(rich_product):
    import pickle

    head = selectors.head_of(product_page_in_one_query("apple"))

    assert "related_cards" not in head.__dict__ and "_prefetched_objects_cache" not in head.__dict__
    assert [v.sku for v in pickle.loads(pickle.dumps(head)).sellable_variants] == ["AP-R5", "AP-R1", "AP-G5"]
