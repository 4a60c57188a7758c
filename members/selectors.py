"""Member reads shared by the member centre, the admin and other apps."""

from functools import cache

from django.db import connections, router
from django.db.models import QuerySet

from members.models import Favourite, MemberProfile, PointsEntry, WalletEntry


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
    """Whether the member has saved the product (one query; False for a guest without one).

    Every product page a member opens asks this; the SQL is written once per process, since building
    the ORM's EXISTS cost more in Python than PostgreSQL needs to answer it.
    """
    if not user.is_authenticated:
        return False
    alias = router.db_for_read(Favourite)
    with connections[alias].cursor() as cursor:
        cursor.execute(_favourite_sql(alias), [user.pk, product_id])
        return cursor.fetchone() is not None


@cache
def _favourite_sql(alias: str) -> str:
    """SELECT one row of the user's favourite of a product (params: the user id, the product id)."""
    quote = connections[alias].ops.quote_name
    meta = Favourite._meta
    user, product = (quote(meta.get_field(name).column) for name in ("user", "product"))
    return f"SELECT 1 FROM {quote(meta.db_table)} WHERE {user} = %s AND {product} = %s LIMIT 1"


def product_favourite_context(request, product, variant) -> dict:
    """The product page's 收藏 button state (named in CATALOG_PRODUCT_CONTEXT_PROVIDERS).

    A guest asks nothing, so the guest page cached whole stays the same for every guest; a
    member's page is never served from that cache, and pays one query for the state.
    """
    return {"is_favourite": is_favourite(user=request.user, product_id=product.pk)}
