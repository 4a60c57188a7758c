"""Balances and once-only rewards under real concurrency: threads on PostgreSQL, released together.

Each test asserts what every interleaving must keep, never which thread
wins. Each thread closes its own connection; a thread that does not
finish in time fails the test instead of hanging it.
"""

import threading
import time
from decimal import Decimal

import pytest
from django.db import connection

from members.exceptions import NotEnoughBalance, NotEnoughPoints
from members.models import PointsEntry, ReferralReward, WalletEntry
from members.services import (
    attach_referrer,
    complete_top_up,
    ensure_member,
    pay_from_wallet,
    reward_referral,
    spend_points,
    start_top_up,
)
from tests.members.conftest import (
    give_money,
    give_points,
    make_user,
    points_ledger_sum,
    points_of,
    wallet_ledger_sum,
    wallet_of,
)

pytestmark = pytest.mark.django_db(transaction=True)

THREAD_TIMEOUT = 30  # seconds; far more than any of these needs, short enough to catch a deadlock


def run_together(*jobs):
    """Run each job in its own thread, released at the same moment; return (result or exception) per job."""
    barrier = threading.Barrier(len(jobs))
    outcomes = [None] * len(jobs)

    def work(index, job):
        try:
            barrier.wait(timeout=THREAD_TIMEOUT)
            outcomes[index] = job()
        except BaseException as err:  # judged by the test
            outcomes[index] = err
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i, job), daemon=True) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + THREAD_TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = [thread.name for thread in threads if thread.is_alive()]
    assert not hung, f"threads still running after {THREAD_TIMEOUT}s (deadlock?): {hung}"
    return outcomes


def test_twenty_payments_of_60_against_100_let_exactly_one_through(shopper):
    member = ensure_member(user=shopper)
    give_money(member, "100.00")

    outcomes = run_together(*[
        lambda n=n: pay_from_wallet(user_id=shopper.pk, amount=Decimal("60.00"), reference=f"SO-{n}")
        for n in range(20)
    ])

    paid = [o for o in outcomes if isinstance(o, WalletEntry)]
    refused = [o for o in outcomes if isinstance(o, NotEnoughBalance)]
    assert (len(paid), len(refused)) == (1, 19), outcomes
    assert wallet_of(member) == Decimal("40.00") == wallet_ledger_sum(member)


def test_ten_redemptions_of_300_against_1000_let_exactly_three_through(shopper):
    member = ensure_member(user=shopper)
    give_points(member, 1000)

    outcomes = run_together(*[
        lambda n=n: spend_points(user_id=shopper.pk, points=300, reference=f"SO-{n}") for n in range(10)
    ])

    spent = [o for o in outcomes if isinstance(o, PointsEntry)]
    refused = [o for o in outcomes if isinstance(o, NotEnoughPoints)]
    assert (len(spent), len(refused)) == (3, 7), outcomes
    assert points_of(member) == 100 == points_ledger_sum(member)


def test_ten_reward_calls_at_once_reward_a_referral_once(shopper):
    inviter = ensure_member(user=make_user("inviter"))
    assert attach_referrer(user=shopper, code=inviter.referral_code)

    outcomes = run_together(*[
        lambda: reward_referral(invitee_user_id=shopper.pk, order_number="SO-1") for _ in range(10)
    ])

    assert [type(o) for o in outcomes].count(ReferralReward) == 1, outcomes
    assert outcomes.count(None) == 9, outcomes
    assert ReferralReward.objects.count() == 1
    assert points_of(inviter) == 500
    assert points_of(ensure_member(user=shopper)) == 500


def test_ten_identical_top_up_notices_at_once_credit_once(shopper):
    member = ensure_member(user=shopper)
    top_up = start_top_up(user_id=shopper.pk, amount=Decimal("200.00"))

    outcomes = run_together(*[
        lambda: complete_top_up(number=top_up.number, amount=Decimal("200.00"), transaction_id="T-1")
        for _ in range(10)
    ])

    assert all(o.__class__.__name__ == "WalletTopUp" and o.status == "paid" for o in outcomes), outcomes
    assert wallet_of(member) == Decimal("200.00") == wallet_ledger_sum(member)
    assert WalletEntry.objects.filter(kind="top_up").count() == 1


def test_two_members_naming_each_others_codes_at_once_never_form_a_loop(shopper):
    other = make_user("other")
    mine, theirs = ensure_member(user=shopper), ensure_member(user=other)

    outcomes = run_together(
        lambda: attach_referrer(user=shopper, code=theirs.referral_code),
        lambda: attach_referrer(user=other, code=mine.referral_code),
    )

    assert sorted(outcomes) == [False, True], outcomes


def test_ten_first_visits_at_once_make_one_member_profile(shopper):
    outcomes = run_together(*[lambda: ensure_member(user=shopper).pk for _ in range(10)])

    assert len(set(outcomes)) == 1, outcomes


def test_a_counter_top_up_posted_twice_at_once_credits_the_wallet_once(shopper):
    from members.services import staff_top_up_wallet

    member = ensure_member(user=shopper)

    def top_up():
        return staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("200.00"), reason="POS 0042", by=None,
                                   reference="counter-same-form")

    first, second = run_together(top_up, top_up)

    assert isinstance(first, WalletEntry) and isinstance(second, WalletEntry) and first.pk == second.pk
    assert wallet_of(member) == Decimal("200.00") == wallet_ledger_sum(member)


def test_two_top_ups_completed_at_once_with_one_transaction_id_credit_only_one(shopper):
    from members.exceptions import TopUpError

    member = ensure_member(user=shopper)
    numbers = [start_top_up(user_id=shopper.pk, amount=Decimal("80.00")).number for _n in range(2)]

    outcomes = run_together(
        *[lambda number=number: complete_top_up(number=number, amount=Decimal("80.00"), transaction_id="T-RACE")
          for number in numbers]
    )

    assert sorted(type(outcome).__name__ for outcome in outcomes) == sorted(["WalletTopUp", TopUpError.__name__])
    assert wallet_of(member) == Decimal("80.00") == wallet_ledger_sum(member)
