"""``{% product_reviews product %}``: the review block of a product page.

Used inside the page's cached fragment, so its queries (the reviews and
their photos) run only on a cache miss; publishing, rejecting or replying
bumps the catalogue version.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import template

from catalog.reviews import published_reviews

register = template.Library()


@register.inclusion_tag("catalog/_reviews.html")
def product_reviews(product, csrf_token=""):
    return {"product": product, "reviews": published_reviews(product.pk) if product.review_count else [],
            "csrf_token": csrf_token}


@register.filter
def stars(rating) -> str:
    """A rating (1–5, or an average) as filled and empty stars, rounded to the nearest whole star."""
    if rating is None:
        return ""
    whole = max(0, min(5, int(Decimal(str(rating)).quantize(Decimal(1), rounding=ROUND_HALF_UP))))
    return "★" * whole + "☆" * (5 - whole)


@register.filter
def masked_name(user) -> str:
    """How a reviewer is named in public: the first character and stars."""
    name = (getattr(user, "first_name", "") or getattr(user, "email", "") or getattr(user, "username", "") or "").strip()
    return f"{name[:1]}***" if name else "***"
