"""Member writes. Every balance change locks the member row, writes a ledger entry
with the balance after it, then updates the cached balance (see ARCHITECTURE.md).

Split by subject; import from here: ``from members.services import spend_points``.
"""

from members.services.accounts import (
    anonymise_member,
    ensure_member,
    export_member_data,
    request_deletion,
    set_marketing_consent,
)
from members.services.addresses import delete_address, save_address
from members.services.points import (
    award_points_for_order,
    expire_points,
    max_points_for,
    points_value,
    restore_points,
    restore_points_share,
    reverse_points_for_refund,
    spend_points,
    staff_adjust_points,
)
from members.services.referrals import attach_referrer, claw_back_referral, reward_referral
from members.services.tiers import evaluate_tier, record_order_activity
from members.services.wallet import (
    complete_top_up,
    pay_from_wallet,
    refund_to_wallet,
    staff_adjust_wallet,
    staff_top_up_wallet,
    start_top_up,
)

__all__ = [
    "anonymise_member", "attach_referrer", "claw_back_referral", "award_points_for_order", "complete_top_up", "delete_address",
    "ensure_member", "evaluate_tier", "expire_points", "export_member_data", "max_points_for",
    "pay_from_wallet", "points_value", "record_order_activity", "refund_to_wallet", "request_deletion",
    "restore_points", "restore_points_share", "reverse_points_for_refund", "reward_referral", "save_address", "set_marketing_consent",
    "spend_points", "staff_adjust_points", "staff_adjust_wallet", "staff_top_up_wallet", "start_top_up",
]
