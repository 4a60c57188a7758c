from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from catalog.models import Option, OptionValue, Variant
from catalog.recently_viewed import COOKIE
from catalog.services import refresh_product_summary
from tests.factories import CategoryFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tee():
    """A T-shirt in red/blue × M/L, with no blue L."""
    product = ProductFactory(name="纯棉T恤", slug="tee", price=Decimal("59.00"))
    colour, size = Option.objects.create(name="颜色", position=1), Option.objects.create(name="尺码", position=2)
    red, blue = OptionValue.objects.create(option=colour, value="红色"), OptionValue.objects.create(option=colour, value="蓝色")
    m, l = OptionValue.objects.create(option=size, value="M"), OptionValue.objects.create(option=size, value="L")
    product.variants.all().delete()
    for sku, price, values in [("TEE-RM", "59.00", [red, m]), ("TEE-RL", "69.00", [red, l]), ("TEE-BM", "79.00", [blue, m])]:
        variant = Variant.objects.create(product=product, sku=sku, price=Decimal(price), is_in_stock=sku != "TEE-BM")
        variant.option_values.set(values)
    Variant.objects.filter(sku="TEE-RL").update(compare_at_price=Decimal("99.00"))
    refresh_product_summary(product_ids=[product.pk])
    return product


def choices(response):
    return {
        group.option.name: {choice.value: (choice.variant.sku, choice.is_selected, choice.is_exact) for choice in group.values}
        for group in response.context["option_choices"]
    }


def test_the_product_page_shows_the_first_variant_by_default(client, tee):
    response = client.get("/p/tee/")

    assert response.context["variant"].sku == "TEE-RM"
    assert "¥59.00" in response.content.decode()


def test_choosing_a_variant_by_link_shows_its_price_and_compare_at_price(client, tee):
    response = client.get("/p/tee/", {"sku": "TEE-RL"})
    page = response.content.decode()

    assert response.context["variant"].sku == "TEE-RL"
    assert "¥69.00" in page and "<del>¥99.00</del>" in page


def test_each_option_value_links_to_the_variant_that_keeps_the_other_choices(client, tee):
    response = client.get("/p/tee/", {"sku": "TEE-RM"})

    assert choices(response) == {
        "颜色": {"红色": ("TEE-RM", True, True), "蓝色": ("TEE-BM", False, True)},
        "尺码": {"M": ("TEE-RM", True, True), "L": ("TEE-RL", False, True)},
    }


def test_a_value_with_no_exact_match_links_to_another_variant_that_has_it(client, tee):
    response = client.get("/p/tee/", {"sku": "TEE-BM"})

    assert choices(response)["尺码"]["L"] == ("TEE-RL", False, False)


def test_an_unknown_sku_falls_back_to_the_first_variant(client, tee):
    assert client.get("/p/tee/", {"sku": "nope\x00"}).context["variant"].sku == "TEE-RM"


def test_unpublished_scheduled_expired_and_unknown_products_are_404(client):
    ProductFactory(slug="draft", is_published=False)
    ProductFactory(slug="soon", available_from=timezone.now() + timedelta(hours=1))
    ProductFactory(slug="gone", available_until=timezone.now() - timedelta(hours=1))

    for slug in ["draft", "soon", "gone", "never-was"]:
        response = client.get(f"/p/{slug}/")
        assert response.status_code == 404
        assert "base.html" in [t.name for t in response.templates]


def test_a_product_inside_its_window_is_visible(client):
    ProductFactory(
        slug="now",
        available_from=timezone.now() - timedelta(hours=1),
        available_until=timezone.now() + timedelta(hours=1),
    )

    assert client.get("/p/now/").status_code == 200


def test_the_breadcrumb_walks_the_category_tree(client):
    root = CategoryFactory(name="生鲜果蔬")
    leaf = CategoryFactory(name="苹果", parent=CategoryFactory(name="水果", parent=root))
    ProductFactory(slug="fuji", category=leaf)

    crumbs = [category.name for category in client.get("/p/fuji/").context["ancestors"]]

    assert crumbs == ["生鲜果蔬", "水果", "苹果"]


def test_products_of_one_category_share_its_breadcrumb_and_a_renamed_category_shows_at_once(client):
    fruit = CategoryFactory(name="水果")
    apples, pears = CategoryFactory(name="苹果", parent=fruit), CategoryFactory(name="梨", parent=fruit)
    ProductFactory(slug="fuji", category=apples)
    ProductFactory(slug="gala", category=apples)
    ProductFactory(slug="ya", category=pears)
    client.get("/p/fuji/")  # draws the apples' breadcrumb

    gala, ya = client.get("/p/gala/").content.decode(), client.get("/p/ya/").content.decode()
    assert 'href="/c/' + apples.slug + '/">苹果</a>' in gala and ">梨<" not in gala
    assert 'href="/c/' + pears.slug + '/">梨</a>' in ya and ">苹果<" not in ya

    apples.name = "红富士苹果"
    apples.save()  # the catalogue version moves with the save

    assert ">红富士苹果</a>" in client.get("/p/gala/").content.decode()


def test_related_products_are_staff_chosen_else_from_the_same_category(client):
    product = ProductFactory(slug="main")
    neighbour = ProductFactory(category=product.category)
    chosen = ProductFactory()

    assert client.get("/p/main/").context["related"] == [neighbour]

    product.related_products.add(chosen)
    assert client.get("/p/main/").context["related"] == [chosen]


def test_recently_viewed_lists_earlier_products_newest_first(client):
    first, second, third = ProductFactory(slug="one"), ProductFactory(slug="two"), ProductFactory(slug="three")

    client.get("/p/one/")
    client.get("/p/two/")
    response = client.get("/p/three/")

    assert response.context["recently_viewed"] == [second, first]
    assert response.cookies[COOKIE].value == f"{third.pk}.{second.pk}.{first.pk}"


def test_a_tampered_recently_viewed_cookie_is_ignored(client):
    ProductFactory(slug="one")
    client.cookies[COOKIE] = "abc.-1.99999999999999999999.<script>"

    response = client.get("/p/one/")

    assert response.status_code == 200
    assert response.context["recently_viewed"] == []


def test_the_chosen_variant_says_whether_it_is_in_stock(client, tee):
    assert "availability in-stock" in client.get("/p/tee/", {"sku": "TEE-RM"}).content.decode()
    sold_out = client.get("/p/tee/", {"sku": "TEE-BM"}).content.decode()
    assert "availability sold-out" in sold_out
    assert 'class="option unavailable"' in sold_out or "unavailable" in sold_out
