"""A member's cart page reads its lines, their first pictures and the member (profile and tier) in one round trip.

orders.cart_selectors.member_cart_variants_fixed sends checkout's reads of the lines and the member
(orders.checkout_queries) and the pictures' read as one query on PostgreSQL; these tests hold the page to what
it showed before: a member without a profile, an empty cart and a product without a picture included.
"""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.fixed_sql import sends_statements_together
from catalog.models import ProductImage
from members.models import MemberProfile, Tier
from members.services import ensure_member
from orders.cart_selectors import member_cart_variants, member_cart_variants_fixed
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.factories import ProductImageFactory, stocked_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def gold_member(shopper):
    member = ensure_member(user=shopper)
    member.tier = Tier.objects.create(name="金卡", code="gold", rank=3, discount_percent=Decimal("10"))
    member.save(update_fields=["tier"])
    return member


def _cart_page(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("orders:cart-detail"))
    assert response.status_code == 200
    return response.content.decode(), [query["sql"] for query in captured.captured_queries]


def test_the_cart_page_is_the_session_with_the_user_and_one_round_trip_for_lines_pictures_and_member(
    member_client, shopper, warehouse, gold_member
):
    assert sends_statements_together()
    for _ in range(3):
        add_to_cart(cart=MemberCart(shopper), variant_id=stocked_variant(store=warehouse).pk, quantity=1)
    member_client.get(reverse("orders:cart-detail"))  # per-process tables (promotions) are read once

    html, queries = _cart_page(member_client)

    assert len(queries) == 2
    assert html.count('<li class="cart-line') == 3
    assert "金卡" in html  # the tier's discount, priced from the member read in the same round trip


def test_the_member_read_with_the_lines_is_the_one_checkout_reads(shopper, warehouse, gold_member):
    variant = stocked_variant(store=warehouse)
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=2)

    lines, member = member_cart_variants_fixed(shopper.pk)

    assert [(line.pk, quantity) for line, quantity in lines] == [(variant.pk, 2)]
    assert member.pk == gold_member.pk
    assert member.tier.discount_percent == Decimal("10")
    assert member.may_hold_usable_coupon is False


def test_the_lines_read_in_one_round_trip_carry_what_the_queryset_gives_them(shopper, warehouse, gold_member):
    pictured, bare = stocked_variant(store=warehouse), stocked_variant(store=warehouse)
    ProductImageFactory(product=pictured.product, position=2)
    first = ProductImageFactory(product=pictured.product, position=1)
    first.refresh_from_db()  # its card thumbnail, made after the upload
    for variant in (pictured, bare):
        add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)

    fixed, fixed_member = member_cart_variants_fixed(shopper.pk)
    orm, orm_member = member_cart_variants(shopper.pk)

    def shown(lines):
        return [(v.pk, q, v.product.name, v.on_sale, v.options_label, v.card_image_url) for v, q in lines]

    assert shown(fixed) == shown(orm)
    assert fixed[0][0].card_image_url == first.card_url
    assert fixed[1][0].card_image_url == ""
    assert fixed_member.pk == orm_member.pk


def test_a_picture_whose_card_thumbnail_is_not_made_yet_shows_the_uploaded_image(shopper, warehouse):
    variant = stocked_variant(store=warehouse)
    image = ProductImageFactory(product=variant.product)
    ProductImage.objects.filter(pk=image.pk).update(card_thumbnail="")
    image.refresh_from_db()
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)

    (line, _quantity), = member_cart_variants_fixed(shopper.pk)[0]

    assert line.card_image_url == image.card_url == image.image.url


def test_a_member_without_a_profile_gets_a_priced_cart_page_and_a_profile_made_for_them(member_client, shopper, warehouse):
    add_to_cart(cart=MemberCart(shopper), variant_id=stocked_variant(store=warehouse).pk, quantity=1)
    assert not MemberProfile.objects.filter(user=shopper).exists()

    assert member_cart_variants_fixed(shopper.pk)[1] is None
    html, _queries = _cart_page(member_client)

    assert html.count('<li class="cart-line') == 1
    assert MemberProfile.objects.filter(user=shopper).exists()  # by the view's member_for_checkout


def test_an_empty_cart_page_needs_no_profile_and_one_round_trip_besides_the_session(member_client, shopper):
    member_client.get(reverse("orders:cart-detail"))

    html, queries = _cart_page(member_client)

    assert len(queries) == 2
    assert 'class="cart-line' not in html
    assert member_cart_variants_fixed(shopper.pk) == ([], None)


def test_a_line_whose_product_has_no_picture_shows_the_empty_frame(member_client, shopper, warehouse, gold_member):
    variant = stocked_variant(store=warehouse)
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)

    html, _queries = _cart_page(member_client)

    assert '<span class="no-image"></span>' in html
    assert "<img " not in html.split('<li class="cart-line', 1)[1].split("</li>", 1)[0]


def test_a_line_shows_the_first_picture_of_its_product(member_client, shopper, warehouse, gold_member):
    variant = stocked_variant(store=warehouse)
    ProductImageFactory(product=variant.product, position=5)
    first = ProductImageFactory(product=variant.product, position=0)
    first.refresh_from_db()
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)

    html, _queries = _cart_page(member_client)

    assert f'<img src="{first.card_url}"' in html


@pytest.mark.django_db(transaction=True)
def test_the_cart_page_still_reads_its_lines_when_the_prepared_statements_were_dropped_from_the_connection(
    member_client, shopper, warehouse
):
    gold = Tier.objects.create(name="金卡", code="gold", rank=3, discount_percent=Decimal("10"))
    MemberProfile.objects.filter(pk=ensure_member(user=shopper).pk).update(tier=gold)
    add_to_cart(cart=MemberCart(shopper), variant_id=stocked_variant(store=warehouse).pk, quantity=1)
    member_client.get(reverse("orders:cart-detail"))
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")  # as a pooler handing the session to someone else would

    lines, member = member_cart_variants_fixed(shopper.pk)
    html, queries = _cart_page(member_client)

    assert len(lines) == 1 and member.tier_id == gold.pk
    assert html.count('<li class="cart-line') == 1 and "金卡" in html
    assert len(queries) == 2  # the statements prepared again, the page is one round trip again
