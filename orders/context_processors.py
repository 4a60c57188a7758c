from functools import cache

from orders.services.cart import cart_count


def cart(request):
    """The header's cart badge. Lazy: pages that never show it run no query.

    Remembered for the request: the header and the tab bar both show it, and a
    template calls a callable afresh each time it reads it.
    """
    return {"cart_count": cache(lambda: cart_count(request))}
