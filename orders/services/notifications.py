"""Order emails through a transactional outbox.

``queue_email`` writes an OutboxMessage in the caller's transaction, so the
message exists exactly when the change that caused it does. After commit
it is handed to Celery; if the broker is down the hand-off is skipped and
the periodic ``flush_outbox`` picks the message up later. Sending claims
the row first with a conditional update, so two workers (or a task and the
flush) never send the same message twice.
"""

import logging
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from orders.models import Order, OutboxMessage
from orders.selectors import order_for_receipt
from shop.queue import queue_task

logger = logging.getLogger(__name__)

KINDS = {"order_placed", "order_paid", "order_shipped", "order_ready_for_pickup", "order_refunded", "order_cancelled"}
# Messages to a member about no order: rendered from OutboxMessage.params.
MEMBER_KINDS = {"back_in_stock"}
STALE_CLAIM = timedelta(minutes=10)


def queue_email(*, kind: str, order: Order) -> OutboxMessage:
    if kind not in KINDS:
        raise ValueError(f"unknown email kind {kind!r}")
    message = OutboxMessage.objects.create(kind=kind, order=order)
    hand_over_after_commit(message.pk)
    return message


def hand_over_after_commit(message_id: int) -> None:
    """Hand an outbox message written in this transaction to a worker once it commits (the flush if that fails)."""
    transaction.on_commit(partial(_hand_to_worker, message_id))


def _hand_to_worker(message_id: int) -> None:
    # By name, so this module never imports the tasks; a broker that is down leaves it to the flush.
    queue_task("orders.tasks.send_outbox_message_task", message_id)


def send_outbox_message(*, message_id: int) -> bool:
    """Send one message if nobody has; True if this call sent it."""
    now = timezone.now()
    claimed = (
        OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - STALE_CLAIM))
        .update(claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    message = OutboxMessage.objects.select_related("order__user").get(pk=message_id)
    try:
        _deliver(message)
    except Exception as err:
        # Release the claim so the next flush tries again.
        OutboxMessage.objects.filter(pk=message_id).update(claimed_at=None, last_error=str(err)[:500])
        raise
    OutboxMessage.objects.filter(pk=message_id).update(sent_at=timezone.now())
    return True


def email_language(order: Order) -> str:
    """The language an order's emails are written in: the shopper's at checkout, else the shop's."""
    try:
        return translation.get_supported_language_variant(order.language) if order.language else settings.LANGUAGE_CODE
    except LookupError:  # a language the shop no longer offers
        return settings.LANGUAGE_CODE


def _sender_for(kind: str):
    """The function another app named in ORDERS_OUTBOX_SENDERS to send this kind (the nightly sales report), or None."""
    path = (getattr(settings, "ORDERS_OUTBOX_SENDERS", None) or {}).get(kind)
    return import_string(path) if path else None


def queue_message(*, kind: str, params: dict) -> OutboxMessage:
    """Queue a message whose sender another app provides, written in the caller's transaction like order mails."""
    if _sender_for(kind) is None:
        raise ValueError(f"no sender for outbox kind {kind!r} in ORDERS_OUTBOX_SENDERS")
    message = OutboxMessage.objects.create(kind=kind, params=params)
    transaction.on_commit(partial(_hand_to_worker, message.pk))
    return message


def _deliver(message: OutboxMessage) -> None:
    if message.order_id is None:
        sender = _sender_for(message.kind)
        if sender is not None:
            sender(message)
            return
        if message.kind in MEMBER_KINDS and message.user_id:
            _deliver_to_member(message)
        return
    # Lines with their shares and the adjustments in a fixed number of queries, however long the order.
    order = order_for_receipt(message.order_id)
    if order is None or not order.user.email:
        return
    with translation.override(email_language(order)):
        context = {"order": order, "shop_name": settings.SHOP_NAME}
        subject = render_to_string(f"orders/email/{message.kind}_subject.txt", context).strip()
        body = render_to_string(f"orders/email/{message.kind}.txt", context)
    send_mail(subject, body, None, [order.user.email])


def flush_outbox(*, limit: int = 200) -> int:
    """Send messages that were never handed to a worker (or whose worker died)."""
    cutoff = timezone.now() - STALE_CLAIM
    ids = list(
        OutboxMessage.objects.filter(sent_at__isnull=True)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=cutoff))
        .values_list("pk", flat=True)[:limit]
    )
    sent = 0
    for message_id in ids:
        try:
            sent += send_outbox_message(message_id=message_id)
        except Exception:
            logger.exception("outbox message %s failed; it will be retried", message_id)
    return sent


def queue_member_email(*, kind: str, user_id: int, params: dict) -> OutboxMessage:
    """Queue a mail to a member that belongs to no order; written in the caller's transaction like order mails."""
    if kind not in MEMBER_KINDS:
        raise ValueError(f"unknown member email kind {kind!r}")
    message = OutboxMessage.objects.create(kind=kind, user_id=user_id, params=params)
    transaction.on_commit(partial(_hand_to_worker, message.pk))
    return message


def _deliver_to_member(message: OutboxMessage) -> None:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=message.user_id).first()
    if user is None or not user.email:
        return
    context = {"params": message.params, "shop_name": settings.SHOP_NAME, "user": user}
    with translation.override(message.params.get("language") or settings.LANGUAGE_CODE):
        subject = render_to_string(f"orders/email/{message.kind}_subject.txt", context).strip()
        body = render_to_string(f"orders/email/{message.kind}.txt", context)
    send_mail(subject, body, None, [user.email])


def send_back_in_stock_notices(*, limit: int = 500) -> int:
    """Queue one 到货通知 per waiting request whose variant can be bought again; returns how many were queued.

    Each request is claimed by a conditional update of ``notified_at`` in the transaction that writes its
    outbox message, so a repeat or a concurrent run never mails twice. Only members who agree to messages
    (marketing consent) and have not asked to be erased are told; the others' requests keep waiting, so
    turning consent on later still brings the notice.
    """
    from members.models import BackInStockRequest

    waiting = list(
        BackInStockRequest.objects.filter(
            notified_at__isnull=True, variant__is_in_stock=True, variant__is_active=True,
            user__member__marketing_consent=True, user__member__deletion_requested_at__isnull=True,
        ).select_related("variant__product").order_by("pk")[:limit]
    )
    queued = 0
    for request in waiting:
        with transaction.atomic():
            claimed = BackInStockRequest.objects.filter(pk=request.pk, notified_at__isnull=True).update(
                notified_at=timezone.now()
            )
            if not claimed:
                continue
            variant = request.variant
            queue_member_email(kind="back_in_stock", user_id=request.user_id, params={
                "product": variant.product.name, "sku": variant.sku,
                "path": f"{variant.product.get_absolute_url()}?sku={variant.sku}",
            })
            queued += 1
    return queued
