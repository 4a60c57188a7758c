"""Cache busting: any change to what the storefront shows bumps the catalogue version.

Signals are right here (a side concern, not the flow): they catch edits from
the admin and the shell alike. Bulk writes that send no signals bump the
version themselves (catalog.services, stores.services).
"""

from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

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


@receiver(post_save, dispatch_uid="catalog-cache-save")
@receiver(post_delete, dispatch_uid="catalog-cache-delete")
def bump_on_change(sender, **kwargs):
    if sender in WATCHED:
        bump_catalog_version()


@receiver(m2m_changed, dispatch_uid="catalog-cache-m2m")
def bump_on_m2m_change(sender, action, **kwargs):
    if sender in WATCHED_M2M and action in ("post_add", "post_remove", "post_clear"):
        bump_catalog_version()
