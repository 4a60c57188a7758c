"""The online payment gateway simulator (dev/demo): its hosted page, and the shop's signed callback it posts to."""

import json
import logging
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from orders.payments import simulator as gateway
from orders.payments import views as payment_views
from orders.models import Order, Payment
from orders.payments import SIGNATURE_HEADER, sign
from orders.services import cancel_order, expire_unpaid_orders
from stores.models import Stock
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db

CALLBACK_URL = "/payments/gateway/callback/"


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=5, price=Decimal("30.00"))


@pytest.fixture
def order(shopper, variant, address, express):
    """An online order awaiting payment: 2 × ¥30.00 + ¥8.00 shipping = ¥68.00."""
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    assert (order.status, order.total) == (Order.Status.PENDING_PAYMENT, Decimal("68.00"))
    return order


def notice(order, **overrides):
    data = {
        "order_number": order.number,
        "amount": f"{order.total:.2f}",
        "currency": order.currency,
        "transaction_id": "SIM0123456789ABCDEF0123",
        "timestamp": int(time.time()),
    }
    data.update(overrides)
    return json.dumps(data).encode()


def post_callback(body: bytes, signature: str | None = None, client=None):
    client = client or Client(enforce_csrf_checks=True)  # the gateway has no CSRF token
    headers = {SIGNATURE_HEADER: sign(body) if signature is None else signature}
    return client.post(CALLBACK_URL, data=body, content_type="application/json", headers=headers)


def assert_nothing_paid(order):
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert not Payment.objects.exists()
    assert not order.events.filter(to_status=Order.Status.PAID).exists()


def reserved(variant, store):
    return Stock.objects.get(store=store, variant=variant).reserved


# --- The callback -------------------------------------------------------------


def test_the_callback_lives_at_its_documented_address():
    assert reverse("orders:gateway-callback") == CALLBACK_URL


def test_a_signed_callback_pays_the_order(order):
    response = post_callback(notice(order))

    assert response.status_code == 200
    assert response.content == b"success"
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.paid_at is not None
    payment = Payment.objects.get()
    assert (payment.order, payment.provider, payment.amount, payment.currency) == (
        order, "gateway", Decimal("68.00"), "CNY"
    )
    assert payment.status == Payment.Status.SUCCEEDED
    assert payment.transaction_id == "SIM0123456789ABCDEF0123"
    assert not payment.needs_refund
    event = order.events.get(to_status=Order.Status.PAID)
    assert event.from_status == Order.Status.PENDING_PAYMENT
    assert "SIM0123456789ABCDEF0123" in event.note


def test_the_same_callback_ten_times_pays_the_order_once(order):
    body = notice(order)

    responses = [post_callback(body) for _ in range(10)]

    assert [(r.status_code, r.content) for r in responses] == [(200, b"success")] * 10
    assert Payment.objects.count() == 1
    assert order.events.filter(to_status=Order.Status.PAID).count() == 1


@pytest.mark.parametrize(
    "signature",
    [
        "",
        "0" * 64,
        sign(b"something else"),
        "not hex at all, ünïcödé",
    ],
    ids=["missing", "zeros", "signature-of-another-body", "garbage"],
)
def test_a_forged_signature_is_refused_and_changes_nothing(order, signature):
    response = post_callback(notice(order), signature=signature)

    assert response.status_code == 400
    assert b"bad signature" in response.content
    assert_nothing_paid(order)


def test_a_callback_signed_with_another_secret_is_refused(order):
    body = notice(order)

    response = post_callback(body, signature=sign(body, secret="not-the-shop-secret"))

    assert response.status_code == 400
    assert_nothing_paid(order)


def test_a_body_altered_after_signing_is_refused(order):
    body = notice(order, amount="0.01")
    signature = sign(body)
    altered = body.replace(b'"0.01"', f'"{order.total:.2f}"'.encode())
    assert altered != body

    response = post_callback(altered, signature=signature)

    assert response.status_code == 400
    assert b"bad signature" in response.content
    assert_nothing_paid(order)


def test_a_stale_callback_is_refused_as_a_replay(order):
    response = post_callback(notice(order, timestamp=int(time.time()) - settings.PAYMENT_CALLBACK_MAX_AGE - 5))

    assert response.status_code == 400
    assert b"stale" in response.content
    assert_nothing_paid(order)


def test_a_callback_dated_beyond_the_window_in_the_future_is_refused(order):
    response = post_callback(notice(order, timestamp=int(time.time()) + settings.PAYMENT_CALLBACK_MAX_AGE + 5))

    assert response.status_code == 400
    assert b"stale" in response.content
    assert_nothing_paid(order)


def test_a_callback_a_little_late_within_the_window_is_accepted(order):
    response = post_callback(notice(order, timestamp=int(time.time()) - settings.PAYMENT_CALLBACK_MAX_AGE + 30))

    assert response.status_code == 200


@pytest.mark.parametrize("amount", ["67.99", "68.01", "0.01", "-68.00", "6800", "1E+30"])
def test_a_wrong_amount_is_refused_and_the_order_stays_pending(order, amount):
    response = post_callback(notice(order, amount=amount))

    assert response.status_code == 400
    assert_nothing_paid(order)


def test_the_amount_may_be_written_without_trailing_zeros(order):
    response = post_callback(notice(order, amount="68"))

    assert response.status_code == 200
    assert Payment.objects.get().amount == Decimal("68.00")


def test_a_wrong_currency_is_refused(order):
    response = post_callback(notice(order, currency="USD"))

    assert response.status_code == 400
    assert_nothing_paid(order)


def test_a_callback_for_an_unknown_order_is_refused(order):
    response = post_callback(notice(order, order_number="NO-SUCH-ORDER"))

    assert response.status_code == 400
    assert_nothing_paid(order)


def _without(field):
    def make(order):
        data = json.loads(notice(order))
        del data[field]
        return json.dumps(data).encode()

    return make


MALFORMED = {
    "not-json": lambda order: b"order_number=1&amount=68.00",
    "empty": lambda order: b"",
    "json-list": lambda order: b"[1, 2, 3]",
    "json-string": lambda order: b'"success"',
    "not-utf8": lambda order: b'{"order_number": "\xff\xfe"}',
    "missing-order-number": _without("order_number"),
    "missing-amount": _without("amount"),
    "missing-currency": _without("currency"),
    "missing-transaction-id": _without("transaction_id"),
    "missing-timestamp": _without("timestamp"),
    "amount-not-a-number": lambda order: notice(order, amount="sixty-eight"),
    "amount-nan": lambda order: notice(order, amount="NaN"),
    "amount-snan": lambda order: notice(order, amount="sNaN"),
    "amount-infinite": lambda order: notice(order, amount="Infinity"),
    "amount-an-object": lambda order: notice(order, amount={"value": "68.00"}),
    "empty-transaction-id": lambda order: notice(order, transaction_id=""),
    "timestamp-not-a-number": lambda order: notice(order, timestamp="yesterday"),
    "timestamp-infinite": lambda order: notice(order).replace(b'"timestamp": ', b'"timestamp": Infinity, "x": '),
    "timestamp-huge": lambda order: notice(order, timestamp=10**400),
    "transaction-id-too-long": lambda order: notice(order, transaction_id="SIM" + "A" * 200),
    "transaction-id-with-nul": lambda order: notice(order, transaction_id="SIM\x00A"),
    "order-number-with-nul": lambda order: notice(order, order_number=order.number + "\x00"),
    "deeply-nested": lambda order: b"[" * 3000 + b"]" * 3000,
}


@pytest.mark.parametrize("make_body", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_but_signed_callback_is_refused_with_400_not_500(order, make_body):
    response = post_callback(make_body(order))

    assert response.status_code == 400
    assert_nothing_paid(order)


def test_a_huge_body_is_refused_without_being_verified(order, monkeypatch):
    def must_not_verify(*args, **kwargs):
        raise AssertionError("a huge body reached the signature check")

    monkeypatch.setattr(payment_views.GatewaySimulator, "verify_callback", must_not_verify)
    body = notice(order, padding="x" * (3 * 1024 * 1024))

    response = post_callback(body)

    assert response.status_code == 400
    assert_nothing_paid(order)


def test_the_callback_only_accepts_post(order):
    client = Client()

    assert client.get(CALLBACK_URL).status_code == 405
    assert client.put(CALLBACK_URL, data=notice(order), content_type="application/json").status_code == 405
    assert_nothing_paid(order)


def test_a_payment_arriving_after_the_order_was_cancelled_is_kept_and_flagged_for_refund(order, variant, warehouse):
    cancel_order(order_id=order.pk, note="changed my mind")
    assert reserved(variant, warehouse) == 0

    response = post_callback(notice(order))

    assert response.status_code == 200  # the gateway must stop retrying; staff refund it
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    payment = Payment.objects.get()
    assert payment.needs_refund
    assert reserved(variant, warehouse) == 0
    assert order.events.filter(to_status=Order.Status.CANCELLED, from_status=Order.Status.CANCELLED).count() == 1


def test_a_payment_arriving_after_the_order_expired_is_kept_and_flagged_for_refund(order, variant, warehouse):
    assert expire_unpaid_orders(now=order.expires_at + timedelta(seconds=1)) == 1

    response = post_callback(notice(order))
    again = post_callback(notice(order))

    assert (response.status_code, again.status_code) == (200, 200)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert Payment.objects.get().needs_refund
    assert reserved(variant, warehouse) == 0


def test_a_second_transaction_for_a_paid_order_is_flagged_for_refund(order):
    post_callback(notice(order, transaction_id="SIM-FIRST"))

    response = post_callback(notice(order, transaction_id="SIM-SECOND"))

    assert response.status_code == 200
    assert Payment.objects.get(transaction_id="SIM-FIRST").needs_refund is False
    assert Payment.objects.get(transaction_id="SIM-SECOND").needs_refund is True
    assert order.events.filter(to_status=Order.Status.PAID, from_status=Order.Status.PENDING_PAYMENT).count() == 1


def test_a_transaction_id_already_used_for_another_order_is_refused(order, shopper, variant, address, express):
    other = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    post_callback(notice(order, transaction_id="SIM-ONCE"))

    response = post_callback(notice(other, transaction_id="SIM-ONCE"))

    assert response.status_code == 400  # not "success": the other order was never paid
    other.refresh_from_db()
    assert other.status == Order.Status.PENDING_PAYMENT
    assert Payment.objects.get().order == order


# --- The hosted page ------------------------------------------------------------


def pay_url(order_or_number):
    number = getattr(order_or_number, "number", order_or_number)
    return reverse("orders:gateway-pay", kwargs={"number": number})


def test_the_hosted_page_shows_merchant_number_and_the_amount_from_the_database(order):
    response = Client().get(pay_url(order) + "?amount=0.01&total=0.01")  # no login: the gateway is a third party

    assert response.status_code == 200
    page = response.content.decode()
    assert str(settings.SHOP_NAME) in page
    assert order.number in page
    assert "¥68.00" in page
    assert "0.01" not in page
    assert 'value="pay"' in page and 'value="cancel"' in page
    assert 'method="post"' in page  # works without JavaScript


def test_the_hosted_page_reveals_nothing_about_the_shopper(order, shopper, address):
    page = Client().get(pay_url(order)).content.decode()

    for private in (address.recipient, address.phone, address.detail, shopper.email, shopper.username):
        assert private not in page


def test_the_hosted_page_is_labelled_as_a_simulator_and_asks_for_no_card(order):
    page = Client().get(pay_url(order)).content.decode().lower()

    assert "模拟支付网关" in page or "payment gateway simulator" in page
    assert "<input" not in page.replace('<input type="hidden" name="csrfmiddlewaretoken"', "")


def test_the_hosted_page_is_not_found_for_an_unknown_order(db):
    assert Client().get(pay_url("NO-SUCH-ORDER")).status_code == 404
    assert Client().post(pay_url("NO-SUCH-ORDER"), {"action": "pay"}).status_code == 404


def test_the_hosted_page_is_not_found_for_an_order_not_paid_online(shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="cod"))

    assert Client().get(pay_url(order)).status_code == 404


@pytest.fixture
def delivered(monkeypatch):
    """Deliver the gateway's callbacks through the test client (there is no server to call)."""
    calls = []

    def deliver(url, body, signature):
        response = Client().post(url, data=body, content_type="application/json", headers={SIGNATURE_HEADER: signature})
        calls.append((url, body, signature, response))
        return response.status_code == 200 and response.content == b"success"

    monkeypatch.setattr(gateway, "deliver_callback", deliver)
    return calls


def test_paying_on_the_hosted_page_pays_the_order_and_returns_the_shopper_to_it(order, delivered):
    response = Client().post(pay_url(order), {"action": "pay"})

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    payment = Payment.objects.get()
    assert payment.provider == "gateway" and not payment.needs_refund
    assert payment.transaction_id.startswith("SIM") and len(payment.transaction_id) == 23
    [(url, body, signature, callback_response)] = delivered
    assert url == "http://testserver" + CALLBACK_URL
    assert signature == sign(body)
    assert json.loads(body) == {
        "order_number": order.number,
        "amount": "68.00",
        "currency": "CNY",
        "transaction_id": payment.transaction_id,
        "timestamp": pytest.approx(time.time(), abs=5),
    }
    assert callback_response.content == b"success"


def test_the_shopper_lands_on_their_paid_order_after_paying(order, shopper, delivered):
    client = Client()
    client.force_login(shopper)

    response = client.post(pay_url(order), {"action": "pay"}, follow=True)

    assert response.redirect_chain == [(order.get_absolute_url(), 302)]
    assert response.status_code == 200
    assert response.context["order"].status == Order.Status.PAID


def test_the_callback_goes_to_the_configured_base_address(order, monkeypatch):
    urls = []
    monkeypatch.setattr(gateway, "deliver_callback", lambda url, body, signature: urls.append(url) or False)

    with override_settings(PAYMENT_GATEWAY_CALLBACK_BASE="https://shop.internal:8443/"):
        Client().post(pay_url(order), {"action": "pay"})

    assert urls == ["https://shop.internal:8443" + CALLBACK_URL]


def test_cancelling_on_the_hosted_page_returns_to_the_order_with_nothing_paid(order, delivered):
    response = Client().post(pay_url(order), {"action": "cancel"})

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert delivered == []
    assert_nothing_paid(order)


def test_a_callback_that_cannot_be_delivered_still_returns_the_shopper_and_is_logged(order, monkeypatch, caplog):
    monkeypatch.setattr(gateway, "deliver_callback", lambda url, body, signature: False)

    with caplog.at_level(logging.ERROR, logger="orders.payments.simulator"):
        response = Client().post(pay_url(order), {"action": "pay"})

    assert response.status_code == 302
    assert response["Location"] == order.get_absolute_url()
    assert_nothing_paid(order)
    assert order.number in caplog.text


@pytest.mark.parametrize("status", [Order.Status.PAID, Order.Status.CANCELLED])
def test_the_hosted_page_refuses_an_order_no_longer_awaiting_payment(order, delivered, status):
    if status == Order.Status.PAID:
        post_callback(notice(order))
    else:
        cancel_order(order_id=order.pk)

    page = Client().get(pay_url(order))
    paying = Client().post(pay_url(order), {"action": "pay"})

    assert page.status_code == 200
    assert "¥68.00" not in page.content.decode() and 'value="pay"' not in page.content.decode()
    assert paying.status_code == 409
    assert delivered == []
    assert Payment.objects.count() == (1 if status == Order.Status.PAID else 0)


def test_the_hosted_page_refuses_an_order_past_its_pay_by_time(order, delivered):
    Order.objects.filter(pk=order.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert Client().post(pay_url(order), {"action": "pay"}).status_code == 409
    assert delivered == []
    assert_nothing_paid(order)


def test_the_hosted_page_is_not_found_when_the_simulator_is_switched_off(order, delivered):
    with override_settings(PAYMENT_GATEWAY_SIMULATOR=False):
        assert Client().get(pay_url(order)).status_code == 404
        assert Client().post(pay_url(order), {"action": "pay"}).status_code == 404

    assert delivered == []
    assert_nothing_paid(order)


def test_the_callback_still_takes_payments_when_the_simulator_is_switched_off(order):
    with override_settings(PAYMENT_GATEWAY_SIMULATOR=False):
        response = post_callback(notice(order))

    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == Order.Status.PAID


# --- deliver_callback over real HTTP ------------------------------------------------


class _Shop(BaseHTTPRequestHandler):
    answers: list  # (status, body) per request, the last one repeated
    received: list

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, dict(self.headers), body))
        status, answer = self.answers[min(len(self.received), len(self.answers)) - 1]
        self.send_response(status)
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_shop(monkeypatch):
    """A tiny HTTP server standing in for the shop's callback endpoint."""
    monkeypatch.setattr(gateway, "DELIVERY_BACKOFF", (0, 0))
    handler = type("Handler", (_Shop,), {"answers": [(200, b"success")], "received": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield handler, f"http://127.0.0.1:{server.server_port}/payments/gateway/callback/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_deliver_callback_posts_the_signed_body_as_json(fake_shop):
    handler, url = fake_shop

    assert gateway.deliver_callback(url, b'{"a":1}', "abc123") is True

    [(path, headers, body)] = handler.received
    assert path == CALLBACK_URL
    assert body == b'{"a":1}'
    assert headers[SIGNATURE_HEADER] == "abc123"
    assert headers["Content-Type"] == "application/json"


def test_deliver_callback_retries_until_the_shop_says_success(fake_shop):
    handler, url = fake_shop
    handler.answers = [(500, b"oops"), (200, b"busy"), (200, b"success")]

    assert gateway.deliver_callback(url, b"{}", "sig") is True
    assert len(handler.received) == 3


def test_deliver_callback_gives_up_after_a_few_attempts(fake_shop):
    handler, url = fake_shop
    handler.answers = [(400, b"bad signature")]

    assert gateway.deliver_callback(url, b"{}", "sig") is False
    assert len(handler.received) == 3


def test_deliver_callback_survives_a_shop_that_is_down(monkeypatch):
    monkeypatch.setattr(gateway, "DELIVERY_BACKOFF", (0, 0))

    assert gateway.deliver_callback("http://127.0.0.1:9/payments/gateway/callback/", b"{}", "sig") is False
