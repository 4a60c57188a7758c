"""Staff attribution (导购): an online order placed through a staff member's share link records that staff member.

A share link is any shop URL with ``?guide=<code>``; the code is the staff
user's id with a keyed MAC (``G<id>-<mac>``), so nobody can credit a sale to
a colleague by counting ids. The middleware remembers a valid code in a
signed cookie for ``ORDERS_GUIDE_DAYS`` days (it survives logging in, unlike
the session), and checkout credits the order to that staff member.
"""

import base64
import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils.crypto import constant_time_compare, salted_hmac

from orders.models import Order

SALT = "orders.guide-code"
COOKIE = "shop_guide"
CODE = re.compile(r"^G(?P<id>\d{1,12})-(?P<mac>[A-Z2-7]{10})$")


def _mac(user_id: int) -> str:
    digest = salted_hmac(SALT, str(user_id), algorithm="sha256").digest()
    return base64.b32encode(digest[:8]).decode("ascii")[:10]


def guide_code_for(user) -> str:
    return f"G{user.pk}-{_mac(user.pk)}"


def staff_for_guide_code(code: str):
    """The active store staff member (or staff user) whose share code this is, or None for any other input."""
    match = CODE.match((code or "").strip().upper())
    if match is None or not constant_time_compare(match["mac"], _mac(int(match["id"]))):
        return None
    return get_user_model().objects.filter(pk=int(match["id"]), is_active=True, store_roles__isnull=False).first()


def _days() -> int:
    return int(getattr(settings, "ORDERS_GUIDE_DAYS", 7))


def guide_from_request(request):
    """The staff member whose share link brought this visitor (within the remembered days), or None."""
    code = request.COOKIES.get(COOKIE) and request.get_signed_cookie(COOKIE, default="", salt=SALT, max_age=_days() * 86400)
    return staff_for_guide_code(code) if code else None


def credit_guide(*, order_id: int, staff) -> bool:
    """Record the share link's staff member on an online order, once; a counter sale already has its clerk."""
    if staff is None:
        return False
    return bool(Order.objects.filter(pk=order_id, sales_staff__isnull=True).update(sales_staff=staff))


class GuideLinkMiddleware:
    """Remember ``?guide=<code>`` from a staff member's share link in a signed cookie (a bad code is ignored)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        code = request.GET.get("guide", "")
        if code and len(code) <= 30 and staff_for_guide_code(code) is not None:
            response.set_signed_cookie(COOKIE, code.strip().upper(), salt=SALT, max_age=_days() * 86400,
                                       httponly=True, samesite="Lax", secure=request.is_secure())
        return response
