"""当前门店: the store a shopper shops from, remembered per shopper, and the public store list.

The choice lives in a cookie for everyone (guests included) and, for members, in the session as well,
so it follows a member who logs in on a new phone after choosing. Reads fall back from the session
to the cookie; an unknown or closed store is ignored, never an error.
"""

from django.conf import settings
from django.core.cache import caches

from stores.models import Store

SESSION_KEY = "stores_selected_store"
STORE_SECONDS = 60


def pickup_stores():
    """Active stores that hand over pick-up orders, in the shop's order (the store list page)."""
    return list(Store.objects.filter(is_active=True, is_pickup_enabled=True, kind=Store.Kind.STORE)
                .order_by("priority", "code"))


def store_by_code(code: str) -> Store | None:
    if not code or len(code) > 20:
        return None
    key = f"stores:storefront:{code}"
    local = caches["pages"]
    store = local.get(key)
    if store is None:
        store = Store.objects.filter(code=code, is_active=True, is_pickup_enabled=True,
                                     kind=Store.Kind.STORE).first() or False
        local.set(key, store, STORE_SECONDS)
    return store or None


def selected_store(request) -> Store | None:
    session = getattr(request, "session", None)
    code = ""
    if session is not None and request.user.is_authenticated:
        code = session.get(SESSION_KEY, "")
    return store_by_code(code or request.COOKIES.get(settings.SHOP_STORE_COOKIE, ""))


def remember_store(request, response, store: Store) -> None:
    response.set_cookie(settings.SHOP_STORE_COOKIE, store.code, max_age=365 * 24 * 3600, samesite="Lax",
                        httponly=True, secure=request.is_secure())
    if request.user.is_authenticated:
        request.session[SESSION_KEY] = store.code


def selected_store_context(request, product, variant) -> dict:
    """The product page's 当前门店 line: whether the chosen store has the variant for pick-up today.

    Named in CATALOG_PRODUCT_CONTEXT_PROVIDERS after product_availability, whose pick-up list it reads
    (so no extra stock query); a page for a visitor with a store cookie is never served from the guest cache.
    """
    store = selected_store(request)
    if store is None or variant is None:
        return {"selected_store": None, "selected_store_available": 0}
    from stores.selectors import product_availability

    figures = product_availability(request, product, variant)
    available = next((entry["available"] for entry in figures["pickup_stores"] if entry["store"].pk == store.pk), 0)
    return {"selected_store": store, "selected_store_available": available}


def map_link(store: Store) -> str:
    """A map search for the store's address (Amap's public URI API; opens the app on a phone)."""
    from urllib.parse import urlencode

    return "https://uri.amap.com/search?" + urlencode({"keyword": f"{store.name} {store.address}".strip(),
                                                      "src": "shop"})
