"""Transfers (调拨) between stores: request → approve → dispatch → receive, every stock step in the ledger.

The state table below is the only place that says which step leaves which
state and who may take it. Each step locks the transfer row first, then the
stock rows it touches by primary key (the shop's lock order: no service
holds a stock row and then asks for a transfer), re-checks inside the lock
and writes a StockMovement per line.

Dispatch takes units from what is free to sell (on hand − reserved) only,
so units reserved for online orders are never sent away; the sent units are
in transit on the transfer lines until the receiving store counts them in.
"""

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from catalog.models import Variant
from stores.exceptions import StockError
from stores.models import Stock, StockMovement, Store, Transfer, TransferLine
from stores.selectors import can_manage_store, can_work_in_store
from stores.services import _locked_rows, _merge, _record, refresh_product_stock_flags

S = Transfer.Status


class TransferError(StockError):
    """A transfer step that may not happen (state, who, stock); ``message`` is fit to show."""


@dataclass(frozen=True)
class Step:
    name: str
    label: object  # a lazy translation
    sources: frozenset
    target: str
    # Whose staff may take the step: the sending store's managers, any sending staff, any receiving staff.
    who: str


# who: "sender_manager" (manager of the sending store or HQ), "sender" (its staff or HQ), "receiver" (the
# receiving store's staff or HQ), "either_manager" (a manager of either store or HQ).
STEPS = {
    "approve": Step("approve", gettext_lazy("Approve"), frozenset({S.REQUESTED}), S.APPROVED, "sender_manager"),
    "dispatch": Step("dispatch", gettext_lazy("Dispatch"), frozenset({S.APPROVED}), S.DISPATCHED, "sender"),
    "receive": Step("receive", gettext_lazy("Receive"), frozenset({S.DISPATCHED}), S.RECEIVED, "receiver"),
    "cancel": Step("cancel", gettext_lazy("Cancel"), frozenset({S.REQUESTED, S.APPROVED}), S.CANCELLED, "either_manager"),
}


def may_take(step: str, transfer: Transfer, user) -> bool:
    """Whether this person may take the step on this transfer (the state aside)."""
    who = STEPS[step].who
    if who == "sender_manager":
        return can_manage_store(user, transfer.from_store_id)
    if who == "sender":
        return can_work_in_store(user, transfer.from_store_id)
    if who == "receiver":
        return can_work_in_store(user, transfer.to_store_id)
    return can_manage_store(user, transfer.from_store_id) or can_manage_store(user, transfer.to_store_id)


def available_steps(transfer: Transfer, user) -> list[str]:
    """The steps this person may take on the transfer now, in table order (what its page offers)."""
    return [name for name, step in STEPS.items() if transfer.status in step.sources and may_take(name, transfer, user)]


def _locked_transfer(transfer_id: int, step: str, user) -> Transfer:
    transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
    if not may_take(step, transfer, user):
        raise TransferError(_("You may not take this step on transfer %(reference)s.") % {"reference": transfer.reference})
    if transfer.status not in STEPS[step].sources:
        raise TransferError(
            _("Transfer %(reference)s is %(status)s: this step is not possible now.")
            % {"reference": transfer.reference, "status": transfer.get_status_display()}
        )
    return transfer


@transaction.atomic
def request_transfer(*, from_store_id: int, to_store_id: int, lines, by, note: str = "") -> Transfer:
    """Ask for stock to be sent from one store to another; nothing moves yet.

    ``lines``: (variant id, quantity). The requester works in either store (or is HQ).
    Raises TransferError.
    """
    if from_store_id == to_store_id:
        raise TransferError(_("A transfer goes from one store to another."))
    if not (can_work_in_store(by, to_store_id) or can_work_in_store(by, from_store_id)):
        raise TransferError(_("You may only request transfers for your own stores."))
    if not Store.objects.filter(pk__in=[from_store_id, to_store_id], is_active=True).count() == 2:
        raise TransferError(_("Both stores must be active."))
    try:
        wanted = _merge(lines)
    except ValueError as err:
        raise TransferError(_("Each line moves at least one unit.")) from err
    if not wanted:
        raise TransferError(_("Add at least one SKU to the transfer."))
    transfer = Transfer.objects.create(from_store_id=from_store_id, to_store_id=to_store_id, requested_by=by,
                                       note=note[:255])
    TransferLine.objects.bulk_create(
        TransferLine(transfer=transfer, variant_id=variant_id, quantity=quantity) for variant_id, quantity in wanted.items()
    )
    return transfer


@transaction.atomic
def approve_transfer(*, transfer_id: int, by) -> Transfer:
    """The sending store's manager (or HQ) agrees to send. Raises TransferError."""
    transfer = _locked_transfer(transfer_id, "approve", by)
    transfer.status, transfer.approved_by, transfer.approved_at = S.APPROVED, by, timezone.now()
    transfer.save(update_fields=["status", "approved_by", "approved_at"])
    return transfer


@transaction.atomic
def cancel_transfer(*, transfer_id: int, by) -> Transfer:
    """Call off a transfer not yet sent; nothing had moved. Raises TransferError."""
    transfer = _locked_transfer(transfer_id, "cancel", by)
    transfer.status, transfer.cancelled_at = S.CANCELLED, timezone.now()
    transfer.save(update_fields=["status", "cancelled_at"])
    return transfer


@transaction.atomic
def dispatch_transfer(*, transfer_id: int, by, quantities: dict[int, int] | None = None) -> Transfer:
    """Send the units: the sender's on hand goes down and they are in transit on the lines.

    ``quantities`` ({line id: units}, at most what was requested) sends less
    than asked; by default every requested unit. Only units free to sell
    leave (never those reserved for orders, never below zero); a line that
    cannot be sent whole refuses the whole dispatch. Raises TransferError.
    """
    transfer = _locked_transfer(transfer_id, "dispatch", by)
    lines = list(transfer.lines.select_related("variant"))
    sending: dict[int, int] = {}
    for line in lines:
        quantity = line.quantity if quantities is None else int(quantities.get(line.pk, 0))
        if quantity < 0 or quantity > line.quantity:
            raise TransferError(_("Send between 0 and %(quantity)s of %(sku)s.") % {"quantity": line.quantity,
                                                                                    "sku": line.variant.sku})
        sending[line.variant_id] = quantity
    if not any(sending.values()):
        raise TransferError(_("Send at least one unit, or cancel the transfer."))
    rows = _locked_rows(transfer.from_store_id, [variant_id for variant_id, quantity in sending.items() if quantity])
    short = [
        _("%(sku)s: %(available)s free to send, %(quantity)s asked")
        % {"sku": line.variant.sku, "available": rows[line.variant_id].available if line.variant_id in rows else 0,
           "quantity": sending[line.variant_id]}
        for line in lines
        if sending[line.variant_id]
        and (line.variant_id not in rows or rows[line.variant_id].available < sending[line.variant_id])
    ]
    if short:
        raise TransferError(_("Not enough stock to send: %(details)s.") % {"details": "; ".join(short)})
    movements = []
    for line in lines:
        quantity = sending[line.variant_id]
        line.dispatched_quantity = quantity
        line.save(update_fields=["dispatched_quantity"])
        if quantity:
            row = rows[line.variant_id]
            row.on_hand -= quantity
            row.save(update_fields=["on_hand"])
            movements.append(_record(row, StockMovement.Reason.TRANSFER_OUT, on_hand=-quantity,
                                     reference=transfer.reference, note=str(transfer.to_store)[:255], by=by))
    StockMovement.objects.bulk_create(movements)
    transfer.status, transfer.dispatched_by, transfer.dispatched_at = S.DISPATCHED, by, timezone.now()
    transfer.save(update_fields=["status", "dispatched_by", "dispatched_at"])
    refresh_product_stock_flags(variant_ids=[variant_id for variant_id, quantity in sending.items() if quantity])
    return transfer


@transaction.atomic
def receive_transfer(*, transfer_id: int, by, counts: dict[int, int], reasons: dict[int, tuple[str, str]] | None = None
                     ) -> Transfer:
    """Count the units in at the receiving store; a count other than what was sent needs a reason.

    ``counts``: {line id: units counted} for every line; ``reasons``: {line id:
    (TransferLine.Discrepancy, note)}. What was counted goes on the receiver's
    shelf; a difference stays on the line with its reason. Raises TransferError.
    """
    reasons = reasons or {}
    transfer = _locked_transfer(transfer_id, "receive", by)
    lines = list(transfer.lines.select_related("variant"))
    for line in lines:
        counted = counts.get(line.pk)
        if counted is None or int(counted) < 0:
            raise TransferError(_("Count every line of the transfer (0 if nothing came)."))
        reason, _note = reasons.get(line.pk, ("", ""))
        if int(counted) != line.dispatched_quantity and reason not in TransferLine.Discrepancy.values:
            raise TransferError(
                _("%(sku)s: %(counted)s counted but %(sent)s sent; give the reason for the difference.")
                % {"sku": line.variant.sku, "counted": counted, "sent": line.dispatched_quantity}
            )
    arriving = {line.variant_id: int(counts[line.pk]) for line in lines if int(counts[line.pk])}
    for variant_id in arriving:
        Stock.objects.get_or_create(store_id=transfer.to_store_id, variant_id=variant_id)
    rows = _locked_rows(transfer.to_store_id, arriving)
    movements = []
    for line in lines:
        counted = int(counts[line.pk])
        reason, note = reasons.get(line.pk, ("", "")) if counted != line.dispatched_quantity else ("", "")
        line.received_quantity, line.discrepancy_reason, line.discrepancy_note = counted, reason, (note or "")[:255]
        line.save(update_fields=["received_quantity", "discrepancy_reason", "discrepancy_note"])
        if counted:
            row = rows[line.variant_id]
            row.on_hand += counted
            row.save(update_fields=["on_hand"])
            movements.append(_record(row, StockMovement.Reason.TRANSFER_IN, on_hand=counted, reference=transfer.reference,
                                     note=(f"{line.get_discrepancy_reason_display()} {note}".strip() if reason else "")[:255],
                                     by=by))
    StockMovement.objects.bulk_create(movements)
    transfer.status, transfer.received_by, transfer.received_at = S.RECEIVED, by, timezone.now()
    transfer.save(update_fields=["status", "received_by", "received_at"])
    if arriving:
        refresh_product_stock_flags(variant_ids=arriving)
    return transfer


def variant_lines_from_text(text: str) -> tuple[list[tuple[int, int]], list[str]]:
    """Parse "SKU quantity" (or "SKU,quantity") per line into (variant id, quantity) pairs, and errors per line."""
    lines, errors, skus = [], [], []
    parsed = []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        raw = raw.strip()
        if not raw:
            continue
        parts = raw.replace(",", " ").replace("\t", " ").split()
        if len(parts) != 2 or not parts[1].isdigit() or int(parts[1]) <= 0:
            errors.append(_("Line %(number)s: write the SKU code and a quantity above 0.") % {"number": number})
            continue
        parsed.append((number, parts[0], int(parts[1])))
        skus.append(parts[0])
    ids = dict(Variant.objects.filter(sku__in=skus).values_list("sku", "pk"))
    for number, sku, quantity in parsed:
        if sku not in ids:
            errors.append(_("Line %(number)s: no SKU with the code “%(sku)s”.") % {"number": number, "sku": sku})
        else:
            lines.append((ids[sku], quantity))
    return lines, errors
