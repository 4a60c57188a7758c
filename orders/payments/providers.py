"""Payment providers behind one small interface: start a payment, verify a callback, refund.

- cash on delivery: nothing to start; the courier collects.
- bank transfer: instructions to show; staff confirm the money arrived.
- online gateway: the shop's own simulator (``orders.payments.simulator``),
  which signs its callbacks with HMAC-SHA256 over the raw body exactly as a
  real gateway does, so swapping in a real one means writing one more provider.

``refund`` is only ever called by the refund settlement task, after commit and
without row locks (orders.services.refunds); it raises ProviderUnavailable for
what a retry can fix and RefundDeclined for what it cannot.
"""

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.exceptions import PaymentError
from orders.models import Order, Payment

SIGNATURE_HEADER = "X-Gateway-Signature"


class ProviderUnavailable(Exception):
    """The provider could not be reached or answered with a temporary error: try again later."""


class RefundDeclined(Exception):
    """The provider refused the refund for good (closed account, refund window over): staff must act."""


@dataclass(frozen=True)
class Callback:
    """What a verified gateway callback says was paid."""

    order_number: str
    amount: Decimal
    currency: str
    transaction_id: str
    timestamp: int


class PaymentProvider:
    code = ""

    def start_url(self, order) -> str | None:
        """Where to send the shopper to pay, or None when there is nothing to do online."""
        return None

    def verify_callback(self, body: bytes, headers) -> Callback:
        raise PaymentError(_("This payment method sends no callbacks."))

    def refund(self, *, payment, amount: Decimal, reference: str) -> str:
        """Give money back; returns the provider's reference for the refund.

        ``reference`` is stable for one refund leg, so a provider that dedupes
        on it (as real gateways do with their "out refund number") pays once
        however often the task retries. Raises ProviderUnavailable or RefundDeclined.
        """
        raise RefundDeclined(f"{self.code or 'this provider'} cannot refund")


class CashOnDelivery(PaymentProvider):
    code = "cod"

    def refund(self, *, payment, amount, reference):
        # Cash goes back over the counter or by transfer; staff record it.
        return f"manual-{reference}"


class BankTransfer(PaymentProvider):
    code = "bank_transfer"

    def refund(self, *, payment, amount, reference):
        return f"manual-{reference}"


class CounterCash(PaymentProvider):
    """Cash taken at the till (门店现金); a refund is paid back from the till and recorded by the clerk."""

    code = "cash"

    def refund(self, *, payment, amount, reference):
        return f"till-{reference}"


class CounterCard(PaymentProvider):
    """A card (or QR) payment on the store's own terminal; the terminal refunds it, staff record it."""

    code = "card"

    def refund(self, *, payment, amount, reference):
        return f"terminal-{reference}"


def sign(body: bytes, secret: str | None = None) -> str:
    secret = secret or settings.PAYMENT_GATEWAY_SECRET
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _fits(value: str, model, field: str) -> bool:
    """Non-empty, printable (PostgreSQL refuses NUL) and short enough for the column it goes to."""
    return bool(value) and value.isprintable() and len(value) <= model._meta.get_field(field).max_length


class GatewaySimulator(PaymentProvider):
    """The shop's stand-in for an online gateway (see orders/payments/simulator.py for its pages)."""

    code = "gateway"

    def start_url(self, order) -> str:
        return reverse("orders:gateway-pay", kwargs={"number": order.number})

    def verify_callback(self, body: bytes, headers) -> Callback:
        """Check the signature over the raw body in constant time, then the timestamp and fields.

        Raises PaymentError for a forged, stale or malformed callback.
        """
        signature = headers.get(SIGNATURE_HEADER, "")
        if not hmac.compare_digest(sign(body).encode(), signature.encode()):
            raise PaymentError("bad signature")
        try:
            data = json.loads(body)
            callback = Callback(
                order_number=str(data["order_number"]),
                amount=Decimal(str(data["amount"])),
                currency=str(data["currency"]),
                transaction_id=str(data["transaction_id"]),
                timestamp=int(data["timestamp"]),
            )
        # OverflowError: "timestamp": Infinity; RecursionError: deeply nested JSON.
        except (ValueError, KeyError, TypeError, InvalidOperation, OverflowError, RecursionError):
            raise PaymentError("malformed callback") from None
        # Whole seconds on both sides: a float would overflow on an absurd (signed) timestamp.
        if abs(int(time.time()) - callback.timestamp) > settings.PAYMENT_CALLBACK_MAX_AGE:
            raise PaymentError("stale callback")
        if not callback.amount.is_finite() or not _fits(callback.transaction_id, Payment, "transaction_id"):
            raise PaymentError("malformed callback")
        if not _fits(callback.order_number, Order, "number"):
            raise PaymentError("malformed callback")
        return callback

    def refund(self, *, payment, amount, reference):
        # The simulator settles refunds at once; a real gateway would be called here.
        return f"sim-refund-{reference}"


PROVIDERS = {
    provider.code: provider
    for provider in (CashOnDelivery(), BankTransfer(), GatewaySimulator(), CounterCash(), CounterCard())
}
PROVIDER_FOR_METHOD = {"cod": "cod", "bank_transfer": "bank_transfer", "online": "gateway"}


def provider_for(order) -> PaymentProvider:
    """The provider that collects what an order's payment method leaves to pay."""
    return PROVIDERS[PROVIDER_FOR_METHOD[order.payment_method]]


def provider_named(code: str) -> PaymentProvider | None:
    """The provider that recorded a Payment (its ``provider`` column), or None for an unknown one."""
    return PROVIDERS.get(code)


# What staff read for a Payment's provider column: labels, never the stored codes ("gateway").
PROVIDER_LABELS = {
    "gateway": gettext_lazy("online payment"),
    "cod": gettext_lazy("cash on delivery"),
    "bank_transfer": gettext_lazy("bank transfer"),
    "cash": gettext_lazy("cash at the counter"),
    "card": gettext_lazy("card at the counter"),
    "wallet": gettext_lazy("stored value"),
}


def provider_label(code: str) -> str:
    """The label of a provider code; an unknown code (an old provider) is shown as stored."""
    return str(PROVIDER_LABELS.get(code, code))
