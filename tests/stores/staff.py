"""Store people for the transfer and stocktake tests: a manager or clerk of given stores, with admin rights."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from stores.models import StoreStaff

STORE_PERMS = ["view_transfer", "add_transfer", "change_transfer", "view_stocktake", "add_stocktake",
               "change_stocktake", "view_lowstockalert", "view_stock"]


def store_person(username, *, stores, role=StoreStaff.Role.CLERK):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="stores", codename__in=STORE_PERMS))
    for store in stores:
        StoreStaff.objects.create(store=store, user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)
