"""The shop's end of an online payment: the signed server-to-server callback.

Verify the signature and age with the provider, then hand the money to
``record_online_payment``, which decides everything else (and is idempotent,
so the gateway's retries are harmless).
"""

import logging

from django.http import HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.exceptions import PaymentError
from orders.payments.providers import GatewaySimulator
from orders.services.payments import record_online_payment

logger = logging.getLogger(__name__)

PROVIDER = GatewaySimulator.code
# A real notification is about 150 bytes; anything far bigger is not one of ours.
MAX_CALLBACK_BYTES = 8 * 1024


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@csrf_exempt  # the gateway has no session; the signature is the proof
@require_POST
def callback(request):
    """Take a signed payment notification: 200 "success" once recorded (or already recorded).

    400 for a forged, stale or malformed notification, or one the order
    refuses (unknown order, wrong amount or currency); nothing is written then.
    """
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return _bad_request("malformed callback")
    if declared > MAX_CALLBACK_BYTES or len(request.body) > MAX_CALLBACK_BYTES:
        return _bad_request("malformed callback")
    try:
        notice = GatewaySimulator().verify_callback(request.body, request.headers)
    except PaymentError as err:
        logger.warning("gateway callback refused: %s", err.message)
        return _bad_request(err.message)
    try:
        record_online_payment(
            number=notice.order_number,
            provider=PROVIDER,
            amount=notice.amount,
            currency=notice.currency,
            transaction_id=notice.transaction_id,
        )
    except PaymentError as err:
        logger.warning("gateway callback for order %s refused: %s", notice.order_number, err.message)
        return _bad_request(err.message)
    return HttpResponse("success", content_type="text/plain")
