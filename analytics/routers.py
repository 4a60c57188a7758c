"""Send analytics reads to a replica when ANALYTICS_DATABASE_URL names one (DATABASES["analytics"]).

Only reads of analytics' own tables (the facts, traffic, reports) go there:
writes, and every read of another app, stay on the primary, so a page never
reads its own write from a replica that has not caught up.
"""

from django.conf import settings


class AnalyticsReplicaRouter:
    replica = "analytics"

    def db_for_read(self, model, **hints):
        if model._meta.app_label == "analytics" and self.replica in settings.DATABASES:
            return self.replica
        return None

    def db_for_write(self, model, **hints):
        return "default" if model._meta.app_label == "analytics" else None

    def allow_relation(self, obj1, obj2, **hints):
        # The replica holds the same rows as the primary: relations between them are fine.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        # The replica follows the primary; nothing is migrated on it directly.
        return False if db == self.replica else None
