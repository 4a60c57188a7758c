"""The member's 待评价 list and the review form of one bought line (the review itself is catalog.reviews)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from catalog.forms_reviews import ReviewForm
from catalog.reviews import ReviewError, submit_review
from orders.reviews import line_to_review, lines_to_review


@login_required
def to_review(request):
    return render(request, "orders/reviews/to_review.html", {"lines": lines_to_review(request.user)[:50]})


@login_required
def write_review(request, line_id):
    line = line_to_review(request.user, line_id)
    form = ReviewForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = submit_review(
                user=request.user, product_id=line.variant.product_id, variant_id=line.variant_id,
                order_line_id=line.pk, order_number=line.order.number, rating=form.cleaned_data["rating"],
                text=form.cleaned_data["text"], photos=form.cleaned_data["photos"],
            )
        except ReviewError as err:
            messages.error(request, err.message)
            return redirect("orders:to-review")
        if review.status == review.Status.PUBLISHED:
            messages.success(request, _("Thank you: your review is published."))
        else:
            messages.success(request, _("Thank you: your review will show once we have checked it."))
        return redirect("orders:to-review")
    return render(request, "orders/reviews/write_review.html", {"line": line, "form": form})
