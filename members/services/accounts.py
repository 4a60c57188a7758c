"""Member accounts: the profile beside the user, the row lock every balance change takes,
marketing consent, and the PIPL rights (export, deletion by anonymisation)."""

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from members.exceptions import ErasureNotYet
from members.models import Address, MemberProfile, ReferralReward, Tier
from shop.money import format_money

# Upper-case letters and digits a shopper cannot mistake for one another (no I/L/1, O/0).
REFERRAL_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERRAL_CODE_LENGTH = 8
CREATE_ATTEMPTS = 10


def new_referral_code() -> str:
    return "".join(secrets.choice(REFERRAL_ALPHABET) for _ in range(REFERRAL_CODE_LENGTH))


def ensure_member(*, user) -> MemberProfile:
    """Return the user's member profile, creating it (lowest tier, unique invite code) if missing.

    Safe under concurrency: when two requests create it at once, the loser
    fetches the winner's row; a clash of invite codes draws a new one.
    """
    member = MemberProfile.objects.filter(user=user).first()
    if member is not None:
        return member
    tier = Tier.objects.order_by("rank").first()
    for _attempt in range(CREATE_ATTEMPTS):
        try:
            with transaction.atomic():
                return MemberProfile.objects.create(
                    user=user, referral_code=new_referral_code(),
                    tier=tier, tier_since=timezone.now() if tier else None,
                )
        except IntegrityError:
            member = MemberProfile.objects.filter(user=user).first()
            if member is not None:
                return member
            # The user has no profile, so the unique clash was the invite code: draw again.
    raise RuntimeError("could not draw a free invite code")  # 31^8 codes; never in practice


def lock_member(*, user_id: int) -> MemberProfile:
    """The member row locked for this transaction (created first if the user has none).

    Every balance change takes this lock, so the check and the write that
    follows see the same balance. Call inside transaction.atomic.
    """
    try:
        return MemberProfile.objects.select_for_update().get(user_id=user_id)
    except MemberProfile.DoesNotExist:
        ensure_member(user=get_user_model().objects.get(pk=user_id))
        return MemberProfile.objects.select_for_update().get(user_id=user_id)


@transaction.atomic
def set_marketing_consent(*, user, consent: bool) -> MemberProfile:
    """Record the member's marketing consent and when it was given or withdrawn."""
    member = lock_member(user_id=user.pk)
    member.marketing_consent = bool(consent)
    member.marketing_consent_at = timezone.now()
    member.save(update_fields=["marketing_consent", "marketing_consent_at"])
    return member


def _plain(value):
    """JSON-ready: Decimal as its exact string, dates and times in ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _rows(queryset, fields: list[str]) -> list[dict]:
    return [{field: _plain(value) for field, value in row.items()} for row in queryset.values(*fields)]


def export_member_data(*, user) -> dict:
    """Everything the shop holds about the member, JSON-ready (PIPL right of access and portability).

    Apps above members add their part through settings.MEMBERS_EXPORT_PROVIDERS
    (dotted paths of functions taking the user and returning a dict).
    """
    member = ensure_member(user=user)
    data = {
        "account": {
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _plain(user.date_joined),
        },
        "profile": {
            "phone": member.phone,
            "birthday": _plain(member.birthday),
            "gender": member.gender,
            "marketing_consent": member.marketing_consent,
            "marketing_consent_at": _plain(member.marketing_consent_at),
            "tier": member.tier.name if member.tier else None,
            "tier_since": _plain(member.tier_since),
            "points_balance": member.points_balance,
            "wallet_balance": _plain(member.wallet_balance),
            "total_spend": _plain(member.total_spend),
            "last_order_at": _plain(member.last_order_at),
            "referral_code": member.referral_code,
            "tags": list(member.tags.values_list("name", flat=True)),
            "member_since": _plain(member.created_at),
            "deletion_requested_at": _plain(member.deletion_requested_at),
        },
        "addresses": _rows(
            Address.objects.filter(user=user).order_by("created_at"),
            ["recipient", "phone", "province", "city", "district", "detail", "is_default", "created_at"],
        ),
        "points": _rows(
            member.points_entries.order_by("created_at", "id"),
            ["kind", "change", "balance_after", "reference", "note", "expires_on", "created_at"],
        ),
        "wallet": _rows(
            member.wallet_entries.order_by("created_at", "id"),
            ["kind", "change", "balance_after", "reference", "note", "created_at"],
        ),
        "top_ups": _rows(
            member.top_ups.order_by("created_at"),
            ["number", "amount", "bonus", "status", "created_at", "paid_at"],
        ),
        "tier_changes": _rows(
            member.tier_changes.order_by("created_at", "id"),
            ["from_tier__name", "to_tier__name", "reason", "created_at"],
        ),
        "referrals": {
            # Who invited whom names other people: give their invite codes, never their contact details.
            "invited_by_code": (
                MemberProfile.objects.filter(user_id=member.referred_by_id).values_list("referral_code", flat=True).first()
            ),
            "invited_count": MemberProfile.objects.filter(referred_by=user).count(),
            "rewards_as_invitee": _rows(ReferralReward.objects.filter(invitee=member),
                                        ["order_number", "points_each", "created_at"]),
            "rewards_as_referrer": _rows(member.referral_rewards_given.order_by("created_at"),
                                         ["order_number", "points_each", "created_at"]),
        },
    }
    for path in getattr(settings, "MEMBERS_EXPORT_PROVIDERS", []):
        data.update(import_string(path)(user))
    return data


@transaction.atomic
def request_deletion(*, user) -> MemberProfile:
    """Record the member's request to be erased and stop marketing at once; staff then anonymise."""
    member = lock_member(user_id=user.pk)
    now = timezone.now()
    fields = ["marketing_consent", "marketing_consent_at"]
    if member.deletion_requested_at is None:
        member.deletion_requested_at = now
        fields.append("deletion_requested_at")
    if member.marketing_consent:
        member.marketing_consent = False
        member.marketing_consent_at = now
    member.save(update_fields=fields)
    return member


@transaction.atomic
def anonymise_member(*, user) -> MemberProfile:
    """Erase the member's personal data (PIPL) but keep orders and ledgers for the accounts.

    The account can no longer log in; ledgers keep amounts only. Apps above
    members erase their own copies through settings.MEMBERS_ERASURE_HOOKS
    (dotted paths of functions taking the user), in this same transaction.
    Running it twice changes nothing more.

    Raises ErasureNotYet, changing nothing, while the shop still owes the member
    something: a wallet balance (once erased, nobody could prove the money is
    theirs) or, from a hook, an order still to be delivered to the address it
    would blank. Staff settle first (refund the wallet, finish or cancel the order).
    """
    from allauth.account.models import EmailAddress

    member = lock_member(user_id=user.pk)
    if member.anonymised_at is not None:
        return member
    if member.wallet_balance != 0:
        raise ErasureNotYet([
            _("The wallet still holds %(balance)s, money the shop owes the member: refund it before the account "
              "is erased.") % {"balance": format_money(member.wallet_balance)}
        ])
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=user.pk)
    placeholder = f"deleted-{user.pk}@invalid"
    user.email = placeholder
    setattr(user, User.USERNAME_FIELD, placeholder)
    user.first_name = ""
    user.last_name = ""
    user.is_active = False
    user.set_unusable_password()  # also ends every session: their auth hash no longer matches
    user.save(update_fields=["email", User.USERNAME_FIELD, "first_name", "last_name", "is_active", "password"])
    EmailAddress.objects.filter(user=user).delete()
    Address.objects.filter(user=user).delete()

    now = timezone.now()
    member.phone = ""
    member.birthday = None
    member.gender = MemberProfile.Gender.UNSPECIFIED
    member.marketing_consent = False
    member.marketing_consent_at = now
    member.anonymised_at = now
    if member.deletion_requested_at is None:
        member.deletion_requested_at = now
    member.save(update_fields=[
        "phone", "birthday", "gender", "marketing_consent", "marketing_consent_at", "anonymised_at",
        "deletion_requested_at",
    ])
    member.tags.clear()  # segment tags are profiling
    for path in getattr(settings, "MEMBERS_ERASURE_HOOKS", []):
        import_string(path)(user)
    return member


def discard_unproved_sign_up(*, user_id: int) -> bool:
    """Delete an account a sign-up made moments ago whose number can be proved by no code now
    (texted too recently); True if it went. Anything already hanging on it (a ledger entry)
    keeps it, since such an account is no longer "just made"."""
    try:
        with transaction.atomic():
            deleted, _count = get_user_model().objects.filter(pk=user_id, member__phone="").delete()
    except (ProtectedError, IntegrityError):
        return False
    return bool(deleted)
