from datetime import timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from orders.exceptions import IllegalTransition, OrderError, RefundError
from orders.models import Order, OrderEvent, OutboxMessage
from orders.services import (
    cancel_order,
    complete_delivery,
    confirm_bank_transfer,
    expire_unpaid_orders,
    flush_outbox,
    mark_picked_up,
    mark_ready_for_pickup,
    record_payment,
    refund_order,
    ship_order,
)
from stores.models import Stock
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice, pickup_choice

pytestmark = pytest.mark.django_db


def pay(order):
    return record_payment(order_number=order.number, provider="gateway", amount=order.total, currency="CNY", transaction_id=f"T-{order.number}")


@pytest.fixture
def variant(warehouse, store):
    variant = stocked_variant(store=warehouse, on_hand=10, price=Decimal("50.00"))
    Stock.objects.create(store=store, variant=variant, on_hand=10)
    return variant


def stock(store, variant):
    return Stock.objects.get(store=store, variant=variant)


def test_a_paid_delivery_order_ships_and_the_reservation_becomes_a_deduction(shopper, variant, warehouse, address, express, admin_user):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    pay(order)

    ship_order(order_id=order.pk, carrier="顺丰速运", tracking_number="SF1001", by=admin_user)

    order.refresh_from_db()
    assert order.status == Order.Status.SHIPPED and order.tracking_number == "SF1001"
    row = stock(warehouse, variant)
    assert (row.on_hand, row.reserved) == (8, 0)
    assert list(order.events.values_list("to_status", flat=True)) == ["pending_payment", "paid", "shipped"]
    assert order.events.last().actor == admin_user


def test_a_pickup_order_waits_in_the_store_then_is_picked_up(shopper, variant, store, admin_user):
    order = buy(shopper, [(variant, 1)], pickup_choice(store))
    pay(order)

    mark_ready_for_pickup(order_id=order.pk, by=admin_user)
    mark_picked_up(order_id=order.pk, by=admin_user)

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert (stock(store, variant).on_hand, stock(store, variant).reserved) == (9, 0)


def test_cash_on_delivery_goes_placed_shipped_completed(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="cod"))

    ship_order(order_id=order.pk, carrier="中通", tracking_number="ZT1", by=admin_user)
    complete_delivery(order_id=order.pk, by=admin_user, note="courier collected cash")

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED


@pytest.mark.parametrize(
    "move",
    [
        lambda o, u: ship_order(order_id=o.pk, carrier="x", tracking_number="1", by=u),  # unpaid
        lambda o, u: mark_picked_up(order_id=o.pk, by=u),
        lambda o, u: complete_delivery(order_id=o.pk, by=u),
    ],
)
def test_illegal_moves_are_refused_and_change_nothing(shopper, variant, address, express, admin_user, move):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    with pytest.raises(OrderError):
        move(order, admin_user)

    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.events.count() == 1


def test_a_cancelled_order_cannot_be_cancelled_again_and_releases_stock_once(shopper, variant, warehouse, address, express):
    order = buy(shopper, [(variant, 3)], delivery_choice(address, express))
    cancel_order(order_id=order.pk)

    with pytest.raises(IllegalTransition):
        cancel_order(order_id=order.pk)

    assert stock(warehouse, variant).reserved == 0
    assert stock(warehouse, variant).movements.filter(reason="release").count() == 1


def test_unpaid_orders_expire_once_and_release_their_stock(shopper, variant, warehouse, address, express):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    later = timezone.now() + timedelta(hours=1)

    assert expire_unpaid_orders(now=later) == 1
    assert expire_unpaid_orders(now=later) == 0

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stock(warehouse, variant).reserved == 0


def test_orders_still_inside_their_time_do_not_expire(shopper, variant, address, express):
    buy(shopper, [(variant, 1)], delivery_choice(address, express))

    assert expire_unpaid_orders() == 0


def test_a_payment_after_expiry_is_recorded_and_flagged_never_reviving_the_order(shopper, variant, warehouse, address, express):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    expire_unpaid_orders(now=timezone.now() + timedelta(hours=1))

    payment = pay(order)

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert payment.needs_refund
    assert stock(warehouse, variant).reserved == 0


def test_staff_confirm_a_bank_transfer(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="bank_transfer"))

    confirm_bank_transfer(order_id=order.pk, reference="ICBC-778", by=admin_user)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID
    assert order.payments.get().transaction_id == "ICBC-778"


def test_a_full_refund_before_shipping_cancels_and_frees_the_stock(shopper, variant, warehouse, address, express, admin_user):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    pay(order)

    refund = refund_order(order_id=order.pk, by=admin_user, reason="缺货")

    order.refresh_from_db()
    assert refund.amount == order.total == order.refunded_total
    assert order.status == Order.Status.CANCELLED
    assert stock(warehouse, variant).reserved == 0


def test_a_per_line_refund_after_shipping_can_restock(shopper, variant, warehouse, address, express, admin_user):
    order = buy(shopper, [(variant, 3)], delivery_choice(address, express))
    pay(order)
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF9", by=admin_user)
    line = order.lines.get()

    refund = refund_order(order_id=order.pk, by=admin_user, reason="破损", quantities={line.pk: 1}, restock=True)

    order.refresh_from_db()
    line.refresh_from_db()
    assert refund.amount == Decimal("50.00")
    assert line.refunded_quantity == 1 and order.status == Order.Status.SHIPPED
    assert stock(warehouse, variant).on_hand == 8  # 10 − 3 shipped + 1 back
    with pytest.raises(RefundError):
        refund_order(order_id=order.pk, by=admin_user, reason="again", quantities={line.pk: 3})


def test_refunding_everything_after_shipping_marks_the_order_refunded(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF9", by=admin_user)

    refund_order(order_id=order.pk, by=admin_user, reason="退货")

    order.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refundable_amount == 0
    with pytest.raises(RefundError):
        refund_order(order_id=order.pk, by=admin_user, reason="again")


def test_an_unpaid_order_cannot_be_refunded(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    with pytest.raises(RefundError):
        refund_order(order_id=order.pk, by=admin_user, reason="x")


def test_emails_wait_in_the_outbox_when_the_broker_is_down_and_go_out_once(shopper, variant, address, express, settings, django_capture_on_commit_callbacks):
    from shop.celery import app

    app.conf.task_always_eager = False
    app.conf.broker_url = "redis://127.0.0.1:1/0"  # nothing listens there
    try:
        with django_capture_on_commit_callbacks(execute=True):
            order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    finally:
        app.conf.task_always_eager = True
        app.conf.broker_url = settings.CELERY_BROKER_URL

    message = OutboxMessage.objects.get(order=order)
    assert message.sent_at is None and mail.outbox == []
    assert flush_outbox() == 1
    assert flush_outbox() == 0
    assert len(mail.outbox) == 1


def test_every_move_is_recorded_with_who_and_when(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    cancel_order(order_id=order.pk, by=admin_user, note="客户来电取消")

    event = OrderEvent.objects.filter(order=order).last()
    assert (event.from_status, event.to_status, event.actor, event.note) == (
        "pending_payment", "cancelled", admin_user, "客户来电取消"
    )


def test_a_paid_order_is_not_cancelled_without_its_refund(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)

    with pytest.raises(IllegalTransition):
        cancel_order(order_id=order.pk, by=admin_user)

    order.refresh_from_db()
    assert order.status == Order.Status.PAID


def test_a_shipped_delivery_order_cannot_be_marked_picked_up(shopper, variant, warehouse, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)

    with pytest.raises(OrderError):
        mark_picked_up(order_id=order.pk, by=admin_user)

    assert stock(warehouse, variant).on_hand == 9  # deducted once, by the shipment


def test_a_pickup_order_is_not_completed_as_a_delivery(shopper, variant, store, admin_user):
    order = buy(shopper, [(variant, 1)], pickup_choice(store))
    pay(order)
    mark_ready_for_pickup(order_id=order.pk, by=admin_user)

    with pytest.raises(OrderError):
        complete_delivery(order_id=order.pk, by=admin_user)

    assert stock(store, variant).reserved == 1
