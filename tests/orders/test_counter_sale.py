"""The counter sale (门店收银): priced by the pipeline, stock gone at once, tenders recorded, counted once."""

import uuid
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from members import services as member_services
from orders.exceptions import PricesChanged
from orders.models import Order, Payment
from orders.services.counter import Basket, CounterError, Tendered, find_member, ring_up_sale
from orders.services.refunds import refund_order
from stores.exceptions import OutOfStock
from stores.models import Stock, StockMovement, StoreStaff
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop_store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店", priority=10)


@pytest.fixture
def clerk(shop_store):
    user = get_user_model().objects.create_user(username="clerk", password="x", is_staff=True)
    StoreStaff.objects.create(store=shop_store, user=user, role=StoreStaff.Role.CLERK)
    return user


@pytest.fixture
def member(shopper, clerk):
    profile = member_services.ensure_member(user=shopper)
    profile.phone = "13800138000"
    profile.save(update_fields=["phone"])
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("50.00"), reason="test", by=clerk)
    member_services.staff_adjust_points(user_id=shopper.pk, change=1000, reason="test", by=clerk)
    profile.refresh_from_db()
    return profile


def basket_of(store, *lines, member=None, **fields):
    return Basket(store_id=store.pk, lines={v.pk: q for v, q in lines},
                  member_user_id=member.user_id if member else None, **fields)


def test_a_walk_in_cash_sale_is_a_completed_counter_order_with_its_stock_deducted_and_change_given(shop_store, clerk):
    variant = stocked_variant(store=shop_store, on_hand=3, price=Decimal("30.00"))

    order = ring_up_sale(basket=basket_of(shop_store, (variant, 2)), clerk=clerk,
                         tendered=Tendered("cash", Decimal("100.00")), expected_total=Decimal("60.00"))

    stock = Stock.objects.get(store=shop_store, variant=variant)
    assert order.channel == Order.Channel.COUNTER and order.status == Order.Status.COMPLETED
    assert order.sales_staff == clerk
    assert (stock.on_hand, stock.reserved) == (1, 0)
    payment = order.payments.get()
    assert (payment.provider, payment.amount, payment.status) == ("cash", Decimal("60.00"), Payment.Status.SUCCEEDED)
    assert "40.00" in order.events.get(to_status=Order.Status.PAID).note
    assert StockMovement.objects.filter(reference=order.number, reason=StockMovement.Reason.DEDUCTION).count() == 1


def test_a_member_pays_with_points_and_stored_value_and_the_rest_by_card_and_is_counted_once(
    shop_store, clerk, member, django_capture_on_commit_callbacks
):
    variant = stocked_variant(store=shop_store, on_hand=5, price=Decimal("100.00"))
    basket = basket_of(shop_store, (variant, 1), member=member, points_to_use=1000)

    with django_capture_on_commit_callbacks(execute=True):
        order = ring_up_sale(basket=basket, clerk=clerk, tendered=Tendered("wallet_card"), expected_total=None)

    order.refresh_from_db()
    member.refresh_from_db()
    payments = {p.provider: p.amount for p in order.payments.all()}
    assert order.points_used == 1000 and order.wallet_amount == Decimal("50.00")
    assert payments["wallet"] == Decimal("50.00") and payments["card"] == order.total - Decimal("50.00")
    assert member.wallet_balance == Decimal("0.00")
    assert order.counted_at is not None  # the workflow's count effect ran (inline in tests)
    assert member.total_spend == order.total
    from orders.services.membership import count_order

    assert count_order(order_id=order.pk) is False  # counted exactly once


def test_a_double_submitted_sale_makes_one_order(shop_store, clerk):
    variant = stocked_variant(store=shop_store, on_hand=5, price=Decimal("10.00"))
    basket = basket_of(shop_store, (variant, 1))

    first = ring_up_sale(basket=basket, clerk=clerk, tendered=Tendered("card"), expected_total=None)
    second = ring_up_sale(basket=basket, clerk=clerk, tendered=Tendered("card"), expected_total=None)

    assert first.pk == second.pk
    assert Stock.objects.get(store=shop_store, variant=variant).on_hand == 4


def test_a_sale_of_more_than_the_shelf_holds_is_refused_and_writes_nothing(shop_store, clerk):
    variant = stocked_variant(store=shop_store, on_hand=1, price=Decimal("10.00"))

    with pytest.raises(OutOfStock):
        ring_up_sale(basket=basket_of(shop_store, (variant, 2)), clerk=clerk, tendered=Tendered("card"),
                     expected_total=None)

    assert not Order.objects.exists()
    assert Stock.objects.get(store=shop_store, variant=variant).on_hand == 1


def test_too_little_cash_a_changed_total_and_another_stores_clerk_are_refused(shop_store, clerk):
    variant = stocked_variant(store=shop_store, on_hand=5, price=Decimal("10.00"))
    other = StoreFactory(code="jingan", name="静安店")

    with pytest.raises(CounterError):
        ring_up_sale(basket=basket_of(shop_store, (variant, 1)), clerk=clerk,
                     tendered=Tendered("cash", Decimal("5.00")), expected_total=None)
    with pytest.raises(PricesChanged):
        ring_up_sale(basket=basket_of(shop_store, (variant, 1)), clerk=clerk, tendered=Tendered("card"),
                     expected_total=Decimal("9.00"))
    with pytest.raises(CounterError):
        ring_up_sale(basket=basket_of(other, (variant, 1)), clerk=clerk, tendered=Tendered("card"), expected_total=None)
    with pytest.raises(CounterError):
        ring_up_sale(basket=basket_of(shop_store, (variant, 1)), clerk=clerk, tendered=Tendered("wallet"),
                     expected_total=None)
    assert not Order.objects.exists()


def test_a_counter_coupon_is_redeemed_once_for_the_member(shop_store, clerk, member):
    from marketing.models import Coupon, CouponTemplate
    from marketing.services.coupons import issue_coupon
    from django.utils import timezone
    from datetime import timedelta

    template = CouponTemplate.objects.create(
        name="满100减20", kind=CouponTemplate.Kind.THRESHOLD, amount=Decimal("20.00"), threshold=Decimal("100.00"),
        valid_from=timezone.now() - timedelta(days=1), valid_until=timezone.now() + timedelta(days=30))
    coupon = issue_coupon(template_id=template.pk, user_id=member.user_id, source="staff", check_rules=False)
    variant = stocked_variant(store=shop_store, on_hand=5, price=Decimal("120.00"))

    order = ring_up_sale(basket=basket_of(shop_store, (variant, 1), member=member, coupon_code=coupon.code),
                         clerk=clerk, tendered=Tendered("card"), expected_total=Decimal("100.00"))

    coupon.refresh_from_db()
    assert coupon.status == Coupon.Status.USED and coupon.order_number == order.number
    with pytest.raises(CounterError):
        ring_up_sale(basket=basket_of(shop_store, (variant, 1), member=member, coupon_code=coupon.code),
                     clerk=clerk, tendered=Tendered("card"), expected_total=None)


def test_a_return_at_the_counter_goes_through_refund_order_back_to_the_till(shop_store, clerk):
    variant = stocked_variant(store=shop_store, on_hand=2, price=Decimal("30.00"))
    order = ring_up_sale(basket=basket_of(shop_store, (variant, 1)), clerk=clerk,
                         tendered=Tendered("cash", Decimal("30.00")), expected_total=None)

    refund = refund_order(order_id=order.pk, by=clerk, reason="wrong size", key=uuid.uuid4().hex, restock=True)

    order.refresh_from_db()
    assert refund.amount == Decimal("30.00")
    assert order.status == Order.Status.REFUNDED
    assert Stock.objects.get(store=shop_store, variant=variant).on_hand == 2


def test_the_member_is_found_by_phone_or_member_code(member):
    from members.services.member_code import member_code_for

    assert find_member("13800138000") == member
    assert find_member(member_code_for(member).lower()) == member
    assert find_member("M1-AAAAAAAAAAAA") is None
    assert find_member("") is None
