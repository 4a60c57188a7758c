"""The order workflow: who may move an order where, and what follows (orders/workflow.py)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core import mail
from django.db import transaction
from django.utils import timezone

from members import services as member_services
from members.models import MemberProfile
from orders import workflow
from orders.exceptions import IllegalTransition, OrderError, RefundError
from orders.models import Order, OrderEvent, OutboxMessage, Payment
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
from orders.services.transitions import refuse_delivery
from orders.services.transitions import lock_order
from orders.workflow import ActionRefused, Actor, ActorKind, apply_action, available_actions, move_order
from stores.models import Stock, StoreStaff
from tests.factories import StoreFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice, pickup_choice

# Refusals are matched in English; the shop speaks Chinese by default.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


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
    mark_picked_up(order_id=order.pk, pickup_code=Order.objects.get(pk=order.pk).pickup_code, by=admin_user)

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
        lambda o, u: mark_picked_up(order_id=o.pk, pickup_code="000000", by=u),
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
        mark_picked_up(order_id=order.pk, pickup_code="000000", by=admin_user)

    assert stock(warehouse, variant).on_hand == 9  # deducted once, by the shipment


def test_a_pickup_order_is_not_completed_as_a_delivery(shopper, variant, store, admin_user):
    order = buy(shopper, [(variant, 1)], pickup_choice(store))
    pay(order)
    mark_ready_for_pickup(order_id=order.pk, by=admin_user)

    with pytest.raises(OrderError):
        complete_delivery(order_id=order.pk, by=admin_user)

    assert stock(store, variant).reserved == 1


# --- actors ------------------------------------------------------------------------------------


def make_staff(username, *, stores=(), perms=("change_order", "view_order"), is_staff=True):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=is_staff)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="orders", codename__in=perms))
    for store in stores:
        StoreStaff.objects.create(store=store, user=user)
    return get_user_model().objects.get(pk=user.pk)  # fresh, so the permission cache is empty


def test_a_superuser_is_head_office(admin_user):
    assert workflow.staff_actor(admin_user).kind == ActorKind.HQ


def test_staff_with_order_permissions_and_no_store_are_head_office(db):
    assert workflow.staff_actor(make_staff("hq")).kind == ActorKind.HQ


def test_staff_assigned_to_a_store_act_for_that_store_only(store, warehouse):
    actor = workflow.staff_actor(make_staff("clerk", stores=[store]))

    assert actor.kind == ActorKind.STORE_STAFF and actor.store_ids == {store.pk}


def test_a_shopper_and_staff_without_order_permissions_are_no_back_office_actor(shopper):
    assert workflow.staff_actor(shopper) is None
    assert workflow.staff_actor(make_staff("catalogue", perms=())) is None


# --- the table -----------------------------------------------------------------------------------


def test_only_the_system_records_a_payment(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    assert "pay" not in [edge.name for edge in available_actions(order, workflow.staff_actor(admin_user))]
    with pytest.raises(ActionRefused):
        move_order(order_id=order.pk, action="pay", actor=workflow.staff_actor(admin_user))
    move_order(order_id=order.pk, action="pay", actor=Actor.system())

    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at is not None


def test_the_shopper_and_head_office_are_offered_different_steps_for_the_same_order(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="cod"))

    assert [e.name for e in available_actions(order, Actor.shopper(shopper))] == ["cancel"]
    assert [e.name for e in available_actions(order, workflow.staff_actor(admin_user))] == ["cancel", "ship"]
    assert available_actions(order, None) == []


def test_a_shopper_cannot_move_someone_elses_order(shopper, variant, address, express, django_user_model):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    stranger = django_user_model.objects.create_user(username="stranger", password="x")

    with pytest.raises(ActionRefused, match="not your order"):
        move_order(order_id=order.pk, action="cancel", actor=Actor.shopper(stranger))

    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT


def test_an_unknown_action_is_refused_with_a_message(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    with pytest.raises(ActionRefused, match="Unknown order action"):
        move_order(order_id=order.pk, action="teleport", actor=workflow.staff_actor(admin_user))


@pytest.mark.django_db(transaction=True)
def test_apply_action_needs_the_callers_transaction(shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    with pytest.raises(RuntimeError):
        apply_action(order, "cancel", Actor.system())


def test_a_caller_holding_the_order_lock_moves_it_inside_its_own_transaction(shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    with transaction.atomic():
        locked = lock_order(order.pk)
        apply_action(locked, "pay", Actor.system(), note="paid by the test")

    assert order.events.last().note == "paid by the test"


# --- cancelling while unpaid -------------------------------------------------------------------


def test_a_shopper_cancelling_an_unpaid_order_gets_the_stock_points_and_wallet_part_back(
    shopper, variant, warehouse, address, express
):
    member_services.ensure_member(user=shopper)
    member_services.staff_adjust_points(user_id=shopper.pk, change=1000, reason="活动", by=None)
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("30.00"), reason="充值", by=None)
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express, points_to_use=1000, use_wallet=True))
    assert order.status == Order.Status.PENDING_PAYMENT and order.wallet_amount == Decimal("30.00")

    move_order(order_id=order.pk, action="cancel", actor=Actor.shopper(shopper))

    member = MemberProfile.objects.get(user=shopper)
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED and order.cancelled_at is not None
    assert (member.points_balance, member.wallet_balance) == (1000, Decimal("30.00"))
    assert stock(warehouse, variant).reserved == 0
    assert order.payments.get(provider="wallet").refunded_amount == Decimal("30.00")
    assert OutboxMessage.objects.filter(order=order, kind="order_cancelled").count() == 1


def test_the_shopper_cannot_cancel_once_the_order_is_paid(shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)

    with pytest.raises(ActionRefused, match="refunding it in full"):
        move_order(order_id=order.pk, action="cancel", actor=Actor.shopper(shopper))


# --- shipping, pick-up, receipt ------------------------------------------------------------------


def test_shipping_needs_the_carrier_and_the_tracking_number(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)

    with pytest.raises(ActionRefused, match="carrier"):
        move_order(order_id=order.pk, action="ship", actor=workflow.staff_actor(admin_user), carrier="顺丰", tracking_number=" ")

    assert Order.objects.get(pk=order.pk).status == Order.Status.PAID


@pytest.fixture
def ready_pickup(shopper, variant, store, admin_user):
    order = buy(shopper, [(variant, 1)], pickup_choice(store))
    pay(order)
    mark_ready_for_pickup(order_id=order.pk, by=admin_user)
    return order


def test_staff_of_the_pickup_store_hand_the_order_over_and_it_is_counted(ready_pickup, store, variant, shopper,
                                                                         django_capture_on_commit_callbacks):
    clerk = make_staff("clerk", stores=[store])

    with django_capture_on_commit_callbacks(execute=True):
        move_order(order_id=ready_pickup.pk, action="hand_over", actor=workflow.staff_actor(clerk),
                   pickup_code=Order.objects.get(pk=ready_pickup.pk).pickup_code)

    ready_pickup.refresh_from_db()
    assert ready_pickup.status == Order.Status.COMPLETED and ready_pickup.counted_at is not None
    assert (stock(store, variant).on_hand, stock(store, variant).reserved) == (9, 0)
    assert MemberProfile.objects.get(user=shopper).total_spend == ready_pickup.total


def test_staff_of_another_store_cannot_hand_a_pickup_order_over(ready_pickup, store, variant):
    elsewhere = make_staff("elsewhere", stores=[StoreFactory(code="other")])

    assert available_actions(ready_pickup, workflow.staff_actor(elsewhere)) == []
    with pytest.raises(ActionRefused):
        move_order(order_id=ready_pickup.pk, action="hand_over", actor=workflow.staff_actor(elsewhere),
                   pickup_code=Order.objects.get(pk=ready_pickup.pk).pickup_code)

    assert stock(store, variant).reserved == 1


def test_a_shopper_posting_received_on_a_pickup_order_is_refused_and_nothing_changes(client, ready_pickup, shopper, store, variant):
    client.force_login(shopper)

    response = client.post(f"/orders/{ready_pickup.number}/received/", follow=True)

    ready_pickup.refresh_from_db()
    assert response.status_code == 200
    assert ready_pickup.status == Order.Status.READY_FOR_PICKUP and ready_pickup.counted_at is None
    assert stock(store, variant).reserved == 1 and stock(store, variant).on_hand == 10
    assert MemberProfile.objects.filter(user=shopper, total_spend__gt=0).count() == 0


def test_the_shopper_confirms_receipt_of_a_shipped_parcel_and_the_order_is_counted(
    shopper, variant, address, express, admin_user, django_capture_on_commit_callbacks
):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    pay(order)
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        move_order(order_id=order.pk, action="confirm_receipt", actor=Actor.shopper(shopper))

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED and order.counted_at is not None
    assert MemberProfile.objects.get(user=shopper).points_balance == 100


# --- cash on delivery ------------------------------------------------------------------------------


@pytest.fixture
def shipped_cod(shopper, variant, address, express, admin_user):
    member_services.ensure_member(user=shopper)
    member_services.staff_adjust_points(user_id=shopper.pk, change=500, reason="活动", by=None)
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("20.00"), reason="充值", by=None)
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express, payment="cod", points_to_use=500, use_wallet=True))
    assert order.status == Order.Status.PLACED
    ship_order(order_id=order.pk, carrier="中通", tracking_number="ZT1", by=admin_user)
    order.refresh_from_db()
    return order


def test_completing_a_cash_on_delivery_order_records_the_cash_collected(shipped_cod, admin_user,
                                                                      django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        move_order(order_id=shipped_cod.pk, action="complete_delivery", actor=workflow.staff_actor(admin_user),
                   note="快递员已收款")

    cash = Payment.objects.get(order=shipped_cod, provider="cod")
    assert (cash.status, cash.amount) == (Payment.Status.SUCCEEDED, shipped_cod.amount_due)
    assert Order.objects.get(pk=shipped_cod.pk).counted_at is not None


def test_the_shopper_cannot_confirm_a_cash_on_delivery_order_for_the_courier(shipped_cod, shopper):
    with pytest.raises(ActionRefused):
        move_order(order_id=shipped_cod.pk, action="confirm_receipt", actor=Actor.shopper(shopper))


def test_a_refused_cash_on_delivery_parcel_is_cancelled_restocked_and_gives_back_wallet_and_points(
    shipped_cod, shopper, warehouse, variant, admin_user
):
    assert stock(warehouse, variant).on_hand == 8

    refuse_delivery(order_id=shipped_cod.pk, by=admin_user)

    shipped_cod.refresh_from_db()
    member = MemberProfile.objects.get(user=shopper)
    assert shipped_cod.status == Order.Status.CANCELLED and shipped_cod.counted_at is None
    assert stock(warehouse, variant).on_hand == 10 and stock(warehouse, variant).reserved == 0
    assert (member.points_balance, member.wallet_balance, member.total_spend) == (500, Decimal("20.00"), Decimal("0.00"))
    assert not Payment.objects.filter(order=shipped_cod, provider="cod").exists()


def test_only_cash_on_delivery_parcels_can_be_refused(shopper, variant, address, express, admin_user):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF1", by=admin_user)

    with pytest.raises(ActionRefused):
        refuse_delivery(order_id=order.pk, by=admin_user)


# --- automatic confirmation of receipt -----------------------------------------------------------


def ship_days_ago(order, days, admin_user):
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number=f"SF{order.pk}", by=admin_user)
    Order.objects.filter(pk=order.pk).update(shipped_at=timezone.now() - timedelta(days=days))


def test_parcels_shipped_long_enough_ago_are_confirmed_automatically_once(
    shopper, variant, address, express, admin_user, settings, django_capture_on_commit_callbacks
):
    settings.ORDER_AUTO_COMPLETE_DAYS = 10
    old = pay_and_return(buy(shopper, [(variant, 1)], delivery_choice(address, express)))
    recent = pay_and_return(buy(shopper, [(variant, 1)], delivery_choice(address, express)))
    ship_days_ago(old, 11, admin_user)
    ship_days_ago(recent, 3, admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        assert auto_confirm_receipts_task() == 1
        assert auto_confirm_receipts_task() == 0

    old.refresh_from_db()
    assert old.status == Order.Status.COMPLETED and old.counted_at is not None
    assert Order.objects.get(pk=recent.pk).status == Order.Status.SHIPPED
    assert MemberProfile.objects.get(user=shopper).total_spend == old.total
    assert old.events.filter(to_status="completed").count() == 1


def test_cash_on_delivery_parcels_wait_for_staff_to_confirm_the_cash(shipped_cod, settings):
    settings.ORDER_AUTO_COMPLETE_DAYS = 10
    Order.objects.filter(pk=shipped_cod.pk).update(shipped_at=timezone.now() - timedelta(days=30))

    assert auto_confirm_receipts_task() == 0


def pay_and_return(order):
    pay(order)
    return order


def auto_confirm_receipts_task():
    from orders.tasks import auto_confirm_receipts_task as task

    return task.delay().get()


@pytest.mark.django_db(transaction=True)
def test_the_shopper_confirming_while_the_beat_task_runs_completes_and_counts_the_order_once(
    shopper, variant, address, express, admin_user, settings
):
    import threading

    from django.db import connection

    settings.ORDER_AUTO_COMPLETE_DAYS = 10
    order = pay_and_return(buy(shopper, [(variant, 2)], delivery_choice(address, express)))
    ship_days_ago(order, 11, admin_user)
    start = threading.Barrier(2)

    def run(step):
        start.wait()
        try:
            step()
        except ActionRefused:
            pass  # the other one completed it first
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(lambda: move_order(order_id=order.pk, action="confirm_receipt",
                                                                actor=Actor.shopper(shopper)),)),
        threading.Thread(target=run, args=(lambda: workflow.auto_confirm_receipts() or None,)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert order.events.filter(to_status="completed").count() == 1
    member = MemberProfile.objects.get(user=shopper)
    assert (member.points_balance, member.total_spend) == (100, Decimal("100.00"))
