"""Member reads shared by the member centre, the admin and other apps."""

from django.db.models import QuerySet

from members.models import MemberProfile, PointsEntry, WalletEntry


def member_for(user) -> MemberProfile:
    """The user's member profile (created on first use) with its tier loaded."""
    from members.services import ensure_member

    member = ensure_member(user=user)
    return MemberProfile.objects.select_related("tier", "user").get(pk=member.pk)


def points_history(member: MemberProfile) -> QuerySet[PointsEntry]:
    """The member's points entries, newest first; bookkeeping rows that changed nothing are left out."""
    return PointsEntry.objects.filter(member=member).exclude(change=0).order_by("-created_at", "-id")


def wallet_history(member: MemberProfile) -> QuerySet[WalletEntry]:
    """The member's wallet entries, newest first."""
    return WalletEntry.objects.filter(member=member).order_by("-created_at", "-id")
