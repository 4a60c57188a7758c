"""The stored-value wallet: payments and refunds once per reference, top-ups with the best bonus, staff entries."""

import re
from decimal import Decimal

import pytest
from django.utils import translation

from members.exceptions import MemberError, NotEnoughBalance, TopUpError
from members.models import TopUpBonusRule, WalletEntry, WalletTopUp
from members.services import (
    complete_top_up,
    pay_from_wallet,
    refund_to_wallet,
    staff_adjust_wallet,
    staff_top_up_wallet,
    start_top_up,
)
from tests.members.conftest import give_money, wallet_ledger_sum, wallet_of

pytestmark = pytest.mark.django_db


def test_paying_from_the_wallet_writes_a_payment_entry_and_lowers_the_balance(member):
    give_money(member, "100.00")

    entry = pay_from_wallet(user_id=member.user_id, amount=Decimal("36.50"), reference="SO-1")

    assert (entry.kind, entry.change, entry.balance_after) == (WalletEntry.Kind.PAYMENT, Decimal("-36.50"), Decimal("63.50"))
    assert wallet_of(member) == Decimal("63.50") == wallet_ledger_sum(member)


def test_paying_twice_for_the_same_order_takes_the_money_once(member):
    give_money(member, "100.00")

    first = pay_from_wallet(user_id=member.user_id, amount=Decimal("60.00"), reference="SO-1")
    second = pay_from_wallet(user_id=member.user_id, amount=Decimal("60.00"), reference="SO-1")

    assert second.pk == first.pk
    assert wallet_of(member) == Decimal("40.00")


def test_paying_more_than_the_balance_is_refused_with_a_message(member):
    give_money(member, "10.00")

    with translation.override("en"), pytest.raises(NotEnoughBalance) as refused:
        pay_from_wallet(user_id=member.user_id, amount=Decimal("10.01"), reference="SO-1")

    assert refused.value.message == "Your wallet balance is ¥10.00, not enough for ¥10.01."
    assert wallet_of(member) == Decimal("10.00")


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1.00"), Decimal("0.001"), 1.5, "NaN"])
def test_a_wallet_payment_must_be_a_positive_amount_in_cents(member, amount):
    with pytest.raises(ValueError):
        pay_from_wallet(user_id=member.user_id, amount=amount, reference="SO-1")


def test_a_refund_to_the_wallet_is_credited_once_per_reference(member):
    first = refund_to_wallet(user_id=member.user_id, amount=Decimal("25.00"), reference="RF-1")
    second = refund_to_wallet(user_id=member.user_id, amount=Decimal("25.00"), reference="RF-1")

    assert second.pk == first.pk
    assert first.kind == WalletEntry.Kind.REFUND
    assert wallet_of(member) == Decimal("25.00")


# --- top-ups --------------------------------------------------------------------------

@pytest.fixture
def bonus_rules(db):
    TopUpBonusRule.objects.create(pay_at_least=Decimal("100"), bonus=Decimal("5"))
    TopUpBonusRule.objects.create(pay_at_least=Decimal("500"), bonus=Decimal("50"))
    TopUpBonusRule.objects.create(pay_at_least=Decimal("1000"), bonus=Decimal("150"), is_active=False)


@pytest.mark.parametrize("amount, bonus", [("99.99", "0"), ("100", "5"), ("499", "5"), ("500", "50"), ("2000", "50")])
def test_a_top_up_gets_the_bonus_of_the_best_active_rule_it_reaches(member, bonus_rules, amount, bonus):
    top_up = start_top_up(user_id=member.user_id, amount=Decimal(amount))

    assert top_up.bonus == Decimal(bonus)
    assert top_up.status == WalletTopUp.Status.PENDING
    assert re.fullmatch(r"TU\d{16}", top_up.number)


@pytest.mark.parametrize("amount", ["0.99", "50000.01", "10.001", "-5", "abc"])
def test_a_top_up_outside_one_to_fifty_thousand_yuan_is_refused(member, amount):
    with translation.override("en"), pytest.raises(TopUpError) as refused:
        start_top_up(user_id=member.user_id, amount=amount)

    assert refused.value.message == "Top up between ¥1.00 and ¥50,000.00, in yuan and fen."
    assert not WalletTopUp.objects.exists()


def test_completing_a_top_up_credits_the_amount_and_the_bonus(member, bonus_rules):
    top_up = start_top_up(user_id=member.user_id, amount=Decimal("500.00"))

    done = complete_top_up(number=top_up.number, amount=Decimal("500.00"), transaction_id="T-1")

    assert (done.status, done.transaction_id) == (WalletTopUp.Status.PAID, "T-1")
    assert done.paid_at is not None
    assert wallet_of(member) == Decimal("550.00") == wallet_ledger_sum(member)
    assert set(WalletEntry.objects.values_list("kind", "reference")) == {
        ("top_up", top_up.number), ("bonus", f"{top_up.number}-bonus"),
    }


def test_the_same_payment_notice_twice_credits_the_top_up_once(member):
    top_up = start_top_up(user_id=member.user_id, amount=Decimal("80.00"))

    complete_top_up(number=top_up.number, amount=Decimal("80.00"), transaction_id="T-1")
    again = complete_top_up(number=top_up.number, amount=Decimal("80.00"), transaction_id="T-1")

    assert again.status == WalletTopUp.Status.PAID
    assert wallet_of(member) == Decimal("80.00")
    assert WalletEntry.objects.count() == 1  # no bonus rule: no bonus entry


def test_a_second_transaction_for_a_paid_top_up_is_refused(member):
    top_up = start_top_up(user_id=member.user_id, amount=Decimal("80.00"))
    complete_top_up(number=top_up.number, amount=Decimal("80.00"), transaction_id="T-1")

    with translation.override("en"), pytest.raises(TopUpError) as refused:
        complete_top_up(number=top_up.number, amount=Decimal("80.00"), transaction_id="T-2")

    assert refused.value.message == f"Top-up {top_up.number} was already paid by another transaction."
    assert wallet_of(member) == Decimal("80.00")


def test_a_payment_of_another_amount_does_not_complete_a_top_up(member):
    top_up = start_top_up(user_id=member.user_id, amount=Decimal("80.00"))

    with pytest.raises(TopUpError):
        complete_top_up(number=top_up.number, amount=Decimal("8.00"), transaction_id="T-1")

    top_up.refresh_from_db()
    assert top_up.status == WalletTopUp.Status.PENDING
    assert wallet_of(member) == Decimal("0.00")


def test_completing_an_unknown_top_up_is_refused(db):
    with pytest.raises(TopUpError):
        complete_top_up(number="TU-NOPE", amount=Decimal("1.00"), transaction_id="T-1")


# --- staff ----------------------------------------------------------------------------

def test_staff_top_up_in_store_is_a_top_up_audited_with_who_and_why(member, clerk):
    entry = staff_top_up_wallet(user_id=member.user_id, amount=Decimal("200.00"), reason="门店现金充值", by=clerk)

    assert (entry.kind, entry.change, entry.note, entry.created_by) == (
        WalletEntry.Kind.TOP_UP, Decimal("200.00"), "门店现金充值", clerk,
    )
    assert wallet_of(member) == Decimal("200.00")


def test_staff_top_up_needs_a_reason_and_a_sensible_amount(member, clerk):
    with pytest.raises(MemberError):
        staff_top_up_wallet(user_id=member.user_id, amount=Decimal("10.00"), reason="", by=clerk)
    with pytest.raises(TopUpError):
        staff_top_up_wallet(user_id=member.user_id, amount=Decimal("-10.00"), reason="oops", by=clerk)
    assert wallet_of(member) == Decimal("0.00")


def test_a_counter_top_up_sent_twice_with_the_same_form_token_credits_once(member, clerk):
    first = staff_top_up_wallet(user_id=member.user_id, amount=Decimal("200.00"), reason="POS 0042", by=clerk,
                                reference="counter-token-1")
    again = staff_top_up_wallet(user_id=member.user_id, amount=Decimal("200.00"), reason="POS 0042", by=clerk,
                                reference="counter-token-1")

    assert again.pk == first.pk
    assert wallet_of(member) == Decimal("200.00") == wallet_ledger_sum(member)


def test_counter_top_ups_with_different_form_tokens_are_both_credited(member, clerk):
    for token in ("counter-a", "counter-b"):
        staff_top_up_wallet(user_id=member.user_id, amount=Decimal("50.00"), reason="POS", by=clerk, reference=token)

    assert wallet_of(member) == Decimal("100.00")


def test_a_counter_top_up_token_used_for_another_member_is_refused(member, clerk, django_user_model):
    from members.services import ensure_member

    other = ensure_member(user=django_user_model.objects.create_user(username="other", email="o@example.com"))
    staff_top_up_wallet(user_id=member.user_id, amount=Decimal("50.00"), reason="POS", by=clerk, reference="counter-x")

    with pytest.raises(MemberError):
        staff_top_up_wallet(user_id=other.user_id, amount=Decimal("50.00"), reason="POS", by=clerk,
                            reference="counter-x")
    assert wallet_of(other) == Decimal("0.00")


def test_a_transaction_id_already_used_by_another_top_up_is_refused_with_a_message(member):
    first = start_top_up(user_id=member.user_id, amount=Decimal("80.00"))
    second = start_top_up(user_id=member.user_id, amount=Decimal("80.00"))
    complete_top_up(number=first.number, amount=Decimal("80.00"), transaction_id="T-SAME")

    with translation.override("en"), pytest.raises(TopUpError) as refused:
        complete_top_up(number=second.number, amount=Decimal("80.00"), transaction_id="T-SAME")

    assert refused.value.message == "Transaction T-SAME was already used for another top-up."
    second.refresh_from_db()
    assert second.status == WalletTopUp.Status.PENDING
    assert wallet_of(member) == Decimal("80.00")


def test_staff_corrections_may_take_money_back_but_never_below_zero(member, clerk):
    give_money(member, "50.00")

    staff_adjust_wallet(user_id=member.user_id, change=Decimal("-20.00"), reason="double credit", by=clerk)
    with pytest.raises(NotEnoughBalance):
        staff_adjust_wallet(user_id=member.user_id, change=Decimal("-30.01"), reason="again", by=clerk)

    assert wallet_of(member) == Decimal("30.00") == wallet_ledger_sum(member)
