"""DEVELOPMENT AND DEMO ONLY: a stand-in for an online payment gateway, served by the shop itself.

Nothing here runs in a shop that takes real money: the hosted page answers
404 unless ``PAYMENT_GATEWAY_SIMULATOR`` is true (the default, as the demo
shop has no real gateway). A real gateway replaces this module and its
provider class; the shop's end of the conversation (the signed callback,
``orders.payments.views.callback``) stays as it is.

It behaves as Alipay or WeChat Pay do, so a real gateway could replace it
without the shop noticing: ``hosted_page`` is the gateway's own checkout
page. "Pay" makes a transaction, signs the notification over its raw body
and posts it server-to-server to the shop's callback (retrying a few times,
as real gateways retry their notify), then sends the browser back to the
order page (the "return URL"). The browser never carries the proof of
payment. No card data is ever asked for or stored.
"""

import json
import logging
import secrets
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from members.models import WalletTopUp
from orders.models import Order
from orders.payments.providers import SIGNATURE_HEADER, sign
from orders.services.payments import TOP_UP_PREFIX
from shop.money import to_money

logger = logging.getLogger(__name__)

DELIVERY_TIMEOUT = 10  # seconds per attempt
DELIVERY_BACKOFF = (0.5, 1.5)  # seconds before the second and third attempts


@dataclass(frozen=True)
class Payable:
    """A trade the shop opened with the gateway: an order, or a wallet top-up."""

    number: str
    total: Decimal  # what the gateway collects (an order's total less any wallet part)
    currency: str
    return_url: str
    is_open: bool

    def get_absolute_url(self) -> str:
        return self.return_url


def _payable(number: str) -> Payable:
    """What the shop asked us to collect under this number; 404 for anything else."""
    if number.startswith(TOP_UP_PREFIX):
        top_up = WalletTopUp.objects.filter(number=number).first()
        if top_up is None:
            raise Http404
        return Payable(
            number=top_up.number,
            total=top_up.amount,
            currency=settings.SHOP_CURRENCY,
            return_url=reverse("orders:wallet-top-up-status", kwargs={"number": top_up.number}),
            is_open=top_up.status == WalletTopUp.Status.PENDING,
        )
    order = Order.objects.filter(number=number, payment_method=Order.PaymentMethod.ONLINE).first()
    if order is None:
        raise Http404
    # The shop told the gateway when the trade closes (the pay-by time), as real gateways are told.
    is_open = order.needs_payment and (order.expires_at is None or order.expires_at > timezone.now())
    return Payable(
        number=order.number,
        total=order.amount_due,
        currency=order.currency,
        return_url=order.get_absolute_url(),
        is_open=is_open,
    )


@require_http_methods(["GET", "POST"])
def hosted_page(request, number):
    """The gateway's checkout page: who is paid, for what, how much; Pay or Cancel.

    Needs no login (the gateway is a third party) and shows only the order
    number and the amount, read from the database, never from the request.
    """
    if not settings.PAYMENT_GATEWAY_SIMULATOR:
        raise Http404("The gateway simulator is switched off")
    order = _payable(number)
    if not order.is_open:
        return render(
            request,
            "orders/gateway/closed.html",
            {"order": order, "merchant": settings.SHOP_NAME},
            status=200 if request.method == "GET" else 409,
        )
    if request.method == "GET":
        return render(request, "orders/gateway/pay.html", {"order": order, "merchant": settings.SHOP_NAME})
    if request.POST.get("action") == "pay":
        transaction_id = "SIM" + secrets.token_hex(10).upper()
        body = callback_body(order=order, transaction_id=transaction_id)
        if not deliver_callback(_callback_url(request), body, sign(body)):
            # The shop never heard of the payment: its order page keeps saying "awaiting payment".
            logger.error("gateway: callback for order %s (%s) was not delivered", order.number, transaction_id)
    return redirect(order.get_absolute_url())


def callback_body(*, order: Payable | Order, transaction_id: str) -> bytes:
    """The notification for a payment of the whole amount due, as the exact bytes that get signed."""
    data = {
        "order_number": order.number,
        "amount": f"{to_money(order.total if isinstance(order, Payable) else order.amount_due):.2f}",
        "currency": order.currency,
        "transaction_id": transaction_id,
        "timestamp": int(time.time()),
    }
    return json.dumps(data, separators=(",", ":")).encode()


def _callback_url(request) -> str:
    path = reverse("orders:gateway-callback")
    base = settings.PAYMENT_GATEWAY_CALLBACK_BASE
    return base.rstrip("/") + path if base else request.build_absolute_uri(path)


def deliver_callback(url: str, body: bytes, signature: str) -> bool:
    """POST the signed notification to the shop; True once it answered 200 "success".

    Retried on connection errors and on any other answer, with a short
    backoff, like a real gateway's notify. Tests replace this function to
    post through the Django test client, as there is no server to call.
    """
    attempts = len(DELIVERY_BACKOFF) + 1
    for attempt in range(1, attempts + 1):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", SIGNATURE_HEADER: signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:
                answer = response.read(100)
                if response.status == 200 and answer.strip() == b"success":
                    return True
                problem = f"HTTP {response.status} {answer!r}"
        except urllib.error.HTTPError as err:  # 4xx/5xx: read what the shop said
            problem = f"HTTP {err.code} {err.read(200)!r}"
        except (urllib.error.URLError, OSError) as err:  # refused, timed out, DNS
            problem = repr(err)
        logger.warning("gateway: callback attempt %s/%s to %s failed: %s", attempt, attempts, url, problem)
        if attempt < attempts:
            time.sleep(DELIVERY_BACKOFF[attempt - 1])
    return False
