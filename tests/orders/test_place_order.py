import uuid
from decimal import Decimal

import pytest
from django.core import mail

from orders.exceptions import CheckoutError, PricesChanged
from orders.models import CartLine, Order, OutboxMessage
from orders.services import place_order
from stores.exceptions import OutOfStock
from stores.models import Stock, StockMovement
from tests.factories import AddressFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice, pickup_choice

pytestmark = pytest.mark.django_db


def test_placing_a_delivery_order_reserves_stock_in_the_warehouse_first(shopper, warehouse, store, address, express):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("30.00"))
    Stock.objects.create(store=store, variant=variant, on_hand=5)

    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))

    assert order.status == Order.Status.PENDING_PAYMENT
    assert order.store == warehouse
    assert Stock.objects.get(store=warehouse, variant=variant).reserved == 2
    assert Stock.objects.get(store=store, variant=variant).reserved == 0
    assert StockMovement.objects.filter(reason="reservation", reference=order.number).count() == 1
    assert not CartLine.objects.filter(cart__user=shopper).exists()


def test_an_order_stores_its_lines_prices_and_shipping_as_explainable_lines(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, price=Decimal("33.33"))
    variant.weight_grams = 1500
    variant.save()

    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))

    line = order.lines.get()
    assert (line.unit_price, line.quantity, line.line_total) == (Decimal("33.33"), 2, Decimal("66.66"))
    shipping = order.adjustments.get(kind="shipping")
    assert shipping.amount == Decimal("12.00")  # ¥8 for the first kg + 2 started kg × ¥2
    assert order.total == Decimal("78.66") == order.subtotal + shipping.amount


def test_free_shipping_applies_from_the_threshold_as_its_own_line(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, price=Decimal("99.00"))

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    kinds = {a.kind: a.amount for a in order.adjustments.all()}
    assert kinds == {"shipping": Decimal("8.00"), "shipping_discount": Decimal("-8.00")}
    assert order.total == Decimal("99.00")


def test_cash_on_delivery_orders_are_placed_without_waiting_for_payment(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse)

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, payment="cod"))

    assert order.status == Order.Status.PLACED
    assert order.expires_at is None


def test_a_pickup_order_reserves_in_the_chosen_store_and_costs_no_shipping(shopper, warehouse, store):
    variant = stocked_variant(store=store, on_hand=3)

    order = buy(shopper, [(variant, 3)], pickup_choice(store))

    assert order.store == store and order.shipping_fee == 0
    assert Stock.objects.get(store=store, variant=variant).reserved == 3


def test_submitting_the_same_checkout_twice_makes_one_order(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse)
    token = uuid.uuid4()
    first = buy(shopper, [(variant, 1)], delivery_choice(address, express), token=token)

    again = place_order(user_id=shopper.pk, token=token, choice=delivery_choice(address, express), expected_total=None)

    assert again == first
    assert Order.objects.count() == 1
    assert Stock.objects.get(variant=variant).reserved == 1


def test_a_sold_out_item_gives_a_clear_error_and_changes_nothing(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, on_hand=1)

    with pytest.raises(OutOfStock) as raised:
        buy(shopper, [(variant, 2)], delivery_choice(address, express))

    assert variant.product.name in raised.value.message
    assert Order.objects.count() == 0
    assert Stock.objects.get(variant=variant).reserved == 0
    assert CartLine.objects.filter(cart__user=shopper).count() == 1  # the cart is kept


def test_a_changed_price_stops_the_order_and_says_so(shopper, warehouse, address, express):
    variant = stocked_variant(store=warehouse, price=Decimal("20.00"))

    with pytest.raises(PricesChanged) as raised:
        buy(shopper, [(variant, 1)], delivery_choice(address, express), expected_total=Decimal("18.00"))

    assert "28.00" in raised.value.message
    assert Order.objects.count() == 0


def test_someone_elses_address_cannot_be_used(shopper, warehouse, express, django_user_model):
    stranger = django_user_model.objects.create_user(username="x", email="x@example.com", password="x")
    variant = stocked_variant(store=warehouse)

    with pytest.raises(CheckoutError):
        buy(shopper, [(variant, 1)], delivery_choice(AddressFactory(user=stranger), express))


def test_a_shipping_method_that_does_not_serve_the_province_is_refused(shopper, warehouse, address, express):
    express.provinces = "江苏省,浙江省"
    express.save()

    with pytest.raises(CheckoutError, match="does not deliver|不"):
        buy(shopper, [(stocked_variant(store=warehouse), 1)], delivery_choice(address, express))


def test_an_empty_cart_cannot_be_checked_out(shopper, address, express):
    with pytest.raises(CheckoutError):
        place_order(user_id=shopper.pk, token=uuid.uuid4(), choice=delivery_choice(address, express), expected_total=None)


def test_placing_an_order_queues_one_confirmation_email(shopper, warehouse, address, express, django_capture_on_commit_callbacks):
    variant = stocked_variant(store=warehouse)

    with django_capture_on_commit_callbacks(execute=True):
        order = buy(shopper, [(variant, 1)], delivery_choice(address, express))

    assert OutboxMessage.objects.get(order=order, kind="order_placed").sent_at is not None
    assert len(mail.outbox) == 1 and order.number in mail.outbox[0].subject


def test_the_sold_out_message_says_how_many_are_really_left(shopper, warehouse, store, address, express):
    variant = stocked_variant(store=warehouse, on_hand=1, name="西湖龙井")
    Stock.objects.create(store=store, variant=variant, on_hand=2)
    plenty = stocked_variant(store=warehouse, on_hand=50)

    with pytest.raises(OutOfStock) as raised:
        buy(shopper, [(variant, 3), (plenty, 1)], delivery_choice(address, express))

    assert raised.value.shortages == {variant.pk: 2}


def test_items_spread_over_several_warehouses_get_a_clear_message(shopper, warehouse, store, address, express):
    only_here = stocked_variant(store=warehouse, on_hand=1)
    only_there = stocked_variant(store=store, on_hand=1)

    with pytest.raises(CheckoutError) as raised:
        buy(shopper, [(only_here, 1), (only_there, 1)], delivery_choice(address, express))

    assert not isinstance(raised.value, OutOfStock)
    assert Order.objects.count() == 0


def test_a_bank_transfer_gets_longer_to_pay_than_an_online_payment(shopper, warehouse, address, express, settings):
    from datetime import timedelta

    from django.utils import timezone

    online = buy(shopper, [(stocked_variant(store=warehouse), 1)], delivery_choice(address, express))
    transfer = buy(shopper, [(stocked_variant(store=warehouse), 1)], delivery_choice(address, express, payment="bank_transfer"))

    assert online.expires_at < timezone.now() + timedelta(minutes=settings.ORDER_PAYMENT_MINUTES + 1)
    assert transfer.expires_at > timezone.now() + timedelta(hours=settings.ORDER_BANK_TRANSFER_HOURS - 1)


def gold_member(user, percent="10"):
    from members import services as member_services
    from members.models import Tier

    member = member_services.ensure_member(user=user)
    member.tier = Tier.objects.create(name="金卡", code="gold", rank=3, discount_percent=Decimal(percent))
    member.save()
    return member


def test_each_order_line_stores_its_gross_discount_points_and_net_with_a_share_row_per_adjustment(
    shopper, warehouse, address, express
):
    from members import services as member_services

    gold_member(shopper)
    member_services.staff_adjust_points(user_id=shopper.pk, change=1000, reason="测试", by=None)
    tea = stocked_variant(store=warehouse, price=Decimal("100.00"))
    cup = stocked_variant(store=warehouse, price=Decimal("33.33"))

    order = buy(shopper, [(tea, 2), (cup, 1)], delivery_choice(address, express, points_to_use=1000))

    tea_line, cup_line = order.lines.order_by("id")
    # 233.33 goods, 10 % tier = 23.33 shared by value; 1,000 points = ¥10 shared by what is left.
    assert (tea_line.line_total, tea_line.discount, tea_line.net_total + tea_line.points_value) == (
        Decimal("200.00"), Decimal("20.00"), Decimal("180.00")
    )
    assert cup_line.discount == Decimal("3.33")
    assert tea_line.points_used + cup_line.points_used == 1000 == order.points_used
    assert tea_line.points_value + cup_line.points_value == Decimal("10.00")
    for adjustment in order.adjustments.filter(kind__in=["tier", "points"]):
        assert sum(a.amount for a in adjustment.allocations.all()) == adjustment.amount
    assert sum(line.net_total for line in (tea_line, cup_line)) + order.shipping_fee == order.total
    assert order.subtotal + order.discount_total + order.shipping_fee == order.total


def test_an_order_keeps_kinds_and_figures_not_words_and_remembers_the_checkout_language(
    shopper, warehouse, address, express
):
    from django.utils import translation

    gold_member(shopper, percent="5")
    with translation.override("en"):
        order = buy(shopper, [(stocked_variant(store=warehouse, price=Decimal("100.00")), 1)], delivery_choice(address, express))

    tier = order.adjustments.get(kind="tier")
    assert order.language == "en"
    assert tier.params == {"tier": "金卡", "percent": "5"}
    with translation.override("en"):
        assert tier.label == "金卡 member discount 5%"
    with translation.override("zh-hans"):
        assert tier.label != "金卡 member discount 5%" and "金卡" in tier.label


def test_free_shipping_is_not_counted_as_a_goods_discount_too(shopper, warehouse, address, express):
    order = buy(shopper, [(stocked_variant(store=warehouse, price=Decimal("99.00")), 1)], delivery_choice(address, express))

    assert (order.discount_total, order.shipping_fee, order.total) == (Decimal("0.00"), Decimal("0.00"), Decimal("99.00"))


def test_a_delivery_source_found_short_under_the_lock_gives_way_to_the_next_one(
    shopper, warehouse, store, address, express, monkeypatch
):
    variant = stocked_variant(store=warehouse, on_hand=1)
    Stock.objects.create(store=store, variant=variant, on_hand=3)
    # The unlocked look saw the warehouse's last unit, which another checkout took before our lock.
    Stock.objects.filter(store=warehouse, variant=variant).update(reserved=1)
    monkeypatch.setattr("orders.services.checkout.choose_delivery_store", lambda lines: warehouse)

    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))

    order.refresh_from_db()
    assert order.store == store
    assert Stock.objects.get(store=store, variant=variant).reserved == 2
    assert Stock.objects.get(store=warehouse, variant=variant).reserved == 1
    assert not StockMovement.objects.filter(stock__store=warehouse, reference=order.number).exists()


def test_when_every_delivery_source_is_short_under_the_lock_the_shopper_is_told_what_is_left(
    shopper, warehouse, address, express, monkeypatch
):
    variant = stocked_variant(store=warehouse, on_hand=1)
    Stock.objects.filter(store=warehouse, variant=variant).update(reserved=1)
    monkeypatch.setattr("orders.services.checkout.choose_delivery_store", lambda lines: warehouse)

    with pytest.raises(OutOfStock) as raised:
        buy(shopper, [(variant, 1)], delivery_choice(address, express))

    assert raised.value.shortages == {variant.pk: 0}
    assert Order.objects.count() == 0
    assert CartLine.objects.filter(cart__user=shopper).count() == 1


def test_a_changed_wallet_part_stops_the_order_even_when_the_total_is_the_same(shopper, warehouse, address, express):
    from members import services as member_services
    from orders.exceptions import AmountDueChanged

    member_services.ensure_member(user=shopper)
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("5.00"), reason="测试", by=None)
    variant = stocked_variant(store=warehouse, price=Decimal("20.00"))

    with pytest.raises(AmountDueChanged) as raised:
        # The page showed ¥28 total with nothing from the wallet; the wallet now pays ¥5 of it.
        cart_lines = [(variant, 1)]
        buy(shopper, cart_lines, delivery_choice(address, express, use_wallet=True),
            expected_total=Decimal("28.00"), expected_amount_due=Decimal("28.00"))

    assert "23.00" in raised.value.message
    assert Order.objects.count() == 0


def test_the_confirmation_email_is_written_in_the_language_of_the_checkout_and_explains_each_line(
    shopper, warehouse, address, express
):
    from django.utils import translation

    from orders.services.notifications import send_outbox_message

    gold_member(shopper, percent="10")
    with translation.override("en"):
        order = buy(shopper, [(stocked_variant(store=warehouse, price=Decimal("100.00")), 2)], delivery_choice(address, express))

    message = OutboxMessage.objects.get(order=order, kind="order_placed")
    assert send_outbox_message(message_id=message.pk)

    body = mail.outbox[-1].body
    assert "Thank you for your order" in body
    assert "金卡 member discount 10%" in body and "-¥20.00" in body and "¥180.00" in body
