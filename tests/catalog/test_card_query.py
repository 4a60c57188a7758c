"""A listing's cards read by one fixed SQL query give what the ORM's card queryset gives."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog import card_query
from catalog.cache import pages_cache
from catalog.models import Product, ProductImage, Variant
from catalog.selectors import PageCards, cards_by_ids, products_by_ids_in_order, visible_products, with_card_data
from catalog.templatetags.product_cards import product_cards
from tests.factories import BrandFactory, ProductFactory, ProductImageFactory

pytestmark = pytest.mark.django_db


def own_values(instance) -> dict:
    return {name: value for name, value in instance.__dict__.items() if name != "_state"}


@pytest.fixture
def products():
    """Products with and without a brand, pictures (a thumbnail, only an upload, none) and several prices."""
    brand = BrandFactory(slug="north")
    with_thumbnail = ProductFactory(brand=brand, price=Decimal("12.50"))
    Variant.objects.create(product=with_thumbnail, sku="DEARER", price=Decimal("19.90"))
    Variant.objects.create(product=with_thumbnail, sku="HIDDEN", price=Decimal("99.00"), is_active=False)
    first = ProductImageFactory(product=with_thumbnail, position=0, alt_text="正面")
    ProductImageFactory(product=with_thumbnail, position=1, alt_text="背面")
    ProductImage.objects.filter(pk=first.pk).update(card_thumbnail="thumbs/card/front.webp")
    upload_only = ProductFactory(brand=None)
    image = ProductImageFactory(product=upload_only, alt_text="")
    ProductImage.objects.filter(pk=image.pk).update(card_thumbnail="")
    no_picture = ProductFactory(brand=brand)
    return [with_thumbnail, upload_only, no_picture]


def test_cards_by_ids_gives_field_for_field_what_with_card_data_gives(products):
    ids = [product.pk for product in products]

    cards = cards_by_ids(ids)

    orm = {product.pk: product for product in with_card_data(visible_products().filter(pk__in=ids))}
    assert len(cards) == len(orm) == 3
    for card in cards:
        expected = orm[card.pk]
        assert own_values(card) == own_values(expected)
        assert card.get_deferred_fields() == expected.get_deferred_fields()
        assert card._state.db == expected._state.db and card._state.adding is expected._state.adding
        assert card._state.fields_cache.keys() == expected._state.fields_cache.keys() == {"brand"}
        if expected.brand is None:
            assert card.brand is None
        else:
            assert own_values(card.brand) == own_values(expected.brand)
    first = cards[0]
    assert (first.price_high, first.card_image_name, first.card_image_alt) == (
        Decimal("19.90"), "thumbs/card/front.webp", "正面"
    )
    assert isinstance(first.price_high, Decimal)
    assert cards[1].card_image_name == ProductImage.objects.get(product=products[1]).image.name
    assert (cards[2].card_image_name, cards[2].card_image_alt) == (None, None)


def test_cards_by_ids_reads_the_cards_and_their_brands_in_one_query(products):
    ids = [product.pk for product in products]

    with CaptureQueriesContext(connection) as captured:
        cards = cards_by_ids(ids)
        [card.brand for card in cards]
        [(card.name, card.price, card.slug) for card in cards]

    assert len(captured.captured_queries) == 1


def test_cards_by_ids_keeps_the_ids_order(products):
    ids = [products[2].pk, products[0].pk, products[1].pk]

    assert [card.pk for card in cards_by_ids(ids)] == ids
    assert [card.pk for card in products_by_ids_in_order(list(reversed(ids)))] == list(reversed(ids))


def test_cards_by_ids_drops_invisible_and_unknown_products(products):
    unpublished = ProductFactory(is_published=False)
    not_yet = ProductFactory()
    ended = ProductFactory()
    now = timezone.now()
    Product.objects.filter(pk=not_yet.pk).update(available_from=now + timedelta(days=1))
    Product.objects.filter(pk=ended.pk).update(available_until=now - timedelta(days=1))
    ids = [unpublished.pk, products[0].pk, not_yet.pk, 999_999, ended.pk, products[1].pk]

    assert [card.pk for card in cards_by_ids(ids)] == [products[0].pk, products[1].pk]


def test_cards_by_ids_of_no_ids_is_empty_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert cards_by_ids([]) == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prepared statement is PostgreSQL's")
def test_cards_by_ids_runs_a_statement_prepared_once_per_connection(products):
    ids = [product.pk for product in products]
    cards_by_ids(ids)

    with CaptureQueriesContext(connection) as captured:
        cards = cards_by_ids(ids)

    assert [card.pk for card in cards] == ids
    assert [query["sql"].split(" (")[0] for query in captured.captured_queries] == ["EXECUTE catalog_cards"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prepared statement is PostgreSQL's")
def test_cards_by_ids_prepares_its_statement_again_when_the_connection_lost_it(products):
    ids = [product.pk for product in products]
    assert [card.pk for card in cards_by_ids(ids)] == ids
    with connection.cursor() as cursor:
        cursor.execute("DISCARD ALL")  # as a pooler handing the session to someone else would

    assert [card.pk for card in cards_by_ids(ids)] == ids
    connection.close()
    assert [card.pk for card in cards_by_ids(ids)] == ids


def test_a_prepared_statements_text_may_number_its_parameters_or_give_them_in_order():
    from catalog.fixed_sql import _with_numbered_placeholders, _with_psycopg_placeholders

    assert _with_numbered_placeholders("SELECT %s + %s") == "SELECT $1 + $2"
    assert _with_numbered_placeholders("SELECT $1 + $1") == "SELECT $1 + $1"
    assert _with_psycopg_placeholders("SELECT $2 - $1 + $2", ["a", "b"]) == ("SELECT %s - %s + %s", ["b", "a", "b"])


def test_a_statement_with_a_stray_percent_sign_is_never_prepared():
    from catalog.fixed_sql import _with_numbered_placeholders, _with_psycopg_placeholders

    with pytest.raises(ValueError):
        _with_numbered_placeholders("SELECT name FROM t WHERE name LIKE 'a%' AND id = %s")
    with pytest.raises(ValueError):
        _with_psycopg_placeholders("SELECT name FROM t WHERE name LIKE 'a%' AND id = $1", [1])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the prepared statement is PostgreSQL's")
def test_cards_by_ids_sends_the_plain_text_where_preparing_is_off(products, monkeypatch):
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "prepare_threshold", None)
    ids = [product.pk for product in products]

    with CaptureQueriesContext(connection) as captured:
        cards = cards_by_ids(ids)

    assert [card.pk for card in cards] == ids
    assert [query["sql"][:7] for query in captured.captured_queries] == ["SELECT "]


def test_a_card_drawn_from_what_it_shows_is_the_card_drawn_from_the_whole_row(products, django_assert_num_queries):
    ids = [product.pk for product in products]
    whole = product_cards(cards_by_ids(ids))
    pages_cache().clear()  # the cards are drawn again

    with django_assert_num_queries(1):  # the faces' read, nothing per card
        faces = product_cards(PageCards(ids))

    assert faces == whole and faces.count('<li class="product-card">') == 3


def test_a_product_read_for_its_card_only_reads_the_rest_when_asked(products):
    face = cards_by_ids([products[0].pk], faces_only=True)[0]

    assert set(face.get_deferred_fields()) == {
        field.attname for field in Product._meta.concrete_fields
    } - set(card_query.CARD_FACE_FIELDS)
    assert face.brand.name == products[0].brand.name and face.price_high == Decimal("19.90")
    assert face.created_at == Product.objects.get(pk=face.pk).created_at  # a deferred field, read on demand
