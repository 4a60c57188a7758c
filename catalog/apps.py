from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "catalog"
    verbose_name = _("Catalogue")

    def ready(self):
        from catalog import signals  # connects cache busting

        post_migrate.connect(signals.bump_after_migrate, sender=self, dispatch_uid="catalog-cache-migrate")
