from orders.services.cart import cart_count


def cart(request):
    """The header's cart badge. Lazy: pages that never show it run no query."""
    return {"cart_count": lambda: cart_count(request)}
