from functools import cache

from django.conf import settings
from django.urls import reverse


@cache
def _nav_urls() -> dict[str, str]:
    # Reversed once per process: the header and tab bar are on every page.
    return {
        "home": reverse("home"),
        "search": reverse("catalog:search"),
        "categories": reverse("catalog:category-list"),
        "cart": reverse("orders:cart-detail"),
        "account": reverse("members:overview"),
        "login": reverse("account_login"),
    }


def shop(request):
    return {
        "SHOP_NAME": settings.SHOP_NAME,
        "SHOP_CURRENCY": settings.SHOP_CURRENCY,
        "NAV": _nav_urls(),
    }
