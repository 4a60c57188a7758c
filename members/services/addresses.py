"""Member writes: the address book."""

from django.db import transaction

from members.models import Address


@transaction.atomic
def save_address(*, address: Address) -> Address:
    """Save an address; the member's first address, or one marked default, becomes the only default."""
    others = Address.objects.select_for_update().filter(user_id=address.user_id).exclude(pk=address.pk)
    if not others.exists():
        address.is_default = True
    if address.is_default:
        others.filter(is_default=True).update(is_default=False)
    address.save()
    return address


@transaction.atomic
def delete_address(*, address: Address) -> None:
    """Delete an address; if it was the default, the newest remaining one takes over."""
    was_default = address.is_default
    user_id = address.user_id
    address.delete()
    if was_default:
        successor = Address.objects.select_for_update().filter(user_id=user_id).order_by("-created_at").first()
        if successor:
            successor.is_default = True
            successor.save(update_fields=["is_default"])
