from django.apps import AppConfig
from django.db.models.signals import post_migrate


def name_the_site(sender, **kwargs):
    """Keep django.contrib.sites' record (used in account emails) named after the shop, not example.com."""
    from django.conf import settings
    from django.contrib.sites.models import Site
    from django.utils import translation

    # Named in the shop's own language (it heads account email subjects), not migrate's.
    with translation.override(settings.LANGUAGE_CODE):
        name = str(settings.SHOP_NAME)[:50]
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": settings.SHOP_DOMAIN, "name": name})


class ShopConfig(AppConfig):
    name = "shop"
    verbose_name = "Shop"

    def ready(self):
        from shop import lookups  # noqa: F401  (registers the any_of lookup)

        post_migrate.connect(name_the_site, sender=self, dispatch_uid="shop-name-the-site")
