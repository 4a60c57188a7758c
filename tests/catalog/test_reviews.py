"""商品评价: only the buyer of a completed line reviews it, once; staff publish and reply; stars kept in step."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog.models import Product, Review
from catalog.reviews import publish_reviews, reject_reviews, reply_to_review, vote_helpful
from orders.models import Order
from orders.services.membership import count_order
from tests.factories import png_bytes, stocked_variant
from tests.orders.test_counting import completed

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(warehouse):  # noqa: F811
    return stocked_variant(store=warehouse, on_hand=50, price=Decimal("30.00"))


@pytest.fixture
def bought(shopper, variant, address, express, admin_user):  # noqa: F811
    return completed(shopper, variant, address, express, admin_user, quantity=2)


def _line(order):
    return order.lines.get()


def test_the_buyer_of_a_completed_line_reviews_it_once_with_photos_and_it_waits_for_staff(client, shopper, bought):
    client.force_login(shopper)
    line = _line(bought)
    assert line in client.get(reverse("orders:to-review")).context["lines"]

    photo = SimpleUploadedFile("cup.png", png_bytes(), content_type="image/png")
    response = client.post(reverse("orders:write-review", args=[line.pk]),
                           {"rating": "4", "text": "好喝", "photos": [photo]})

    assert response.status_code == 302
    review = Review.objects.get(order_line_id=line.pk)
    assert (review.status, review.rating, review.photos.count()) == (Review.Status.PENDING, 4, 1)
    assert Product.objects.get(pk=review.product_id).review_count == 0
    # Once reviewed the line leaves 待评价 and cannot be reviewed again.
    assert client.get(reverse("orders:write-review", args=[line.pk])).status_code == 404
    assert list(client.get(reverse("orders:to-review")).context["lines"]) == []


def test_someone_else_cannot_review_a_line_they_did_not_buy(client, bought, django_user_model):
    stranger = django_user_model.objects.create_user(username="stranger", email="s@example.com", password="x")
    client.force_login(stranger)

    response = client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "5"})

    assert response.status_code == 404
    assert not Review.objects.exists()


def test_a_line_of_an_order_not_yet_completed_cannot_be_reviewed(client, shopper, bought):
    Order.objects.filter(pk=bought.pk).update(status=Order.Status.SHIPPED)
    client.force_login(shopper)

    assert client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "5"}).status_code == 404


def test_more_than_six_photos_or_a_file_that_is_no_image_is_a_form_error(client, shopper, bought):
    client.force_login(shopper)
    url = reverse("orders:write-review", args=[_line(bought).pk])
    photos = [SimpleUploadedFile(f"p{n}.png", png_bytes(), content_type="image/png") for n in range(7)]

    assert client.post(url, {"rating": "5", "photos": photos}).status_code == 200
    fake = SimpleUploadedFile("x.png", b"not an image", content_type="image/png")
    assert client.post(url, {"rating": "5", "photos": [fake]}).status_code == 200
    assert client.post(url, {"rating": "9"}).status_code == 200
    assert not Review.objects.exists()


def test_publishing_updates_the_stars_and_the_product_page_shows_the_review_and_the_reply(
    client, shopper, bought, staff_user
):
    client.force_login(shopper)
    client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "4", "text": "香"})
    review = Review.objects.get()

    assert publish_reviews(review_ids=[review.pk]) == 1
    reply_to_review(review=review, reply="谢谢支持", staff_user=staff_user)

    product = Product.objects.get(pk=review.product_id)
    assert (product.review_count, product.rating_average) == (1, Decimal("4.00"))
    page = client.get(product.get_absolute_url()).content.decode()
    assert "香" in page and "谢谢支持" in page

    reject_reviews(review_ids=[review.pk])
    product.refresh_from_db()
    assert (product.review_count, product.rating_average) == (0, None)


def test_auto_publish_shows_a_review_at_once(client, shopper, bought, settings):
    settings.REVIEWS_AUTO_PUBLISH = True
    client.force_login(shopper)

    client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "5"})

    assert Review.objects.get().status == Review.Status.PUBLISHED
    assert Product.objects.get(pk=Review.objects.get().product_id).review_count == 1


def test_a_helpful_vote_counts_once_per_member_and_not_on_ones_own_review(client, shopper, bought, staff_user):
    client.force_login(shopper)
    client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "5"})
    review = Review.objects.get()
    publish_reviews(review_ids=[review.pk])

    assert vote_helpful(review_id=review.pk, user=staff_user) is True
    assert vote_helpful(review_id=review.pk, user=staff_user) is False
    response = client.post(reverse("catalog:review-helpful", args=[review.pk]))
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.helpful_count == 1


def test_staff_publish_and_reply_in_the_review_admin(client, shopper, bought, admin_user):
    client.force_login(shopper)
    client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "3"})
    review = Review.objects.get()
    client.force_login(admin_user)

    client.post(reverse("admin:catalog_review_changelist"),
                {"action": "publish_selected", "_selected_action": [review.pk]})
    client.post(reverse("admin:catalog_review_change", args=[review.pk]), {
        "reply": "已改进包装", "photos-TOTAL_FORMS": "0", "photos-INITIAL_FORMS": "0",
    })

    review.refresh_from_db()
    assert review.status == Review.Status.PUBLISHED
    assert (review.reply, review.replied_by) == ("已改进包装", admin_user)


def test_counting_an_order_adds_its_units_to_the_products_sales_once(shopper, bought):
    from members import services as member_services

    member_services.ensure_member(user=shopper)
    count_order(order_id=bought.pk)
    count_order(order_id=bought.pk)

    assert Product.objects.get(pk=_line(bought).variant.product_id).units_sold == 2


def test_cards_show_the_stars_from_the_product_row_without_a_query_per_card(client, shopper, bought, django_assert_max_num_queries):
    from catalog.models import Product
    from catalog.templatetags.product_cards import product_cards

    client.force_login(shopper)
    client.post(reverse("orders:write-review", args=[_line(bought).pk]), {"rating": "5"})
    publish_reviews(review_ids=[Review.objects.get().pk])
    products = list(Product.objects.all())

    with django_assert_max_num_queries(len(products) + 3):  # the card's own images, not reviews
        html = product_cards(products)

    assert "★★★★★" in html and "card-rating" in html
