"""The permission group of each store role, and assigning a person to a store in one step.

A StoreStaff row says where someone works and as what; the group says which admin pages and
buttons that role gets. Store staff look at the catalogue and prices but never change them
(head office's), look members up, and act on their own stores' orders and stock (the scoping
is stores.admin_scoping). A clerk's refunds are capped by STORE_CLERK_REFUND_LIMIT (in the
refund service); approving transfers and applying stocktakes ask stores.selectors.can_manage_store.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from stores.models import StoreStaff

GROUP_NAMES = {StoreStaff.Role.MANAGER: "Store managers", StoreStaff.Role.CLERK: "Store clerks"}

_LOOK = [
    "catalog.view_product", "catalog.view_variant", "catalog.view_category", "catalog.view_brand",
    "catalog.view_tag", "stores.view_store", "members.view_memberprofile", "members.view_tier",
]
_WORK = [
    # fulfil, pick-up, counter sale and receiving stock all move orders or stock through services
    "orders.view_order", "orders.change_order", "orders.add_order", "orders.view_payment", "orders.view_refund",
    "orders.view_returnrequest", "stores.view_stock", "stores.change_stock", "stores.view_stockmovement",
    "stores.view_lowstockalert", "stores.view_transfer", "stores.add_transfer", "stores.change_transfer",
    "stores.view_stocktake", "stores.add_stocktake", "stores.change_stocktake", "members.add_walletentry",
    "marketing.view_coupon", "marketing.view_coupontemplate",
]
ROLE_PERMISSIONS = {
    StoreStaff.Role.CLERK: _LOOK + _WORK,
    StoreStaff.Role.MANAGER: _LOOK + _WORK + ["orders.change_returnrequest", "members.add_pointsentry"],
}


def _permissions(names: list[str]):
    condition = Q(pk__in=[])
    for name in names:
        app_label, codename = name.split(".")
        condition |= Q(content_type__app_label=app_label, codename=codename)
    return Permission.objects.filter(condition)


def ensure_role_groups() -> dict[str, Group]:
    """Create or refresh the group of each role so it holds exactly that role's permissions."""
    groups = {}
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))
        groups[role] = group
    return groups


@transaction.atomic
def assign_store_role(*, user, store, role: str) -> StoreStaff:
    """Make ``user`` staff of ``store`` in ``role``, with the admin access and the group that role needs."""
    groups = ensure_role_groups()
    row, _created = StoreStaff.objects.update_or_create(store=store, user=user, defaults={"role": role})
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(groups[role])
    return row
