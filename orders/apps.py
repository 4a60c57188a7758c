from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = _("Orders")

    def ready(self):
        from orders import auth_backends, signals  # noqa: F401  (the user row read with the session; the log-in cart merge)
