"""The stored-value wallet (储值): online top-ups with bonus rules, payments, refunds, staff top-ups.

Every change locks the member row, writes a WalletEntry with the balance
after it, then updates the cached balance, all in one transaction; keyed
kinds are unique per (member, kind, reference), so repeats are harmless.
"""

import secrets
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from members.exceptions import MemberError, NotEnoughBalance, TopUpError
from members.models import MemberProfile, TopUpBonusRule, WalletEntry, WalletTopUp
from members.services.accounts import lock_member
from shop.money import CENT
from shop.money import format_money as money

TOP_UP_MIN = Decimal("1.00")
TOP_UP_MAX = Decimal("50000.00")
REFERENCE_MAX = WalletEntry._meta.get_field("reference").max_length
NOTE_MAX = WalletEntry._meta.get_field("note").max_length
NUMBER_ATTEMPTS = 10


def _exact_money(amount) -> Decimal | None:
    """The amount as a Decimal if it is a finite figure with at most two decimals, else None."""
    if isinstance(amount, float) or isinstance(amount, bool):
        return None
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not amount.is_finite() or amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


def _positive_money(amount) -> Decimal:
    exact = _exact_money(amount)
    if exact is None or exact <= 0:
        raise ValueError(f"a positive amount in whole cents is required, not {amount!r}")
    return exact


def _require_reference(reference: str) -> str:
    reference = str(reference or "").strip()
    if not reference or len(reference) > REFERENCE_MAX:
        raise ValueError(f"a reference of 1 to {REFERENCE_MAX} characters is required, not {reference!r}")
    return reference


def _write(member: MemberProfile, *, kind: str, change: Decimal, reference: str = "", note: str = "",
           by=None) -> WalletEntry:
    """Ledger row, then the cached balance; the caller holds the member lock and has checked the balance."""
    member.wallet_balance += change
    entry = WalletEntry.objects.create(
        member=member, kind=kind, change=change, balance_after=member.wallet_balance,
        reference=reference, note=note[:NOTE_MAX], created_by=by,
    )
    member.save(update_fields=["wallet_balance"])
    return entry


def _earlier(member: MemberProfile, kind: str, reference: str) -> WalletEntry | None:
    return WalletEntry.objects.filter(member=member, kind=kind, reference=reference).first()


@transaction.atomic
def pay_from_wallet(*, user_id: int, amount: Decimal, reference: str) -> WalletEntry:
    """Pay ``amount`` for ``reference`` (an order) from the wallet, once; a repeat returns the first entry.

    Raises NotEnoughBalance when the balance does not cover it; the balance never goes negative.
    """
    amount = _positive_money(amount)
    reference = _require_reference(reference)
    member = lock_member(user_id=user_id)
    earlier = _earlier(member, WalletEntry.Kind.PAYMENT, reference)
    if earlier is not None:
        return earlier
    if member.wallet_balance < amount:
        raise NotEnoughBalance(have=member.wallet_balance, need=amount)
    return _write(member, kind=WalletEntry.Kind.PAYMENT, change=-amount, reference=reference)


@transaction.atomic
def refund_to_wallet(*, user_id: int, amount: Decimal, reference: str) -> WalletEntry:
    """Credit a refund of ``amount`` for ``reference`` (a refund) once; a repeat returns the first entry."""
    amount = _positive_money(amount)
    reference = _require_reference(reference)
    member = lock_member(user_id=user_id)
    earlier = _earlier(member, WalletEntry.Kind.REFUND, reference)
    if earlier is not None:
        return earlier
    return _write(member, kind=WalletEntry.Kind.REFUND, change=amount, reference=reference)


def validate_top_up_amount(amount) -> Decimal:
    """The amount as money if it may be topped up (¥1 to ¥50,000, whole cents); raises TopUpError."""
    exact = _exact_money(amount)
    if exact is None or not TOP_UP_MIN <= exact <= TOP_UP_MAX:
        raise TopUpError(
            _("Top up between %(min)s and %(max)s, in yuan and fen.") % {"min": money(TOP_UP_MIN), "max": money(TOP_UP_MAX)}
        )
    return exact


def best_bonus_rule(amount: Decimal) -> TopUpBonusRule | None:
    """The active rule with the largest threshold the amount reaches."""
    return TopUpBonusRule.objects.filter(is_active=True, pay_at_least__lte=amount).order_by("-pay_at_least", "-bonus").first()


def _new_top_up_number() -> str:
    return f"TU{timezone.localdate():%Y%m%d}{secrets.randbelow(10**8):08d}"


def start_top_up(*, user_id: int, amount: Decimal) -> WalletTopUp:
    """Open a pending online top-up with the bonus of the best active rule, under a fresh number.

    Raises TopUpError for an amount outside ¥1–¥50,000 or finer than a fen.
    """
    amount = validate_top_up_amount(amount)
    rule = best_bonus_rule(amount)
    with transaction.atomic():
        member = lock_member(user_id=user_id)
        for _attempt in range(NUMBER_ATTEMPTS):
            try:
                with transaction.atomic():
                    return WalletTopUp.objects.create(
                        number=_new_top_up_number(), member=member, amount=amount,
                        bonus=rule.bonus if rule else Decimal("0.00"),
                    )
            except IntegrityError:
                continue  # the number was taken: draw another
    raise RuntimeError("could not draw a free top-up number")


@transaction.atomic
def complete_top_up(*, number: str, amount: Decimal, transaction_id: str) -> WalletTopUp:
    """Credit a paid top-up and its bonus exactly once (the payment callback).

    A repeat with the same transaction id returns the top-up unchanged.
    Raises TopUpError for an unknown number, a different amount, a
    cancelled top-up or one already paid by another transaction.
    """
    transaction_id = str(transaction_id or "").strip()
    if not transaction_id:
        raise TopUpError(_("The payment has no transaction id."))
    top_up = WalletTopUp.objects.select_for_update().filter(number=number).first()
    if top_up is None:
        raise TopUpError(_("There is no top-up %(number)s.") % {"number": number})
    if _exact_money(amount) != top_up.amount:
        raise TopUpError(
            _("Top-up %(number)s is for %(expected)s, not %(paid)s.")
            % {"number": number, "expected": money(top_up.amount), "paid": amount}
        )
    if top_up.status == WalletTopUp.Status.PAID:
        if top_up.transaction_id == transaction_id:
            return top_up
        raise TopUpError(_("Top-up %(number)s was already paid by another transaction.") % {"number": number})
    if top_up.status != WalletTopUp.Status.PENDING:
        raise TopUpError(_("Top-up %(number)s was cancelled.") % {"number": number})
    # Transaction ids are unique (a constraint): one gateway payment never credits two top-ups.
    # Claim the id first, in a savepoint, so a reused one is refused before any money moves,
    # also when two top-ups race for it (the constraint decides, we word the answer).
    top_up.status = WalletTopUp.Status.PAID
    top_up.transaction_id = transaction_id
    top_up.paid_at = timezone.now()
    try:
        with transaction.atomic():
            top_up.save(update_fields=["status", "transaction_id", "paid_at"])
    except IntegrityError:
        raise TopUpError(
            _("Transaction %(txn)s was already used for another top-up.") % {"txn": transaction_id}
        ) from None
    member = MemberProfile.objects.select_for_update().get(pk=top_up.member_id)
    _write(member, kind=WalletEntry.Kind.TOP_UP, change=top_up.amount, reference=top_up.number)
    if top_up.bonus > 0:
        _write(member, kind=WalletEntry.Kind.BONUS, change=top_up.bonus, reference=f"{top_up.number}-bonus")
    return top_up


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise MemberError(_("Give a reason for the adjustment."))
    return reason


@transaction.atomic
def staff_top_up_wallet(*, user_id: int, amount: Decimal, reason: str, by, reference: str = "") -> WalletEntry:
    """Credit money paid in a store (a positive staff entry, audited with who and why), once per ``reference``.

    ``reference`` is the counter form's one-time token (or a till receipt
    number): a double submit finds the entry the first one wrote and credits
    nothing more. Raises MemberError without a reason or for a reference
    already used for another member, TopUpError for an amount outside ¥1–¥50,000.
    """
    reason = _require_reason(reason)
    amount = validate_top_up_amount(amount)
    reference = str(reference or "").strip()
    if len(reference) > REFERENCE_MAX:
        raise MemberError(_("This form is out of date; open it again."))
    member = lock_member(user_id=user_id)
    if reference:
        # Under the member lock, so two submits at once queue here and the second finds the first.
        earlier = WalletEntry.objects.filter(kind=WalletEntry.Kind.TOP_UP, reference=reference).first()
        if earlier is not None:
            if earlier.member_id != member.pk:
                raise MemberError(_("This top-up form was already used for another member; open it again."))
            return earlier
    # A top-up, not a correction: the shopper's history and the reports call it what it is.
    return _write(member, kind=WalletEntry.Kind.TOP_UP, change=amount, reference=reference, note=reason, by=by)


@transaction.atomic
def staff_adjust_wallet(*, user_id: int, change: Decimal, reason: str, by) -> WalletEntry:
    """A staff correction of ``change`` (either sign), audited with who and why.

    Raises MemberError without a reason or a valid change, NotEnoughBalance if it would go below zero.
    """
    reason = _require_reason(reason)
    exact = _exact_money(change)
    if exact is None or exact == 0:
        raise MemberError(_("The change must be an amount in yuan and fen other than zero."))
    member = lock_member(user_id=user_id)
    if member.wallet_balance + exact < 0:
        raise NotEnoughBalance(have=member.wallet_balance, need=-exact)
    return _write(member, kind=WalletEntry.Kind.ADJUST, change=exact, note=reason, by=by)
