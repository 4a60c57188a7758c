"""Coupons under real concurrency: threads on PostgreSQL, released together (see tests/orders/test_checkout_races.py)."""

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from marketing.models import Coupon, CouponTemplate, PromotionUse
from marketing.services.coupons import CouponError, claim_coupon
from members.services import ensure_member
from orders.exceptions import CheckoutError
from orders.models import Order, OrderAdjustment
from orders.services import add_to_cart, place_order
from orders.services.cart import MemberCart
from stores.models import Store
from tests.factories import (
    AddressFactory,
    ShippingMethodFactory,
    StoreFactory,
    stocked_variant,
)
from tests.orders.conftest import delivery_choice
from tests.orders.test_checkout_races import run_together, unexpected

pytestmark = pytest.mark.django_db(transaction=True)


def template(**fields):
    now = timezone.now()
    defaults = {"name": "满100减20", "kind": "threshold", "amount": Decimal("20.00"), "threshold": Decimal("100.00"),
                    "valid_from": now - timedelta(days=1), "valid_until": now + timedelta(days=3), "is_claimable": True}
    return CouponTemplate.objects.create(**{**defaults, **fields})


def test_fifty_shoppers_racing_for_a_coupon_with_five_left_leave_exactly_five_orders_carrying_it():
    warehouse = StoreFactory(code="online", kind=Store.Kind.WAREHOUSE, priority=1, is_pickup_enabled=False)
    method = ShippingMethodFactory(code="express", free_over=Decimal("99.00"))
    variant = stocked_variant(store=warehouse, on_hand=100, price=Decimal("150.00"))
    coupon = template(total_quantity=20)
    CouponTemplate.objects.filter(pk=coupon.pk).update(issued_count=15)  # five left
    users = []
    for index in range(50):
        user = get_user_model().objects.create_user(username=f"racer{index}", email=f"racer{index}@example.com")
        ensure_member(user=user)
        AddressFactory(user=user, is_default=True)
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=1)
        users.append(user)

    def job(user):
        def claim_and_buy():
            try:
                claim_coupon(template_id=coupon.pk, user_id=user.pk)
            except CouponError:
                pass  # all gone: buy at full price
            return place_order(user_id=user.pk, token=uuid.uuid4(),
                               choice=delivery_choice(user.addresses.get(), method), expected_total=None)
        return claim_and_buy

    outcomes = run_together([job(user) for user in users])
    assert unexpected(outcomes) == []
    assert Order.objects.count() == 50
    assert OrderAdjustment.objects.filter(kind="coupon").count() == 5
    assert Coupon.objects.filter(template=coupon, status="used").count() == 5
    assert PromotionUse.objects.filter(coupon_template=coupon).count() == 5
    coupon.refresh_from_db()
    assert coupon.issued_count == 20


def test_one_member_with_ten_tabs_and_a_once_per_member_coupon_claims_it_once_and_uses_it_once():
    warehouse = StoreFactory(code="online", kind=Store.Kind.WAREHOUSE, priority=1, is_pickup_enabled=False)
    method = ShippingMethodFactory(code="express", free_over=Decimal("99.00"))
    variant = stocked_variant(store=warehouse, on_hand=100, price=Decimal("150.00"))
    coupon = template(per_member_limit=1)
    user = get_user_model().objects.create_user(username="tabs", email="tabs@example.com")
    ensure_member(user=user)
    address = AddressFactory(user=user, is_default=True)

    claims = run_together([lambda: claim_coupon(template_id=coupon.pk, user_id=user.pk)] * 10)
    assert unexpected(claims, CouponError) == []
    assert Coupon.objects.filter(template=coupon, user=user).count() == 1

    # Ten tabs, each with a full cart of its own moment, submit checkouts with the coupon at once.
    code = Coupon.objects.get(template=coupon, user=user).code

    def tab():
        add_to_cart(cart=MemberCart(user), variant_id=variant.pk, quantity=1)
        return place_order(user_id=user.pk, token=uuid.uuid4(),
                           choice=delivery_choice(address, method, coupon_code=code), expected_total=None)

    outcomes = run_together([tab] * 10)
    assert unexpected(outcomes, CheckoutError) == []
    assert OrderAdjustment.objects.filter(kind="coupon").count() == 1
    assert Coupon.objects.get(code=code).status == "used"
    assert PromotionUse.objects.filter(coupon_template=coupon).count() == 1


def test_the_birthday_task_run_on_two_workers_at_once_issues_one_coupon():
    from datetime import date

    from marketing.services.coupons import issue_birthday_coupons
    from members.models import MemberProfile

    template(name="生日券", auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_claimable=False)
    users = [get_user_model().objects.create_user(username=f"bd{i}", email=f"bd{i}@example.com") for i in range(5)]
    for user in users:
        ensure_member(user=user)
    MemberProfile.objects.update(birthday=date(1991, 6, 3))
    outcomes = run_together([lambda: issue_birthday_coupons(today=date(2026, 6, 1))] * 4)
    assert unexpected(outcomes) == []
    assert Coupon.objects.filter(source="birthday").count() == 5
    assert sum(value for value, _exc in outcomes) == 5
