"""Carry a guest's cart into the member's cart when they log in (a side concern of logging in)."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from orders.services.cart import merge_carts


@receiver(user_logged_in, dispatch_uid="orders-merge-cart-on-login")
def merge_cart_on_login(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        merge_carts(session=request.session, user=user)
