"""收藏 and 到货通知: a member keeps a product, or asks to be told once when a sold-out variant returns."""

from django.db import IntegrityError, transaction

from members.models import BackInStockRequest, Favourite


def toggle_favourite(*, user, product_id: int) -> bool:
    """Save the product for the member, or remove it if saved; True if it is saved now."""
    deleted, _ = Favourite.objects.filter(user=user, product_id=product_id).delete()
    if deleted:
        return False
    try:
        with transaction.atomic():
            Favourite.objects.create(user=user, product_id=product_id)
    except IntegrityError:
        pass  # a double tap saved it already
    return True


def request_back_in_stock(*, user, variant_id: int) -> bool:
    """Ask to be told when the variant is back; True if a new request was made (one waits at a time)."""
    try:
        with transaction.atomic():
            BackInStockRequest.objects.create(user=user, variant_id=variant_id)
    except IntegrityError:
        return False  # already waiting: the partial unique constraint keeps one open request
    return True


def cancel_back_in_stock(*, user, variant_id: int) -> int:
    deleted, _ = BackInStockRequest.objects.filter(user=user, variant_id=variant_id, notified_at__isnull=True).delete()
    return deleted
