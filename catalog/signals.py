"""Cache busting: any change to what the storefront shows bumps the catalogue version.

Signals are right here (a side concern, not the flow): they catch edits from
the admin and the shell alike. Bulk writes that send no signals bump the
version themselves (catalog.services, stores.services).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save

from catalog import models
from catalog.cache import bump_catalog_version

WATCHED = (
    models.Category,
    models.Brand,
    models.Tag,
    models.Attribute,
    models.AttributeOption,
    models.Product,
    models.Option,
    models.OptionValue,
    models.Variant,
    models.ProductAttributeValue,
    models.ProductImage,
)
WATCHED_M2M = (
    models.Category.filter_attributes.through,
    models.Product.tags.through,
    models.Product.related_products.through,
    models.Variant.option_values.through,
)


def bump_on_change(sender, **kwargs):
    bump_catalog_version()


def bump_after_migrate(sender, **kwargs):
    """Every deploy migrates: data cached by the code before it (kept in the shared cache, see
    catalog.cache.shared_cached) is never read by the code after it, whose shapes may differ."""
    bump_catalog_version()


def bump_on_m2m_change(sender, action, **kwargs):
    if action in ("post_add", "post_remove", "post_clear"):
        bump_catalog_version()


# Connected per model: a receiver for every sender would also slow every other
# model's saves and stop Django's fast bulk deletes everywhere.
for model in WATCHED:
    post_save.connect(bump_on_change, sender=model, dispatch_uid=f"catalog-cache-save-{model.__name__}")
    post_delete.connect(bump_on_change, sender=model, dispatch_uid=f"catalog-cache-delete-{model.__name__}")
for through in WATCHED_M2M:
    m2m_changed.connect(bump_on_m2m_change, sender=through, dispatch_uid=f"catalog-cache-m2m-{through.__name__}")
