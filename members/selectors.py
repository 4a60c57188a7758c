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


def is_favourite(*, user, product_id: int) -> bool:
    """Whether the member has saved the product (one EXISTS query; False for a guest without one)."""
    if not user.is_authenticated:
        return False
    from members.models import Favourite

    return Favourite.objects.filter(user=user, product_id=product_id).exists()


def product_favourite_context(request, product, variant) -> dict:
    """The product page's 收藏 button state (named in CATALOG_PRODUCT_CONTEXT_PROVIDERS).

    A guest asks nothing, so the guest page cached whole stays the same for every guest; a
    member's page is never served from that cache, and pays one query for the state.
    """
    return {"is_favourite": is_favourite(user=request.user, product_id=product.pk)}
