"""Order use cases, one module per area; the names most callers need are re-exported here."""

from orders.services.aftersales import decide_return, request_return
from orders.services.cart import add_to_cart, cart_for, change_quantity, merge_carts, remove_from_cart
from orders.services.checkout import CheckoutChoice, place_order
from orders.services.notifications import flush_outbox, queue_email, send_outbox_message
from orders.services.payments import confirm_bank_transfer, expire_unpaid_orders, record_payment
from orders.services.refunds import refund_late_payment, refund_order
from orders.services.transitions import (
    cancel_by_shopper,
    cancel_order,
    complete_delivery,
    confirm_receipt,
    mark_picked_up,
    mark_ready_for_pickup,
    ship_order,
)

__all__ = [
    "CheckoutChoice",
    "add_to_cart",
    "cancel_by_shopper",
    "cancel_order",
    "cart_for",
    "change_quantity",
    "complete_delivery",
    "confirm_bank_transfer",
    "confirm_receipt",
    "decide_return",
    "expire_unpaid_orders",
    "flush_outbox",
    "mark_picked_up",
    "mark_ready_for_pickup",
    "merge_carts",
    "place_order",
    "queue_email",
    "record_payment",
    "refund_late_payment",
    "refund_order",
    "remove_from_cart",
    "request_return",
    "send_outbox_message",
    "ship_order",
]
