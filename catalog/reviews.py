"""商品评价: writes that carry the review rules, and the reads the product page needs.

The catalogue sits below orders, so it never looks at orders itself: the
caller (orders.review_views) proves the shopper bought the line and the order
is completed, and passes the line's id. ``order_line_id`` is unique on
``Review``, so a line is reviewed once even when two posts race.

A review shows only once published (by staff, or at once when
REVIEWS_AUTO_PUBLISH is on); ``Product.review_count`` / ``rating_average``
are recomputed from published reviews in the same transaction as every
change of status, so cards can show stars without a query each.
"""

from decimal import ROUND_HALF_UP, Decimal
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from catalog.cache import bump_catalog_version
from catalog.images import render_thumbnail
from catalog.models import Product, Review, ReviewPhoto, ReviewVote

MAX_PHOTOS = 6
RATING_STEP = Decimal("0.01")
THUMBNAIL_SIZE = (360, 360)


class ReviewError(Exception):
    """A review the shopper cannot write or vote on, with a message a page can show."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _auto_publish() -> bool:
    return getattr(settings, "REVIEWS_AUTO_PUBLISH", False)


def refresh_review_summary(*, product_id: int) -> None:
    """Recompute the product's published review count and average (two decimals, half up)."""
    figures = Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED).aggregate(
        count=Count("id"), average=Avg("rating")
    )
    average = figures["average"]
    if average is not None:
        average = Decimal(str(average)).quantize(RATING_STEP, rounding=ROUND_HALF_UP)
    Product.objects.filter(pk=product_id).update(review_count=figures["count"], rating_average=average)
    # Cards and product pages are cached on the catalogue version: stars change only with it.
    transaction.on_commit(bump_catalog_version)


def submit_review(*, user, product_id: int, variant_id: int | None, order_line_id: int, order_number: str,
                  rating: int, text: str, photos=()) -> Review:
    """Write the one review of a bought line, with up to six photos; raises ReviewError if it exists or is invalid.

    Photos must already have passed ``validate_image_file`` (the form does it, as for product images).
    """
    photos = list(photos)
    if not 1 <= int(rating) <= 5:
        raise ReviewError(_("Choose between one and five stars."))
    if len(photos) > MAX_PHOTOS:
        raise ReviewError(_("Add at most %(count)s photos.") % {"count": MAX_PHOTOS})
    publish = _auto_publish()
    try:
        with transaction.atomic():
            review = Review.objects.create(
                product_id=product_id, variant_id=variant_id, user=user, order_line_id=order_line_id,
                order_number=order_number, rating=int(rating), text=text.strip(),
                status=Review.Status.PUBLISHED if publish else Review.Status.PENDING,
                published_at=timezone.now() if publish else None,
            )
            for position, upload in enumerate(photos):
                photo = ReviewPhoto(review=review, position=position)
                photo.image.save(f"{review.pk}-{position}-{upload.name}"[-90:], upload, save=False)
                photo.thumbnail.save(f"{review.pk}-{position}.jpg", render_thumbnail(photo.image.file, THUMBNAIL_SIZE),
                                     save=False)
                photo.save()
            if publish:
                refresh_review_summary(product_id=product_id)
    except IntegrityError:
        raise ReviewError(_("You have already reviewed this item.")) from None
    return review


@transaction.atomic
def publish_reviews(*, review_ids) -> int:
    """Publish pending (or rejected) reviews and update their products' stars; returns how many changed."""
    reviews = list(Review.objects.select_for_update().filter(pk__in=list(review_ids)).exclude(
        status=Review.Status.PUBLISHED).order_by("pk"))
    now = timezone.now()
    for review in reviews:
        review.status = Review.Status.PUBLISHED
        review.published_at = review.published_at or now
        review.save(update_fields=["status", "published_at"])
    for product_id in {review.product_id for review in reviews}:
        refresh_review_summary(product_id=product_id)
    return len(reviews)


@transaction.atomic
def reject_reviews(*, review_ids) -> int:
    """Hide reviews (a published one leaves the product's stars too); returns how many changed."""
    reviews = list(Review.objects.select_for_update().filter(pk__in=list(review_ids)).exclude(
        status=Review.Status.REJECTED).order_by("pk"))
    for review in reviews:
        review.status = Review.Status.REJECTED
        review.save(update_fields=["status"])
    for product_id in {review.product_id for review in reviews}:
        refresh_review_summary(product_id=product_id)
    return len(reviews)


def reply_to_review(*, review: Review, reply: str, staff_user) -> Review:
    """Record the shop's reply (an empty text removes it)."""
    review.reply = reply.strip()
    review.replied_by = staff_user if review.reply else None
    review.replied_at = timezone.now() if review.reply else None
    review.save(update_fields=["reply", "replied_by", "replied_at"])
    if review.status == Review.Status.PUBLISHED:
        transaction.on_commit(bump_catalog_version)
    return review


def vote_helpful(*, review_id: int, user) -> bool:
    """Count one member's "helpful" once; True if this call counted it. Raises ReviewError on one's own review."""
    review = Review.objects.filter(pk=review_id, status=Review.Status.PUBLISHED).first()
    if review is None:
        raise ReviewError(_("This review is not shown."))
    if review.user_id == user.pk:
        raise ReviewError(_("You cannot vote on your own review."))
    try:
        with transaction.atomic():
            ReviewVote.objects.create(review=review, user=user)
            Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    except IntegrityError:
        return False
    transaction.on_commit(partial(bump_catalog_version))
    return True


def published_reviews(product_id: int, *, limit: int = 10):
    """The newest published reviews of a product with their photos, in two queries."""
    return list(
        Review.objects.filter(product_id=product_id, status=Review.Status.PUBLISHED)
        .select_related("variant", "user").prefetch_related("photos").order_by("-published_at", "-id")[:limit]
    )
