"""The back office's site: the shop's own name, and a navigation by task instead of by Django app.

Staff think in jobs (orders to fulfil, the store's stock, the catalogue, members, marketing,
reports), not in which app holds a model, so the index and the side navigation group models
into those sections. Models are named by "app_label.ModelName" strings only: the project
package imports no app.
"""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.utils.translation import gettext_lazy as _

# (section key, title, models in the order staff reach for them); a model not named here lands
# in the section of its app (APP_SECTIONS), so a new model is never hidden.
SECTIONS = [
    ("orders", _("Orders"), ["orders.Order", "orders.ReturnRequest", "orders.Payment", "orders.Refund",
                             "orders.ShippingMethod"]),
    ("stores", _("Stores"), ["stores.Stock", "stores.Transfer", "stores.Stocktake", "stores.LowStockAlert",
                             "stores.StockMovement", "stores.Store", "stores.StoreStaff"]),
    ("catalogue", _("Catalogue"), ["catalog.Product", "catalog.Category", "catalog.Brand", "catalog.Tag"]),
    ("members", _("Members"), ["members.MemberProfile", "members.Tier", "members.MemberTag"]),
    ("marketing", _("Marketing"), []),
    ("reports", _("Reports"), []),
    ("system", _("System"), []),
]
APP_SECTIONS = {
    "orders": "orders", "stores": "stores", "catalog": "catalogue", "members": "members",
    "marketing": "marketing", "analytics": "reports",
}


class ShopAdminSite(admin.AdminSite):
    site_url = "/"

    @property
    def site_header(self):
        return settings.SHOP_NAME

    @property
    def site_title(self):
        return settings.SHOP_NAME

    index_title = _("Back office")

    def get_app_list(self, request, app_label=None):
        apps = super().get_app_list(request, app_label)
        if app_label is not None:
            return apps  # an app's own index page keeps Django's shape
        return group_by_task(apps)


def group_by_task(apps: list[dict]) -> list[dict]:
    """Django's app list regrouped into SECTIONS, each section's models in the order named there."""
    position = {name: (index, rank) for index, (_key, _title, names) in enumerate(SECTIONS)
                for rank, name in enumerate(names)}
    sections = {key: [] for key, _title, _names in SECTIONS}
    for app in apps:
        for model in app["models"]:
            name = f"{app['app_label']}.{model['object_name']}"
            if name in position:
                key = SECTIONS[position[name][0]][0]
            else:
                key = APP_SECTIONS.get(app["app_label"], "system")
            sections[key].append((position.get(name, (0, len(position)))[1], str(model["name"]), model, app))
    grouped = []
    for key, title, _names in SECTIONS:
        rows = sorted(sections[key], key=lambda row: (row[0], row[1]))
        if not rows:
            continue
        first_app = rows[0][3]
        grouped.append({
            "name": title, "app_label": first_app["app_label"], "app_url": first_app["app_url"],
            "has_module_perms": True, "models": [row[2] for row in rows], "section": key,
        })
    return grouped


class ShopAdminConfig(AdminConfig):
    default_site = "shop.admin_site.ShopAdminSite"
