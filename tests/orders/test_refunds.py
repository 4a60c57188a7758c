"""Refunds: what can be refunded (the payment ledger), net amounts per line, points back, once per key."""

import itertools
from decimal import Decimal

import pytest

from members import services as member_services
from members.models import MemberProfile, Tier
from orders.exceptions import RefundError
from orders.models import Order, OrderLine, Refund, RefundPayment
from orders.services import complete_delivery, record_payment, refund_order, ship_order
from orders.services.refunds import new_refund_key, refundable_money
from stores.models import Stock
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

# Refusals and history notes are matched in English; the shop speaks Chinese by default.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


_txn = itertools.count(1)


@pytest.fixture
def gold(db):
    return Tier.objects.create(name="金卡", code="gold", rank=3, threshold=Decimal("500"), discount_percent=Decimal("10"))


@pytest.fixture
def member(shopper):
    return member_services.ensure_member(user=shopper)


@pytest.fixture
def gold_member(member, gold):
    member.tier = gold
    member.save(update_fields=["tier"])
    return member


@pytest.fixture
def hundred(warehouse):
    return stocked_variant(store=warehouse, on_hand=20, price=Decimal("100.00"))


@pytest.fixture
def thirty(warehouse):
    return stocked_variant(store=warehouse, on_hand=20, price=Decimal("30.00"))


def pay(order):
    return record_payment(order_number=order.number, provider="gateway", amount=order.amount_due,
                          currency=order.currency, transaction_id=f"SIM-R{next(_txn)}")


def ship(order, staff):
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number=f"SF{order.pk}", by=staff)


def line_of(order) -> OrderLine:
    return order.lines.get()


def fund(user, amount):
    member_services.staff_top_up_wallet(user_id=user.pk, amount=Decimal(amount), reason="测试", by=None)


def wallet_of(user) -> Decimal:
    return MemberProfile.objects.get(user=user).wallet_balance


def test_a_gold_member_returning_one_of_two_items_gets_the_net_price_back(
    shopper, gold_member, hundred, address, express, admin_user, django_capture_on_commit_callbacks
):
    order = buy(shopper, [(hundred, 2)], delivery_choice(address, express))
    assert order.total == Decimal("180.00")
    payment = pay(order)
    ship(order, admin_user)

    with django_capture_on_commit_callbacks(execute=True):
        refund = refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line_of(order).pk: 1})

    assert refund.amount == Decimal("90.00")
    line = line_of(order)
    assert (line.refunded_quantity, line.refunded_amount) == (1, Decimal("90.00"))
    [leg] = refund.legs.all()
    assert (leg.payment_id, leg.amount, leg.status) == (payment.pk, Decimal("90.00"), Refund.Status.SUCCEEDED)
    assert leg.provider_reference
    payment.refresh_from_db()
    assert payment.refunded_amount == Decimal("90.00") and payment.refundable == Decimal("90.00")
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED


def test_the_units_of_a_line_share_its_net_to_the_cent_and_the_last_take_the_remainder(
    shopper, gold_member, warehouse, address, express, admin_user
):
    odd = stocked_variant(store=warehouse, on_hand=10, price=Decimal("33.33"))
    order = buy(shopper, [(odd, 3)], delivery_choice(address, express))
    pay(order)
    ship(order, admin_user)
    line = line_of(order)
    assert line.net_total == Decimal("89.99")  # 99.99 less 10.00 (10 %, rounded)

    amounts = [
        refund_order(order_id=order.pk, by=admin_user, reason="逐件退", quantities={line.pk: 1}).amount
        for _unit in range(3)
    ]

    assert amounts == [Decimal("30.00"), Decimal("29.99"), Decimal("30.00")]
    assert sum(amounts) == line.net_total
    line.refresh_from_db()
    assert line.refunded_amount == line.net_total


def test_a_full_refund_after_a_part_refund_pays_back_the_rest_and_the_shipping(
    shopper, member, thirty, address, express, admin_user
):
    order = buy(shopper, [(thirty, 2)], delivery_choice(address, express))
    assert (order.total, order.shipping_fee) == (Decimal("68.00"), Decimal("8.00"))
    pay(order)
    ship(order, admin_user)
    part = refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line_of(order).pk: 1})

    rest = refund_order(order_id=order.pk, by=admin_user, reason="全部退")

    order.refresh_from_db()
    assert (part.amount, rest.amount) == (Decimal("30.00"), Decimal("38.00"))
    assert order.refunded_total == order.total
    assert order.status == Order.Status.REFUNDED
    assert refundable_money(order) == 0


def test_a_full_refund_before_shipping_cancels_the_order_and_frees_its_stock(
    shopper, member, thirty, warehouse, address, express, admin_user
):
    order = buy(shopper, [(thirty, 2)], delivery_choice(address, express))
    pay(order)

    refund = refund_order(order_id=order.pk, by=admin_user, reason="缺货")

    order.refresh_from_db()
    assert refund.amount == order.total == order.refunded_total
    assert order.status == Order.Status.CANCELLED
    assert Stock.objects.get(store=warehouse, variant=thirty).reserved == 0


def test_a_refunded_line_gives_back_its_share_of_the_points_used(
    shopper, member, hundred, address, express, admin_user
):
    member_services.staff_adjust_points(user_id=shopper.pk, change=3000, reason="迁移积分", by=None)
    order = buy(shopper, [(hundred, 2)], delivery_choice(address, express, points_to_use=2000))
    line = line_of(order)
    assert (order.points_used, line.points_used, line.net_total) == (2000, 2000, Decimal("180.00"))
    pay(order)
    ship(order, admin_user)

    part = refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line.pk: 1})

    assert (part.amount, part.points) == (Decimal("90.00"), 1000)
    assert MemberProfile.objects.get(user=shopper).points_balance == 2000

    rest = refund_order(order_id=order.pk, by=admin_user, reason="全部退")

    assert rest.points == 1000
    assert MemberProfile.objects.get(user=shopper).points_balance == 3000
    line.refresh_from_db()
    assert line.refunded_points == line.points_used


def test_a_pending_online_order_cannot_be_refunded(shopper, member, thirty, address, express, admin_user):
    order = buy(shopper, [(thirty, 1)], delivery_choice(address, express))

    with pytest.raises(RefundError):
        refund_order(order_id=order.pk, by=admin_user, reason="x")

    order.refresh_from_db()
    assert order.refunded_total == 0 and order.status == Order.Status.PENDING_PAYMENT
    assert not Refund.objects.exists()


def test_a_shipped_cash_on_delivery_order_whose_cash_is_not_collected_is_refused_a_refund_and_pointed_to_refusal(
    shopper, member, thirty, address, express, admin_user
):
    fund(shopper, "50.00")
    order = buy(shopper, [(thirty, 2)], delivery_choice(address, express, payment="cod", use_wallet=True))
    assert (order.status, order.wallet_amount, order.amount_due) == (Order.Status.PLACED, Decimal("50.00"), Decimal("18.00"))
    ship(order, admin_user)

    # Paying back the wallet part while the goods are still with the courier would let the customer
    # pay only the cash and keep everything.
    with pytest.raises(RefundError, match="refused delivery"):
        refund_order(order_id=order.pk, by=admin_user, reason="退货")
    with pytest.raises(RefundError, match="refused delivery"):
        refund_order(order_id=order.pk, by=admin_user, reason="退两件", quantities={line_of(order).pk: 2})

    assert not Refund.objects.exists()
    assert wallet_of(shopper) == Decimal("0.00")
    order.refresh_from_db()
    assert order.refunded_total == Decimal("0.00")


def test_once_the_cash_is_collected_a_cash_on_delivery_refund_takes_the_wallet_first_then_the_cash(
    shopper, member, thirty, address, express, admin_user
):
    fund(shopper, "50.00")
    order = buy(shopper, [(thirty, 2)], delivery_choice(address, express, payment="cod", use_wallet=True))
    ship(order, admin_user)
    # The courier collected the cash: completing the order records it as a payment.
    complete_delivery(order_id=order.pk, by=admin_user, note="快递员已收款")
    assert order.payments.get(provider="cod").amount == Decimal("18.00")
    line = line_of(order)

    first = refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line.pk: 1})
    second = refund_order(order_id=order.pk, by=admin_user, reason="再退一件", quantities={line.pk: 1})

    assert [(leg.payment.provider, leg.amount) for leg in first.legs.all()] == [("wallet", Decimal("30.00"))]
    assert [(leg.payment.provider, leg.amount) for leg in second.legs.all()] == [
        ("wallet", Decimal("20.00")), ("cod", Decimal("10.00")),
    ]


def test_a_cash_on_delivery_order_not_yet_sent_is_cancelled_not_refunded(
    shopper, member, thirty, address, express, admin_user
):
    order = buy(shopper, [(thirty, 1)], delivery_choice(address, express, payment="cod"))

    with pytest.raises(RefundError, match="cancel"):
        refund_order(order_id=order.pk, by=admin_user, reason="x")
    assert not Refund.objects.exists()


def test_stored_value_goes_back_first_at_once_and_the_gateway_part_after_commit(
    shopper, member, hundred, address, express, admin_user, django_capture_on_commit_callbacks
):
    fund(shopper, "50.00")
    order = buy(shopper, [(hundred, 2)], delivery_choice(address, express, use_wallet=True))
    assert (order.total, order.wallet_amount) == (Decimal("200.00"), Decimal("50.00"))
    pay(order)
    ship(order, admin_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line_of(order).pk: 1})

    wallet_leg, gateway_leg = refund.legs.all()
    assert (wallet_leg.payment.provider, wallet_leg.amount, wallet_leg.status) == ("wallet", Decimal("50.00"), "succeeded")
    assert (gateway_leg.payment.provider, gateway_leg.amount, gateway_leg.status) == ("gateway", Decimal("50.00"), "pending")
    assert wallet_of(shopper) == Decimal("50.00")
    assert refund.status == Refund.Status.PENDING

    for callback in callbacks:
        callback()

    gateway_leg.refresh_from_db()
    refund.refresh_from_db()
    assert gateway_leg.status == Refund.Status.SUCCEEDED
    assert refund.status == Refund.Status.SUCCEEDED


def test_the_gateway_is_not_called_until_the_refund_is_committed(
    shopper, member, thirty, address, express, admin_user, monkeypatch, django_capture_on_commit_callbacks
):
    from orders.payments import GatewaySimulator

    calls = []
    monkeypatch.setattr(GatewaySimulator, "refund", lambda self, **kw: calls.append(kw["reference"]) or "SIM-RF")
    order = buy(shopper, [(thirty, 2)], delivery_choice(address, express))
    pay(order)
    ship(order, admin_user)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        refund = refund_order(order_id=order.pk, by=admin_user, reason="退一件", quantities={line_of(order).pk: 1})
        assert calls == []

    for callback in callbacks:
        callback()

    [leg] = refund.legs.all()
    assert calls == [f"refund-{leg.pk}"]
    assert leg.provider_reference == "SIM-RF"


def test_the_same_refund_form_posted_twice_refunds_once(shopper, member, thirty, address, express, admin_user):
    order = buy(shopper, [(thirty, 3)], delivery_choice(address, express))
    pay(order)
    ship(order, admin_user)
    key = new_refund_key()
    line = line_of(order)

    first = refund_order(order_id=order.pk, by=admin_user, reason="退一件", key=key, quantities={line.pk: 1})
    second = refund_order(order_id=order.pk, by=admin_user, reason="退一件", key=key, quantities={line.pk: 1})

    assert first.pk == second.pk
    line.refresh_from_db()
    order.refresh_from_db()
    assert line.refunded_quantity == 1
    assert order.refunded_total == Decimal("30.00")
    assert RefundPayment.objects.count() == 1


def test_a_refund_key_from_another_order_is_refused(shopper, member, thirty, address, express, admin_user):
    orders = [buy(shopper, [(thirty, 1)], delivery_choice(address, express)) for _n in range(2)]
    for order in orders:
        pay(order)
    refund_order(order_id=orders[0].pk, by=admin_user, reason="缺货", key="form-1")

    with pytest.raises(RefundError):
        refund_order(order_id=orders[1].pk, by=admin_user, reason="缺货", key="form-1")

    assert Refund.objects.count() == 1


def test_more_units_than_are_left_and_lines_of_other_orders_are_refused(
    shopper, member, thirty, address, express, admin_user
):
    order = buy(shopper, [(thirty, 2)], delivery_choice(address, express))
    other = buy(shopper, [(thirty, 1)], delivery_choice(address, express))
    pay(order)
    ship(order, admin_user)

    for quantities in ({line_of(order).pk: 3}, {line_of(order).pk: -1}, {line_of(other).pk: 1}, {line_of(order).pk: 0}):
        with pytest.raises(RefundError):
            refund_order(order_id=order.pk, by=admin_user, reason="x", quantities=quantities)

    assert not Refund.objects.exists()


def test_a_refund_needs_a_reason(shopper, member, thirty, address, express, admin_user):
    order = buy(shopper, [(thirty, 1)], delivery_choice(address, express))
    pay(order)

    with pytest.raises(RefundError):
        refund_order(order_id=order.pk, by=admin_user, reason="  ")
