"""Recently viewed products, kept in a cookie so that browsing writes nothing to the database."""

from django.conf import settings

COOKIE = "recently_viewed"
MAX_AGE = 60 * 60 * 24 * 30


def viewed_product_ids(request) -> list[int]:
    raw = request.COOKIES.get(COOKIE, "")
    ids = []
    for part in raw.split(".")[: settings.CATALOG_RECENTLY_VIEWED + 1]:
        if part.isdigit() and len(part) < 12:
            ids.append(int(part))
    return ids


def remember_product(request, response, product_id: int) -> None:
    ids = [product_id, *(pk for pk in viewed_product_ids(request) if pk != product_id)]
    value = ".".join(str(pk) for pk in ids[: settings.CATALOG_RECENTLY_VIEWED + 1])
    response.set_cookie(COOKIE, value, max_age=MAX_AGE, samesite="Lax", httponly=True)
