"""Helpful votes on published reviews (a real form; the product page stays cached for everyone)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog.models import Review
from catalog.reviews import ReviewError, vote_helpful


@login_required
@require_POST
def review_helpful(request, review_id):
    review = get_object_or_404(Review.objects.select_related("product"), pk=review_id,
                               status=Review.Status.PUBLISHED)
    try:
        counted = vote_helpful(review_id=review.pk, user=request.user)
    except ReviewError as err:
        messages.error(request, err.message)
    else:
        if counted:
            messages.success(request, _("Thank you for your vote."))
        else:
            messages.info(request, _("You have already found this review helpful."))
    return redirect(f"{review.product.get_absolute_url()}#reviews")
