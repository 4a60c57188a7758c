"""allauth's account adapter for the shop: where phone numbers live and how codes are texted.

Where a number lives
    allauth keeps no phone numbers itself; it asks the adapter. A *verified* number is
    ``MemberProfile.phone`` (unique when not empty): a number reaches the profile only
    once its owner has typed the code texted to it, so "on the profile" means
    "verified" and no extra flag (or migration) is needed. A number typed at sign-up
    but not yet proved waits in the session beside the half-finished sign-up, which is
    the only place allauth asks for it (the phone verification stage runs in the same
    browser). If the shopper gives up, the number is simply forgotten and stays free
    for whoever proves it.

Email shoppers are untouched: the email verification stage still stops every account
that has an email address until it is confirmed. Only an account with no email
address at all and a proved phone number passes it, because the code already proved
who the shopper is.
"""

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.models import EmailAddress
from allauth.account.stages import EmailVerificationStage
from allauth.core import context
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from members.models import MemberProfile
from members.forms import PhoneNumberField
from members.services import ensure_member
from members.sms import send_sms

PENDING_PHONE_SESSION_KEY = "members_pending_phone"


class PhoneAccountEmailVerificationStage(EmailVerificationStage):
    """allauth's email verification stage, skipped for phone-only accounts whose number is proved."""

    def handle(self):
        user = self.login.user
        if user and not user.email and not EmailAddress.objects.filter(user=user).exists():
            phone = AccountAdapter(self.request).get_phone(user)
            if phone and phone[1]:
                return None, True
        return super().handle()


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        stages = super().get_login_stages()
        return [
            "members.adapter.PhoneAccountEmailVerificationStage"
            if path == "allauth.account.stages.EmailVerificationStage" else path
            for path in stages
        ]

    # --- phone numbers -------------------------------------------------------

    def phone_form_field(self, **kwargs):
        return PhoneNumberField(**kwargs)

    def set_phone(self, user, phone: str, verified: bool) -> None:
        if verified:
            self.set_phone_verified(user, phone)
            return
        session = self._session()
        if session is not None:
            session[PENDING_PHONE_SESSION_KEY] = {"user_id": user.pk, "phone": phone}

    def get_phone(self, user) -> tuple[str, bool] | None:
        phone = MemberProfile.objects.filter(user_id=user.pk).exclude(phone="").values_list("phone", flat=True).first()
        if phone:
            return phone, True
        session = self._session()
        pending = session.get(PENDING_PHONE_SESSION_KEY) if session is not None else None
        if pending and pending.get("user_id") == user.pk:
            return pending["phone"], False
        return None

    def set_phone_verified(self, user, phone: str) -> None:
        member = ensure_member(user=user)
        with transaction.atomic():
            # The number belongs to whoever proved it last: a stale copy on an old
            # account (a number recycled by the carrier) is released, not duplicated.
            MemberProfile.objects.filter(phone=phone).exclude(pk=member.pk).update(phone="")
            MemberProfile.objects.filter(pk=member.pk).update(phone=phone)
        session = self._session()
        if session is not None and (session.get(PENDING_PHONE_SESSION_KEY) or {}).get("user_id") == user.pk:
            del session[PENDING_PHONE_SESSION_KEY]

    def get_user_by_phone(self, phone: str):
        member = MemberProfile.objects.select_related("user").filter(phone=phone).first()
        return member.user if member else None

    # --- text messages -------------------------------------------------------

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(phone, _("Your verification code is %(code)s. Do not share it with anyone.") % {"code": code})

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # Asked for a log-in code for a number no account uses: say so, and where to sign up.
        send_sms(phone, _("No account uses this number yet. Sign up at %(url)s") % {"url": self._absolute("members:phone-signup")})

    def send_account_already_exists_sms(self, phone: str) -> None:
        send_sms(phone, _("This number already has an account. Log in with a code at %(url)s") % {
            "url": self._absolute("account_request_login_code"),
        })

    # --- helpers -------------------------------------------------------------

    def _session(self):
        request = self.request or getattr(context, "request", None)
        return getattr(request, "session", None)

    def _absolute(self, url_name: str) -> str:
        request = self.request or getattr(context, "request", None)
        path = reverse(url_name)
        return request.build_absolute_uri(path) if request is not None else path
