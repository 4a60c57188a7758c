from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self):
        from allauth.account.signals import user_signed_up

        from members.views import attach_referrer_on_sign_up

        # A sign-up is allauth's flow, not ours, so its signal is the one place to hook it.
        user_signed_up.connect(attach_referrer_on_sign_up, dispatch_uid="members_attach_referrer_on_sign_up")
