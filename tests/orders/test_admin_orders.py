"""The order back office: actions call the services, refuse clearly, and leave an audit trail."""

import uuid
from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages

from orders.models import Order, OrderEvent, Payment, ReturnRequest
from orders.services import record_payment, request_return, ship_order
from stores.models import Stock, StockMovement
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice, pickup_choice

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/orders/order/"


@pytest.fixture
def english(admin_client):
    # Messages are matched in English; the back office speaks Chinese by default.
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return admin_client


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=10, price=Decimal("120.00"))


def page(order, name):
    return f"/admin/orders/order/{order.pk}/{name}/"


def pay(order):
    record_payment(order_number=order.number, provider="gateway", amount=order.total, currency=order.currency,
                   transaction_id=f"T-{order.number}")
    order.refresh_from_db()
    return order


def refund_key():
    """The once-only key the refund page draws for each showing of the form."""
    return str(uuid.uuid4())


def message_texts(response, level=None):
    return [m.message for m in get_messages(response.wsgi_request) if level is None or m.level == level]


def stock_of(variant, store):
    return Stock.objects.get(variant=variant, store=store)


@pytest.fixture
def paid_order(shopper, address, express, variant):
    return pay(buy(shopper, [(variant, 3)], delivery_choice(address, express)))


def test_confirming_bank_transfers_in_bulk_pays_each_order_with_its_own_reference(
    admin_client, admin_user, shopper, address, express, variant
):
    orders = [buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="bank_transfer")) for _ in range(2)]
    selected = {"action": "confirm_bank_transfer", "_selected_action": [o.pk for o in orders]}

    form_page = admin_client.post(CHANGELIST, selected)
    assert form_page.status_code == 200
    assert Order.objects.filter(status=Order.Status.PENDING_PAYMENT).count() == 2

    response = admin_client.post(CHANGELIST, {
        **selected, "apply": "yes", f"reference_{orders[0].pk}": "BANK-001", f"reference_{orders[1].pk}": "BANK-002",
    })

    assert response.status_code == 302
    for order, reference in zip(orders, ["BANK-001", "BANK-002"]):
        order.refresh_from_db()
        assert order.status == Order.Status.PAID
        assert order.payments.get().transaction_id == reference
        event = order.events.last()
        assert (event.to_status, event.actor) == (Order.Status.PAID, admin_user)


def test_a_bank_reference_already_used_for_another_order_is_refused(english, shopper, address, express, variant):
    first, second = (buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="bank_transfer"))
                     for _ in range(2))
    english.post(page(first, "confirm-transfer"), {f"reference_{first.pk}": "BANK-7"})

    response = english.post(page(second, "confirm-transfer"), {f"reference_{second.pk}": "BANK-7"})

    assert response.status_code == 200
    assert any("already recorded" in text for text in message_texts(response, messages.ERROR))
    second.refresh_from_db()
    assert second.status == Order.Status.PENDING_PAYMENT
    assert not second.payments.exists()


def test_shipping_an_order_records_the_carrier_and_turns_the_reservation_into_a_deduction(
    admin_client, admin_user, paid_order, warehouse, variant
):
    assert admin_client.get(page(paid_order, "ship")).status_code == 200

    response = admin_client.post(page(paid_order, "ship"), {"carrier": "顺丰速运", "tracking_number": "SF1234567890"})

    assert response.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.SHIPPED
    assert (paid_order.carrier, paid_order.tracking_number) == ("顺丰速运", "SF1234567890")
    assert paid_order.events.last().actor == admin_user
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.reserved) == (7, 0)
    assert StockMovement.objects.get(reason="deduction", reference=paid_order.number).created_by == admin_user


def test_shipping_without_a_tracking_number_is_a_form_error_and_changes_nothing(admin_client, paid_order):
    response = admin_client.post(page(paid_order, "ship"), {"carrier": "顺丰速运", "tracking_number": "  "})

    assert response.status_code == 200
    assert response.context["form"].errors["tracking_number"]
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.PAID


def test_the_ship_action_sends_one_order_to_its_page_and_refuses_several(
    english, shopper, address, express, variant, paid_order
):
    other = pay(buy(shopper, [(variant, 1)], delivery_choice(address, express)))

    one = english.post(CHANGELIST, {"action": "ship", "_selected_action": [paid_order.pk]})
    several = english.post(CHANGELIST, {"action": "ship", "_selected_action": [paid_order.pk, other.pk]})

    assert one.status_code == 302 and one["Location"] == page(paid_order, "ship")
    assert message_texts(several, messages.ERROR) == ["Choose exactly one order for this action."]
    assert Order.objects.filter(status=Order.Status.SHIPPED).count() == 0


def test_a_pickup_order_is_made_ready_in_bulk_then_picked_up_on_its_page(admin_client, admin_user, shopper, store):
    variant = stocked_variant(store=store, on_hand=4)
    order = pay(buy(shopper, [(variant, 2)], pickup_choice(store)))

    admin_client.post(CHANGELIST, {"action": "mark_ready_for_pickup", "_selected_action": [order.pk]})
    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP

    response = admin_client.post(page(order, "picked-up"), {"pickup_code": Order.objects.get(pk=order.pk).pickup_code})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    assert [e.actor for e in order.events.filter(to_status__in=["ready_for_pickup", "completed"])] == [admin_user] * 2
    stock = stock_of(variant, store)
    assert (stock.on_hand, stock.reserved) == (2, 0)


def test_marking_a_shipped_cash_on_delivery_order_delivered_completes_it(
    admin_client, admin_user, shopper, address, express, variant
):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="cod"))
    ship_order(order_id=order.pk, carrier="中通快递", tracking_number="ZT1", by=admin_user)

    response = admin_client.post(page(order, "complete"), {"note": "快递员已收款"})

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.COMPLETED
    event = order.events.last()
    assert (event.actor, event.note) == (admin_user, "快递员已收款")


def test_the_admin_will_not_complete_a_pickup_order_as_if_it_were_delivered(english, shopper, store):
    variant = stocked_variant(store=store, on_hand=4)
    order = pay(buy(shopper, [(variant, 2)], pickup_choice(store)))
    english.post(CHANGELIST, {"action": "mark_ready_for_pickup", "_selected_action": [order.pk]})

    response = english.post(CHANGELIST, {"action": "complete_delivery", "_selected_action": [order.pk]})

    assert any("is not possible for order" in text and "ready for pick-up" in text
               for text in message_texts(response, messages.ERROR))
    order.refresh_from_db()
    assert order.status == Order.Status.READY_FOR_PICKUP
    assert stock_of(variant, store).reserved == 2


def test_cancelling_orders_in_bulk_releases_their_stock_and_keeps_the_note(
    admin_client, admin_user, shopper, address, express, variant, warehouse
):
    orders = [buy(shopper, [(variant, 2)], delivery_choice(address, express)) for _ in range(2)]
    selected = {"action": "cancel", "_selected_action": [o.pk for o in orders]}
    assert admin_client.post(CHANGELIST, selected).status_code == 200  # the page asking for a note

    admin_client.post(CHANGELIST, {**selected, "apply": "yes", "note": "客户电话取消"})

    assert Order.objects.filter(status=Order.Status.CANCELLED).count() == 2
    assert stock_of(variant, warehouse).reserved == 0
    events = OrderEvent.objects.filter(to_status=Order.Status.CANCELLED)
    assert {(e.actor, e.note) for e in events} == {(admin_user, "客户电话取消")}


def test_a_paid_order_is_not_cancelled_without_its_money_but_sent_to_refund(english, paid_order, warehouse, variant):
    response = english.post(page(paid_order, "cancel"), {"note": ""})

    assert response.status_code == 200
    assert any("refunding it in full" in text for text in message_texts(response, messages.ERROR))
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.PAID
    assert stock_of(variant, warehouse).reserved == 3


@pytest.mark.parametrize("junk", ["abc", "-1", "4", "1.5", ""])
def test_the_refund_page_turns_junk_quantities_into_a_form_error_and_changes_nothing(
    admin_client, admin_user, paid_order, junk
):
    ship_order(order_id=paid_order.pk, carrier="顺丰速运", tracking_number="SF1", by=admin_user)
    line = paid_order.lines.get()

    response = admin_client.post(page(paid_order, "refund"), {
        "key": refund_key(),
        "scope": "lines", f"line_{line.pk}": junk, "reason": "破损", "restock": "on",
    })

    assert response.status_code == 200
    assert response.context["form"].errors
    paid_order.refresh_from_db()
    assert paid_order.refunded_total == 0 and not paid_order.refunds.exists()


def test_a_refund_needs_a_reason(admin_client, paid_order):
    response = admin_client.post(page(paid_order, "refund"), {"key": refund_key(), "scope": "full", "reason": "   "})

    assert response.context["form"].errors["reason"]
    assert not paid_order.refunds.exists()


def test_refunding_some_units_with_restock_puts_them_back_on_the_shelf(
    admin_client, admin_user, paid_order, warehouse, variant
):
    ship_order(order_id=paid_order.pk, carrier="顺丰速运", tracking_number="SF1", by=admin_user)
    line = paid_order.lines.get()
    assert admin_client.get(page(paid_order, "refund")).status_code == 200

    response = admin_client.post(page(paid_order, "refund"), {
        "key": refund_key(),
        "scope": "lines", f"line_{line.pk}": "2", "reason": "尺码不合适，已退回", "restock": "on",
    })

    assert response.status_code == 302
    paid_order.refresh_from_db()
    line.refresh_from_db()
    assert paid_order.status == Order.Status.SHIPPED
    assert paid_order.refunded_total == Decimal("240.00")
    assert line.refunded_quantity == 2
    assert stock_of(variant, warehouse).on_hand == 7 + 2
    movement = StockMovement.objects.get(reason=StockMovement.Reason.RETURN)
    assert (movement.on_hand_change, movement.created_by) == (2, admin_user)
    refund = paid_order.refunds.get()
    assert (refund.created_by, refund.restock) == (admin_user, True)
    assert paid_order.events.last().actor == admin_user


def test_a_full_refund_before_shipping_cancels_the_order_and_releases_its_reservation(
    admin_client, admin_user, paid_order, warehouse, variant
):
    response = admin_client.post(page(paid_order, "refund"), {"key": refund_key(), "scope": "full", "reason": "缺货，客户同意退款"})

    assert response.status_code == 302
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.CANCELLED
    assert paid_order.refunded_total == paid_order.total
    stock = stock_of(variant, warehouse)
    assert (stock.on_hand, stock.reserved) == (10, 0)
    event = paid_order.events.last()
    assert (event.to_status, event.actor) == (Order.Status.CANCELLED, admin_user)


def test_a_per_line_refund_before_shipping_is_refused_with_a_message(english, paid_order):
    line = paid_order.lines.get()

    response = english.post(page(paid_order, "refund"), {"key": refund_key(), "scope": "lines", f"line_{line.pk}": "1", "reason": "x"})

    assert response.status_code == 200
    assert any("once the goods have left" in text for text in message_texts(response, messages.ERROR))
    assert not paid_order.refunds.exists()


def test_shipping_a_cancelled_order_shows_an_error_and_changes_nothing(english, shopper, address, express, variant):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    english.post(page(order, "cancel"), {"note": ""})
    events_before = order.events.count()

    response = english.post(page(order, "ship"), {"carrier": "顺丰速运", "tracking_number": "SF9"})

    assert response.status_code == 200
    assert any("is not possible for order" in text for text in message_texts(response, messages.ERROR))
    order.refresh_from_db()
    assert (order.status, order.tracking_number) == (Order.Status.CANCELLED, "")
    assert order.events.count() == events_before


def test_a_bulk_action_reports_each_refusal_and_still_does_the_rest(english, shopper, address, express, store, variant):
    pickup_variant = stocked_variant(store=store, on_hand=2)
    pickup = pay(buy(shopper, [(pickup_variant, 1)], pickup_choice(store)))
    delivery = pay(buy(shopper, [(variant, 1)], delivery_choice(address, express)))

    response = english.post(CHANGELIST, {"action": "mark_ready_for_pickup", "_selected_action": [pickup.pk, delivery.pk]})

    assert message_texts(response, messages.ERROR) == [
        f"{delivery.number}: “Mark ready for pick-up” is not possible for order {delivery.number} now: it is paid."
    ]
    assert Order.objects.get(pk=pickup.pk).status == Order.Status.READY_FOR_PICKUP
    assert Order.objects.get(pk=delivery.pk).status == Order.Status.PAID


def test_the_order_page_is_read_only_and_offers_only_the_actions_valid_now(admin_client, paid_order):
    response = admin_client.get(f"/admin/orders/order/{paid_order.pk}/change/")

    assert response.status_code == 200
    urls = [url for url, _label in response.context["order_actions"]]
    assert urls == [page(paid_order, "ship"), page(paid_order, "refund")]
    assert b'name="_save"' not in response.content
    assert paid_order.number.encode() in response.content

    admin_client.post(f"/admin/orders/order/{paid_order.pk}/change/", {"status": "completed", "total": "0"})
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.PAID


@pytest.fixture
def viewer(db):
    """Staff who may look at orders but not change them."""
    user = get_user_model().objects.create_user(username="viewer", password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_order", "view_returnrequest"]))
    return user


@pytest.mark.parametrize("name", ["confirm-transfer", "ship", "ready-for-pickup", "picked-up", "complete", "cancel", "refund"])
def test_staff_who_may_only_view_orders_are_refused_the_action_pages(client, viewer, paid_order, name):
    client.force_login(viewer)

    assert client.get(page(paid_order, name)).status_code == 403
    assert client.post(page(paid_order, name), {"carrier": "x", "tracking_number": "y", "reason": "z"}).status_code == 403
    paid_order.refresh_from_db()
    assert paid_order.status == Order.Status.PAID


def test_staff_who_may_only_view_orders_see_the_order_without_actions(client, viewer, paid_order):
    client.force_login(viewer)

    response = client.get(f"/admin/orders/order/{paid_order.pk}/change/")
    changelist = client.get(CHANGELIST)

    assert response.status_code == 200
    assert "order_actions" not in response.context
    assert changelist.status_code == 200
    assert changelist.context["action_form"] is None


def test_a_shopper_is_sent_to_the_admin_login(client, shopper, paid_order):
    client.force_login(shopper)

    for url in [page(paid_order, "ship"), page(paid_order, "refund"), CHANGELIST]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_approve_and_reject_return_requests_with_a_note(admin_client, admin_user, shopper, paid_order, variant,
                                                              address, express):
    other = pay(buy(shopper, [(variant, 1)], delivery_choice(address, express)))
    keep = request_return(order_id=paid_order.pk, user=shopper, reason="不想要了")
    drop = request_return(order_id=other.pk, user=shopper, reason="买错了")

    assert admin_client.post("/admin/orders/returnrequest/", {
        "action": "approve", "_selected_action": [keep.pk]}).status_code == 200
    admin_client.post("/admin/orders/returnrequest/", {
        "action": "approve", "_selected_action": [keep.pk], "apply": "yes", "note": "请寄回"})
    admin_client.post("/admin/orders/returnrequest/", {
        "action": "reject", "_selected_action": [drop.pk], "apply": "yes", "note": ""})

    keep.refresh_from_db()
    drop.refresh_from_db()
    assert (keep.status, keep.decided_by, keep.staff_note) == (ReturnRequest.Status.APPROVED, admin_user, "请寄回")
    assert (drop.status, drop.decided_by) == (ReturnRequest.Status.REJECTED, admin_user)
    assert paid_order.events.last().actor == admin_user


def test_the_payments_list_filters_late_payments_that_need_a_refund(admin_client, shopper, address, express, variant):
    paid = pay(buy(shopper, [(variant, 1)], delivery_choice(address, express)))
    late = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    admin_client.post(page(late, "cancel"), {"note": ""})
    pay(late)  # the money arrives after the order was cancelled: kept, flagged

    response = admin_client.get("/admin/orders/payment/", {"to_refund": "open"})

    assert [p.order for p in response.context["cl"].result_list] == [late]
    assert Payment.objects.get(order=paid).needs_refund is False


@pytest.mark.parametrize(
    "url",
    [
        CHANGELIST,
        CHANGELIST + "?status__exact=paid&fulfilment__exact=delivery&payment_method__exact=online&placed_at__year=2026",
        CHANGELIST + "?q=shopper%40example.com",
        "/admin/orders/returnrequest/",
        "/admin/orders/payment/?to_refund=open",
        "/admin/orders/refund/",
        "/admin/orders/shippingmethod/",
        "/admin/orders/outboxmessage/?sent=no",
    ],
)
def test_order_admin_lists_open_in_chinese(admin_client, paid_order, url):
    response = admin_client.get(url)

    assert response.status_code == 200
    assert response["Content-Language"] == "zh-hans"


def test_order_search_finds_an_order_by_tracking_number_and_member_email(admin_client, admin_user, paid_order, shopper,
                                                                        address, express, variant):
    other = pay(buy(shopper, [(variant, 1)], delivery_choice(address, express)))
    ship_order(order_id=paid_order.pk, carrier="顺丰速运", tracking_number="SF777", by=admin_user)

    by_tracking = admin_client.get(CHANGELIST, {"q": "SF777"})
    by_email = admin_client.get(CHANGELIST, {"q": "shopper@example.com"})

    assert list(by_tracking.context["cl"].result_list) == [paid_order]
    assert set(by_email.context["cl"].result_list) == {paid_order, other}


def test_every_order_detail_part_renders(admin_client, admin_user, paid_order, shopper):
    ship_order(order_id=paid_order.pk, carrier="顺丰速运", tracking_number="SF1", by=admin_user)
    request_return(order_id=paid_order.pk, user=shopper, reason="破损")
    admin_client.post(page(paid_order, "refund"), {"key": refund_key(), "scope": "lines", f"line_{paid_order.lines.get().pk}": "1",
                                                   "reason": "破损"})

    response = admin_client.get(f"/admin/orders/order/{paid_order.pk}/change/")
    refund_page = admin_client.get(f"/admin/orders/refund/{paid_order.refunds.get().pk}/change/")

    assert response.status_code == 200 and refund_page.status_code == 200
    content = response.content.decode()
    for text in ["SF1", "破损", paid_order.lines.get().sku, f"T-{paid_order.number}"]:
        assert text in content


# --- the workflow in the back office ---------------------------------------------------------


def test_a_double_submitted_refund_page_refunds_once(admin_client, admin_user, paid_order):
    ship_order(order_id=paid_order.pk, carrier="顺丰速运", tracking_number="SF1", by=admin_user)
    form = admin_client.get(page(paid_order, "refund")).context["form"]
    key = str(form["key"].value())
    post = {"key": key, "scope": "lines", f"line_{paid_order.lines.get().pk}": "1", "reason": "破损"}

    assert admin_client.post(page(paid_order, "refund"), post).status_code == 302
    admin_client.post(page(paid_order, "refund"), post)

    paid_order.refresh_from_db()
    assert paid_order.refunds.count() == 1 and paid_order.refunded_total == Decimal("120.00")


def store_clerk(store, username="clerk"):
    user = get_user_model().objects.create_user(username=username, password="x", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=["view_order", "change_order"]))
    from stores.models import StoreStaff

    StoreStaff.objects.create(store=store, user=user)
    return user


def test_store_staff_see_and_hand_over_only_their_stores_pickup_orders(client, shopper, store, address, express, variant):
    pickup_variant = stocked_variant(store=store, on_hand=2)
    pickup = pay(buy(shopper, [(pickup_variant, 1)], pickup_choice(store)))
    delivery = pay(buy(shopper, [(variant, 1)], delivery_choice(address, express)))  # sent from the warehouse
    client.force_login(store_clerk(store))

    listed = client.get(CHANGELIST).context["cl"].result_list
    client.post(CHANGELIST, {"action": "mark_ready_for_pickup", "_selected_action": [pickup.pk]})
    buttons = [url for url, _label in client.get(f"/admin/orders/order/{pickup.pk}/change/").context["order_actions"]]
    handed = client.post(page(pickup, "picked-up"), {"note": "", "pickup_code": Order.objects.get(pk=pickup.pk).pickup_code})

    assert list(listed) == [pickup]
    assert buttons[0] == page(pickup, "picked-up")
    assert handed.status_code == 302 and Order.objects.get(pk=pickup.pk).status == Order.Status.COMPLETED
    assert client.get(page(delivery, "ship")).status_code == 404  # not theirs: answered as a missing order
    assert Order.objects.get(pk=delivery.pk).status == Order.Status.PAID


def test_a_refused_cash_on_delivery_parcel_goes_back_to_stock_from_its_page(
    english, admin_user, shopper, address, express, variant, warehouse
):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express, payment="cod"))
    ship_order(order_id=order.pk, carrier="中通快递", tracking_number="ZT1", by=admin_user)
    buttons = [url for url, _label in english.get(f"/admin/orders/order/{order.pk}/change/").context["order_actions"]]

    response = english.post(page(order, "refuse-delivery"), {"note": "客户拒收"})

    assert page(order, "refuse-delivery") in buttons and page(order, "complete") in buttons
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert stock_of(variant, warehouse).on_hand == 10
    assert not Payment.objects.filter(order=order, provider="cod").exists()


def test_staff_refund_a_flagged_late_payment_from_the_payments_list(admin_client, shopper, address, express, variant):
    late = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    admin_client.post(page(late, "cancel"), {"note": ""})
    pay(late)
    payment = Payment.objects.get(order=late)

    for _ in range(2):  # a double submit
        admin_client.post("/admin/orders/payment/", {"action": "refund_flagged", "_selected_action": [payment.pk]})

    assert late.refunds.count() == 1 and late.refunds.get().amount == payment.amount
