"""The one lock order of the shop, and the helpers that take each lock.

Every service that holds more than one row lock takes them in this order,
and never the other way round, so two requests that need the same rows
queue behind each other instead of deadlocking (ARCHITECTURE.md, "One lock
order"):

    1. cart            lock_cart(user_id)
    2. order           lock_order(order_id)           (one order at a time)
    3. stock rows      stores.services (always by primary key, per store)
    4. member account  lock_member(user_id)           (points and stored value)
    5. coupon / quota rows, by primary key            (marketing)

A service that needs a later lock first and an earlier one afterwards is a
deadlock waiting to happen: restructure it (read what you need first, take
the locks in order, then write). Provider calls (gateway, mail) never run
under any of these locks: they go after commit.

Rows that belong to one order (its lines, payments, refunds and their legs)
are guarded by the order's lock: take it before reading what they allow.
Examples, each a service that holds several of these at once:

- checkout: cart → the new order → stock rows (reserve) → member (points, wallet).
- refund_order (orders/services/refunds.py): order → stock rows (the
  reservation freed by a full refund before shipping, or returned units put
  back) → member (wallet leg, points back, points earned and spend taken
  back). Taking the member first here deadlocks with a checkout of the same
  member and SKU (tests/orders/test_lock_order.py shows both orders).
- paying out a refund leg: the provider is called with no lock at all; only
  recording its answer takes the order, then the leg.
"""

from django.db import transaction

from members.models import MemberProfile
from members.services import accounts as member_services
from orders.models import Cart, Order


def _require_transaction() -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("row locks are taken inside a transaction")


def lock_cart(user_id: int) -> Cart | None:
    """1. The member's cart row, or None when they have none."""
    _require_transaction()
    # One row at most (one cart per member): no ORDER BY needed, as first() would add.
    return next(iter(Cart.objects.select_for_update().filter(user_id=user_id)[:1]), None)


def lock_order(order_id: int) -> Order:
    """2. One order row. Raises Order.DoesNotExist."""
    _require_transaction()
    return Order.objects.select_for_update().get(pk=order_id)


def lock_member(user_id: int) -> MemberProfile:
    """4. The member's account row (points and stored-value balances), made first if the user has none."""
    _require_transaction()
    return member_services.lock_member(user_id=user_id)
