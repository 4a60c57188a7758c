"""Referrals (邀请有礼): an invite code at sign-up, then points for both sides on the invitee's first order."""

from django.conf import settings
from django.db import IntegrityError, connection, transaction

from members.models import MemberProfile, PointsEntry, ReferralReward
from members.services.accounts import ensure_member
from members.services.points import record_points_change

# How far up the chain of inviters a loop is looked for; real chains are short.
MAX_CHAIN = 50
# Any fixed number: every attach_referrer takes this PostgreSQL advisory lock.
ATTACH_LOCK_KEY = 0x4D454D52  # "MEMR"


@transaction.atomic
def attach_referrer(*, user, code: str) -> bool:
    """Record who invited the user, from the invite code typed at sign-up.

    Refuses (returns False) an unknown code, the user's own code, a code
    whose chain of inviters already contains the user (a loop), and a
    member who already has an inviter.
    """
    code = (code or "").strip().upper()
    if not code:
        return False
    member = ensure_member(user=user)
    if connection.vendor == "postgresql":
        # Two sign-ups naming each other's codes at once would each see no loop;
        # attaching one at a time (rare, at sign-up) makes the chain check sound.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ATTACH_LOCK_KEY])
    member = MemberProfile.objects.select_for_update().get(pk=member.pk)
    if member.referred_by_id is not None:
        return False
    referrer = MemberProfile.objects.filter(referral_code=code, anonymised_at=None).first()
    if referrer is None or referrer.user_id == user.pk:
        return False
    ancestor_id = referrer.referred_by_id
    for _step in range(MAX_CHAIN):
        if ancestor_id is None:
            break
        if ancestor_id == user.pk:
            return False
        ancestor_id = MemberProfile.objects.filter(user_id=ancestor_id).values_list("referred_by_id", flat=True).first()
    else:
        return False  # a chain this long is suspicious; refuse rather than guess
    member.referred_by_id = referrer.user_id
    member.save(update_fields=["referred_by"])
    return True


@transaction.atomic
def reward_referral(*, invitee_user_id: int, order_number: str) -> ReferralReward | None:
    """Credit MEMBERS_REFERRAL_POINTS to the invitee and their inviter, once per invitee.

    Returns the reward, or None if the invitee has no inviter or was already rewarded.
    """
    invitee = MemberProfile.objects.filter(user_id=invitee_user_id).first()
    if invitee is None or invitee.referred_by_id is None:
        return None
    referrer = MemberProfile.objects.filter(user_id=invitee.referred_by_id).first()
    if referrer is None:
        return None
    # Both rows locked in primary-key order, so two rewards never wait on each other in a circle.
    locked = {m.pk: m for m in MemberProfile.objects.select_for_update().filter(pk__in=[invitee.pk, referrer.pk]).order_by("pk")}
    invitee, referrer = locked[invitee.pk], locked[referrer.pk]
    if ReferralReward.objects.filter(invitee=invitee).exists():
        return None
    points = int(getattr(settings, "MEMBERS_REFERRAL_POINTS", 500))
    try:
        with transaction.atomic():
            reward = ReferralReward.objects.create(
                invitee=invitee, referrer=referrer, order_number=order_number, points_each=points
            )
    except IntegrityError:
        return None  # another call rewarded this invitee first
    if points > 0:
        reference = f"referral-{invitee_user_id}"
        for member in sorted((invitee, referrer), key=lambda m: m.pk):
            record_points_change(member, kind=PointsEntry.Kind.REFERRAL, change=points, reference=reference,
                   note=order_number)
    return reward


@transaction.atomic
def claw_back_referral(*, invitee_user_id: int, order_number: str) -> bool:
    """Take back both sides' referral points when the order that earned them was returned in full; once.

    The reward row stays, so the invitee's later orders earn no second
    reward. Points already spent stay spent: never more than the balance
    is taken. Returns True if this call took points back.
    """
    reward = ReferralReward.objects.filter(invitee__user_id=invitee_user_id, order_number=order_number).first()
    if reward is None or reward.points_each <= 0:
        return False
    ids = sorted([reward.invitee_id, reward.referrer_id])
    locked = list(MemberProfile.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    # A negative invite-reward entry: the ledger shows the reward and its clawback side by side,
    # and the reference makes it once-only.
    reference = f"referral-{invitee_user_id}-back"
    taken = False
    for member in locked:
        if PointsEntry.objects.filter(member=member, kind=PointsEntry.Kind.REFERRAL, reference=reference).exists():
            continue
        points = min(reward.points_each, member.points_balance)
        if points > 0:
            record_points_change(member, kind=PointsEntry.Kind.REFERRAL, change=-points, reference=reference,
                                 note=order_number)
            taken = True
    return taken
