"""The member code shown at the till (QR + barcode): a member id with a keyed MAC, so codes cannot be guessed.

``M<id>-<mac>``: the MAC is an HMAC of the id under the project's SECRET_KEY
(salted for this use), 12 base32 characters (60 bits), so counting through ids
finds nobody. Printed or screenshotted codes stay valid until SECRET_KEY
rotates; the counter sale calls ``member_by_code`` to find the member.
"""

import base64
import re

from django.utils.crypto import constant_time_compare, salted_hmac

from members.models import MemberProfile

SALT = "members.member-code"
CODE = re.compile(r"^M(?P<id>\d{1,12})-(?P<mac>[A-Z2-7]{12})$")


def _mac(user_id: int) -> str:
    digest = salted_hmac(SALT, str(user_id), algorithm="sha256").digest()
    return base64.b32encode(digest[:8]).decode("ascii")[:12]


def member_code_for(member: MemberProfile) -> str:
    """The code this member shows at the till."""
    return f"M{member.user_id}-{_mac(member.user_id)}"


def member_by_code(code: str) -> MemberProfile | None:
    """The active member whose code this is (typed or scanned, any case), or None for any other input."""
    match = CODE.match((code or "").strip().upper())
    if match is None:
        return None
    user_id = int(match["id"])
    if not constant_time_compare(match["mac"], _mac(user_id)):
        return None
    return MemberProfile.objects.select_related("user", "tier").filter(user_id=user_id, user__is_active=True).first()
