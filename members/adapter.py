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

Email verification: an account with a proved number has shown who it is, so the email
verification stage no longer stops it (a number *and* an email typed at sign-up would
otherwise mean a code and a link before the first log-in); the address it gave is still
sent its confirmation link once, at sign-up. An account without a proved number (email
only, as before phone sign-up existed) must still confirm its address before logging in.
"""

from allauth.account.adapter import DefaultAccountAdapter, get_adapter
from allauth.account.models import EmailAddress
from allauth.account.internal.flows.email_verification import send_verification_email_at_login
from allauth.account.stages import EmailVerificationStage, PhoneVerificationStage
from allauth.core import context
from allauth.core.exceptions import RateLimited
from allauth.core.internal.httpkit import headed_redirect_response
from django.contrib import messages
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from members.models import MemberProfile
from members.forms import PhoneNumberField, normalise_mobile
from members.services import ensure_member
from members.services.accounts import discard_unproved_sign_up
from members.sms import send_sms

PENDING_PHONE_SESSION_KEY = "members_pending_phone"


class PhoneAccountEmailVerificationStage(EmailVerificationStage):
    """allauth's email verification stage, passed by accounts whose number is proved."""

    def handle(self):
        user = self.login.user
        phone = AccountAdapter(self.request).get_phone(user) if user else None
        if not (phone and phone[1]):
            return super().handle()
        if self.login.signup and EmailAddress.objects.filter(user=user, verified=False).exists():
            # The optional email typed beside the number: confirm it by mail, but do not wait for it.
            send_verification_email_at_login(self.request, self.login)
        return None, True


class RateLimitedPhoneVerificationStage(PhoneVerificationStage):
    """allauth's phone verification stage, answering "wait a moment" instead of a 500 when the
    number was texted a code seconds ago (allauth allows one text per number per 30 s)."""

    def handle(self):
        try:
            return super().handle()
        except RateLimited:
            adapter = get_adapter(self.request)
            adapter.add_message(self.request, messages.ERROR, message=adapter.error_messages["rate_limited"])
            if self.login.signup and self.login.user is not None and self.login.user.pk:
                # The account this sign-up just made can be proved by no code now: drop it rather than
                # keep an account nobody can log in to (and whose email would look taken).
                discard_unproved_sign_up(user_id=self.login.user.pk)
            return headed_redirect_response("account_signup"), False


STAGE_REPLACEMENTS = {
    "allauth.account.stages.EmailVerificationStage": "members.adapter.PhoneAccountEmailVerificationStage",
    "allauth.account.stages.PhoneVerificationStage": "members.adapter.RateLimitedPhoneVerificationStage",
}


class AccountAdapter(DefaultAccountAdapter):
    def get_login_stages(self) -> list[str]:
        return [STAGE_REPLACEMENTS.get(path, path) for path in super().get_login_stages()]

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
        # However the number was typed (spaces, +86), it is stored and looked up as 11 digits.
        phone = normalise_mobile(phone) or phone
        member = MemberProfile.objects.select_related("user").filter(phone=phone).first()
        return member.user if member else None

    # --- text messages -------------------------------------------------------

    def send_verification_code_sms(self, user, phone: str, code: str, **kwargs) -> None:
        send_sms(
            phone, _("Your verification code is %(code)s. Do not share it with anyone.") % {"code": code},
            template="verification_code", params={"code": code},
        )

    def send_unknown_account_sms(self, phone: str, **kwargs) -> None:
        # Asked for a log-in code for a number no account uses: say so, and where to sign up.
        url = self._absolute("account_signup")
        send_sms(phone, _("No account uses this number yet. Sign up at %(url)s") % {"url": url},
                 template="unknown_account", params={"url": url})

    def send_account_already_exists_sms(self, phone: str) -> None:
        url = self._absolute("account_request_login_code")
        send_sms(phone, _("This number already has an account. Log in with a code at %(url)s") % {"url": url},
                 template="account_exists", params={"url": url})

    # --- helpers -------------------------------------------------------------

    def _session(self):
        request = self.request or getattr(context, "request", None)
        return getattr(request, "session", None)

    def _absolute(self, url_name: str) -> str:
        request = self.request or getattr(context, "request", None)
        path = reverse(url_name)
        return request.build_absolute_uri(path) if request is not None else path
