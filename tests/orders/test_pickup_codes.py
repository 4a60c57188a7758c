"""Pick-up codes (自提核销): issued when an order is ready, checked at hand-over, locked after wrong tries."""

import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.utils import timezone

from orders import workflow
from orders.models import Order
from orders.services import mark_ready_for_pickup, record_payment
from orders.services.pickup import (
    PickupOrderNotFound,
    WrongPickupCode,
    cancel_uncollected_pickups,
    hand_over_with_code,
    pickup_qr_payload,
)
from orders.workflow import ActionRefused, move_order
from stores.models import Stock, StoreStaff
from tests.factories import StoreFactory, stocked_variant
from tests.orders.conftest import buy, pickup_choice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def make_staff(username, *, stores=(), role=StoreStaff.Role.CLERK):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="orders",
                                                        codename__in=["change_order", "view_order"]))
    for store in stores:
        StoreStaff.objects.create(store=store, user=user, role=role)
    return get_user_model().objects.get(pk=user.pk)


def ready_order(shopper, store, admin_user, quantity=1):
    variant = stocked_variant(store=store, on_hand=5, price=Decimal("30.00"))
    order = buy(shopper, [(variant, quantity)], pickup_choice(store))
    record_payment(order_number=order.number, provider="gateway", amount=order.total, currency="CNY",
                   transaction_id=f"T-{order.number}")
    mark_ready_for_pickup(order_id=order.pk, by=admin_user)
    return Order.objects.get(pk=order.pk), variant


@pytest.fixture
def store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店", priority=10)


def test_an_order_made_ready_gets_a_six_digit_code_and_a_deadline_days_ahead(shopper, store, admin_user, settings):
    settings.ORDER_PICKUP_DAYS = 3

    order, _variant = ready_order(shopper, store, admin_user)

    assert len(order.pickup_code) == 6 and order.pickup_code.isdigit()
    assert timedelta(days=2, hours=23) < order.pickup_deadline - timezone.now() <= timedelta(days=3)


def test_the_clerk_of_the_store_hands_the_order_over_with_its_code(shopper, store, admin_user):
    order, variant = ready_order(shopper, store, admin_user)
    clerk = make_staff("clerk", stores=[store])

    hand_over_with_code(order_id=order.pk, code=order.pickup_code, actor=workflow.staff_actor(clerk))

    order.refresh_from_db()
    row = Stock.objects.get(store=store, variant=variant)
    assert order.status == Order.Status.COMPLETED and (row.on_hand, row.reserved) == (4, 0)


def test_the_workflow_refuses_a_hand_over_without_the_code(shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)

    with pytest.raises(ActionRefused, match="pick-up code"):
        move_order(order_id=order.pk, action="hand_over", actor=workflow.staff_actor(admin_user))
    with pytest.raises(ActionRefused, match="not the pick-up code"):
        move_order(order_id=order.pk, action="hand_over", actor=workflow.staff_actor(admin_user), pickup_code="000000"
                   if order.pickup_code != "000000" else "111111")

    assert Order.objects.get(pk=order.pk).status == Order.Status.READY_FOR_PICKUP


def test_five_wrong_codes_lock_the_order_even_against_the_right_one(shopper, store, admin_user, settings):
    settings.ORDER_PICKUP_MAX_FAILURES = 5
    order, _variant = ready_order(shopper, store, admin_user)
    actor = workflow.staff_actor(make_staff("clerk", stores=[store]))
    wrong = "000000" if order.pickup_code != "000000" else "111111"

    for _try in range(5):
        with pytest.raises(WrongPickupCode):
            hand_over_with_code(order_id=order.pk, code=wrong, actor=actor)
    with pytest.raises(WrongPickupCode, match="Too many wrong codes"):
        hand_over_with_code(order_id=order.pk, code=order.pickup_code, actor=actor)

    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP
    assert order.pickup_code_failures == 5 and order.pickup_locked_until > timezone.now()


def test_the_lock_runs_out_and_the_right_code_then_works(shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    Order.objects.filter(pk=order.pk).update(pickup_code_failures=5,
                                             pickup_locked_until=timezone.now() - timedelta(minutes=1))

    hand_over_with_code(order_id=order.pk, code=order.pickup_code, actor=workflow.staff_actor(admin_user))

    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


def test_a_code_does_not_work_for_a_clerk_of_another_store_but_does_for_head_office(shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    other = make_staff("other", stores=[StoreFactory(code="jingan")])

    with pytest.raises(PickupOrderNotFound):
        hand_over_with_code(order_id=order.pk, code=order.pickup_code, actor=workflow.staff_actor(other))
    assert Order.objects.get(pk=order.pk).pickup_code_failures == 0

    hand_over_with_code(order_id=order.pk, code=order.pickup_code, actor=workflow.staff_actor(admin_user))
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_parallel_wrong_codes_never_count_past_the_limit(shopper, store, admin_user, settings):
    settings.ORDER_PICKUP_MAX_FAILURES = 5
    order, _variant = ready_order(shopper, store, admin_user)
    actor = workflow.staff_actor(admin_user)
    wrong = "000000" if order.pickup_code != "000000" else "111111"
    barrier = threading.Barrier(10)

    def try_wrong():
        try:
            barrier.wait()
            hand_over_with_code(order_id=order.pk, code=wrong, actor=actor)
        except WrongPickupCode:
            pass
        finally:
            connection.close()

    threads = [threading.Thread(target=try_wrong) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    order.refresh_from_db()
    assert order.pickup_code_failures == 5 and order.pickup_locked_until is not None


def test_the_clerk_verifies_a_code_on_the_admin_page_and_the_order_is_handed_over(client, shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    client.force_login(make_staff("clerk", stores=[store]))

    response = client.post("/admin/orders/order/pickup/verify/", {"pickup_code": order.pickup_code, "number": ""},
                           follow=True)

    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED
    assert response.context["handed"] == order


def test_a_scanned_qr_code_is_accepted_on_the_verify_page(client, shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    client.force_login(make_staff("clerk", stores=[store]))

    client.post("/admin/orders/order/pickup/verify/", {"pickup_code": pickup_qr_payload(order)})

    assert Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


def test_a_clerk_of_another_store_cannot_verify_the_code_and_nothing_is_counted(client, shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    client.force_login(make_staff("other", stores=[StoreFactory(code="jingan")]))

    response = client.post("/admin/orders/order/pickup/verify/", {"pickup_code": order.pickup_code,
                                                                  "number": order.number})

    assert response.status_code == 200 and response.context["form"].non_field_errors()
    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP and order.pickup_code_failures == 0


def test_the_hand_over_page_of_an_order_asks_for_the_code(client, shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    client.force_login(make_staff("clerk", stores=[store]))
    url = f"/admin/orders/order/{order.pk}/picked-up/"

    refused = client.post(url, {"pickup_code": "12"})
    done = client.post(url, {"pickup_code": order.pickup_code})

    assert refused.status_code == 200 and refused.context["form"].errors
    assert done.status_code == 302 and Order.objects.get(pk=order.pk).status == Order.Status.COMPLETED


def test_the_shopper_sees_the_code_the_qr_code_and_the_deadline(client, shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)
    client.force_login(shopper)

    html = client.get(order.get_absolute_url()).content.decode()

    assert order.pickup_code in html and "<svg" in html and "pickup-qr" in html and "<script" not in html.split("pickup-code")[1][:4000]


def test_an_uncollected_order_past_its_deadline_is_cancelled_and_refunded_once(shopper, store, admin_user):
    order, variant = ready_order(shopper, store, admin_user)
    Order.objects.filter(pk=order.pk).update(pickup_deadline=timezone.now() - timedelta(minutes=1))

    first = cancel_uncollected_pickups()
    second = cancel_uncollected_pickups()

    order.refresh_from_db()
    row = Stock.objects.get(store=store, variant=variant)
    assert (first, second) == (1, 0)
    assert order.status == Order.Status.CANCELLED and order.refunded_total == order.total
    assert order.refunds.count() == 1 and (row.on_hand, row.reserved) == (5, 0)


def test_an_order_still_within_its_deadline_is_left_waiting(shopper, store, admin_user):
    order, _variant = ready_order(shopper, store, admin_user)

    assert cancel_uncollected_pickups() == 0
    assert Order.objects.get(pk=order.pk).status == Order.Status.READY_FOR_PICKUP


def test_the_order_list_links_to_the_verify_page(client, store):
    client.force_login(make_staff("clerk", stores=[store]))

    assert "/admin/orders/order/pickup/verify/" in client.get("/admin/orders/order/").content.decode()


def test_someone_who_may_not_move_orders_cannot_open_the_verify_page(client, staff_user):
    client.force_login(staff_user)

    assert client.get("/admin/orders/order/pickup/verify/").status_code in (302, 403)


def test_codes_alone_that_match_nothing_soon_need_the_order_number(shopper, store, admin_user, settings):
    from orders.services.pickup import find_pickup_order

    settings.ORDER_PICKUP_MAX_LOOKUP_MISSES = 3
    order, _variant = ready_order(shopper, store, admin_user)
    actor = workflow.staff_actor(make_staff("clerk", stores=[store]))
    misses = [f"{n:06d}" for n in range(10) if f"{n:06d}" != order.pickup_code][:3]

    for code in misses:
        with pytest.raises(PickupOrderNotFound):
            find_pickup_order(actor=actor, code=code)
    with pytest.raises(PickupOrderNotFound, match="enter the order number"):
        find_pickup_order(actor=actor, code=order.pickup_code)

    assert find_pickup_order(actor=actor, number=order.number, code=order.pickup_code) == order
