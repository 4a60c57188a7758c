"""Coupons: what each kind takes off, on what, for whom; issue, use once, give back; bad codes; birthdays."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from marketing.models import (
    Coupon,
    CouponCode,
    CouponTemplate,
    Notification,
    PromotionUse,
)
from marketing.rules import CouponRule
from marketing.services import coupons as coupon_services
from marketing.services.coupons import CouponError
from members.models import MemberProfile, Tier
from members.services import ensure_member
from orders.exceptions import CheckoutError
from orders.models import Order
from orders.pricing import PricingContext, PricingItem, ShippingRule, price_cart
from orders.services import cancel_order, record_payment, refund_order
from orders.services.checkout import member_for_checkout, price_with_coupons
from tests.factories import CategoryFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]
D = Decimal


@pytest.fixture
def member(shopper):
    return ensure_member(user=shopper)


def item(variant_id, price, quantity=1):
    return PricingItem(variant_id=variant_id, sku=f"S{variant_id}", name="x", options="", unit_price=D(price),
                       quantity=quantity)


def rule(**fields):
    defaults = {"code": "C1", "name": "coupon", "kind": "threshold", "amount": D("20.00"), "threshold": D("100.00")}
    defaults.update(fields)
    return CouponRule(**defaults)


# --- the pipeline ------------------------------------------------------------------------------


def test_a_threshold_coupon_takes_its_amount_off_only_once_its_goods_reach_the_threshold():
    below = price_cart([item(1, "99.99")], PricingContext(coupon=rule()))
    reached = price_cart([item(1, "60.00"), item(2, "40.00")], PricingContext(coupon=rule()))
    assert below.total == D("99.99")
    assert reached.total == D("80.00")
    assert [line.discount for line in reached.lines] == [D("12.00"), D("8.00")]


def test_a_percent_coupon_is_capped_at_its_maximum():
    capped = price_cart([item(1, "500.00")], PricingContext(coupon=rule(kind="percent", amount=None, threshold=D("0"),
                                                                       percent=D("10"), max_discount=D("30.00"))))
    small = price_cart([item(1, "100.00")], PricingContext(coupon=rule(kind="percent", amount=None, threshold=D("0"),
                                                                      percent=D("10"), max_discount=D("30.00"))))
    assert capped.total == D("470.00")
    assert small.total == D("90.00")


def test_a_cash_off_coupon_never_takes_more_than_the_goods_it_covers():
    priced = price_cart([item(1, "5.00"), item(2, "50.00")],
                        PricingContext(coupon=rule(kind="cash_off", amount=D("10.00"), threshold=D("0"),
                                                   variant_ids=frozenset({1}))))
    assert priced.total == D("50.00")
    assert priced.lines[1].discount == 0


def test_a_free_shipping_coupon_waives_the_fee_and_the_goods_keep_their_price():
    shipping = ShippingRule(name="快递", code="ex", base_fee=D("8.00"), included_weight_grams=1000,
                            fee_per_extra_kg=D("2.00"))
    priced = price_cart([item(1, "30.00")], PricingContext(shipping=shipping, coupon=rule(
        kind="free_shipping", amount=None, threshold=D("0"))))
    assert priced.shipping_fee == 0
    assert priced.total == D("30.00")
    assert any(a.reference == "coupon:C1" for a in priced.adjustments)


def test_the_threshold_is_measured_after_the_tier_discount():
    priced = price_cart([item(1, "105.00")], PricingContext(tier_discount_percent=D("10"), coupon=rule()))
    assert priced.total == D("94.50")  # 105 less 10 % is 94.50, below 满100: no coupon


# --- scope and eligibility ------------------------------------------------------------------------


def test_a_category_coupon_covers_the_subtree_and_not_an_excluded_product(warehouse, express, address, member,
                                                                           coupon_template):
    food = CategoryFactory(name="食品")
    snacks = CategoryFactory(name="零食", parent=food)
    chips = stocked_variant(store=warehouse, price=D("60.00"), category=snacks)
    nuts = stocked_variant(store=warehouse, price=D("60.00"), category=snacks)
    other = stocked_variant(store=warehouse, price=D("60.00"))
    template = coupon_template(applies_to_all=False, categories=[food], excluded_products=[nuts.product],
                               threshold=D("50.00"), amount=D("10.00"))
    coupon = coupon_services.claim_coupon(template_id=template.pk, user_id=member.user_id)
    lines = [(chips, 1), (nuts, 1), (other, 1)]
    result = price_with_coupons(lines, delivery_choice(address, express), member_for_checkout(member.user_id))
    assert result.chosen_code == coupon.code
    assert [line.discount for line in result.priced.lines] == [D("10.00"), D("0"), D("0")]


def test_a_member_claims_a_coupon_only_as_often_as_the_limit_allows(member, coupon_template):
    template = coupon_template(per_member_limit=1)
    coupon_services.claim_coupon(template_id=template.pk, user_id=member.user_id)
    with pytest.raises(CouponError, match="already have"):
        coupon_services.claim_coupon(template_id=template.pk, user_id=member.user_id)
    template.refresh_from_db()
    assert template.issued_count == 1


def test_the_last_coupon_of_a_template_goes_and_then_it_is_all_gone(member, coupon_template, django_user_model):
    template = coupon_template(total_quantity=1)
    other = ensure_member(user=django_user_model.objects.create_user(username="b", email="b@example.com"))
    coupon_services.claim_coupon(template_id=template.pk, user_id=member.user_id)
    with pytest.raises(CouponError, match="all gone"):
        coupon_services.claim_coupon(template_id=template.pk, user_id=other.user_id)


def test_a_tier_only_coupon_is_refused_to_other_tiers_and_a_new_customer_coupon_to_returning_ones(
        member, coupon_template):
    gold = Tier.objects.create(name="金卡", code="gold-test", rank=55)
    for_gold = coupon_template(tiers=[gold])
    for_new = coupon_template(new_customers_only=True)
    with pytest.raises(CouponError, match="金卡"):
        coupon_services.claim_coupon(template_id=for_gold.pk, user_id=member.user_id)
    MemberProfile.objects.filter(pk=member.pk).update(last_order_at=timezone.now())
    with pytest.raises(CouponError, match="new customers"):
        coupon_services.claim_coupon(template_id=for_new.pk, user_id=member.user_id)
    MemberProfile.objects.filter(pk=member.pk).update(tier=gold)
    assert coupon_services.claim_coupon(template_id=for_gold.pk, user_id=member.user_id).template == for_gold


# --- checkout: best coupon, use once, give back -------------------------------------------------------


def test_checkout_uses_the_best_coupon_once_and_records_the_campaign_use(warehouse, express, address, shopper,
                                                                         member, coupon_template):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    small = coupon_services.claim_coupon(template_id=coupon_template(amount=D("10.00")).pk, user_id=shopper.pk)
    big = coupon_services.claim_coupon(template_id=coupon_template(amount=D("30.00")).pk, user_id=shopper.pk)
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    assert order.total == D("120.00")  # 150 − 30, free shipping over 99
    big.refresh_from_db()
    small.refresh_from_db()
    assert (big.status, big.order_number, big.discount_amount) == ("used", order.number, D("30.00"))
    assert small.status == "available"
    use = PromotionUse.objects.get(coupon_template=big.template)
    assert (use.order_number, use.discount, use.order_total) == (order.number, D("30.00"), D("120.00"))
    assert order.adjustments.get(kind="coupon").reference == f"coupon:{big.code}"


def test_a_shopper_can_drop_the_coupon_or_choose_another(warehouse, express, address, shopper, member,
                                                         coupon_template):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    small = coupon_services.claim_coupon(template_id=coupon_template(amount=D("10.00")).pk, user_id=shopper.pk)
    coupon_services.claim_coupon(template_id=coupon_template(amount=D("30.00")).pk, user_id=shopper.pk)
    lines, profile = [(variant, 1)], member_for_checkout(shopper.pk)
    none = price_with_coupons(lines, delivery_choice(address, express, coupon_code=""), profile)
    chosen = price_with_coupons(lines, delivery_choice(address, express, coupon_code=small.code.lower()), profile)
    assert none.priced.total == D("150.00") and none.chosen_code == ""
    assert chosen.priced.total == D("140.00") and chosen.chosen_code == small.code
    order = buy(shopper, lines, delivery_choice(address, express, coupon_code=small.code))
    assert order.total == D("140.00")


def test_a_cancelled_order_gives_its_coupon_back(warehouse, express, address, shopper, member, coupon_template):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    coupon = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    cancel_order(order_id=order.pk, note="changed my mind")
    coupon.refresh_from_db()
    assert (coupon.status, coupon.order_number) == ("available", "")
    assert PromotionUse.objects.get(order_number=order.number).is_cancelled


def pay(order):
    return record_payment(order_number=order.number, provider="gateway", amount=order.amount_due, currency=order.currency,
                          transaction_id=f"tx-{order.number}")


def test_a_full_refund_gives_the_coupon_back_while_it_is_valid(warehouse, express, address, shopper, member,
                                                               coupon_template, admin_user):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    coupon = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)
    refund_order(order_id=order.pk, by=admin_user, reason="out of stock")
    coupon.refresh_from_db()
    assert coupon.status == "available"


@override_settings(MARKETING_RETURN_COUPON_ON_FULL_REFUND=False)
def test_with_the_setting_off_a_full_refund_keeps_the_coupon_used(warehouse, express, address, shopper, member,
                                                                  coupon_template, admin_user):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    coupon = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)
    refund_order(order_id=order.pk, by=admin_user, reason="out of stock")
    coupon.refresh_from_db()
    assert coupon.status == "used"
    assert PromotionUse.objects.get(order_number=order.number).is_cancelled


def test_a_full_refund_after_the_coupon_expired_keeps_it_used(warehouse, express, address, shopper, member,
                                                              coupon_template, admin_user):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    coupon = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    pay(order)
    Coupon.objects.filter(pk=coupon.pk).update(valid_until=timezone.now() - timedelta(minutes=1))
    refund_order(order_id=order.pk, by=admin_user, reason="out of stock")
    coupon.refresh_from_db()
    assert coupon.status == "used"


# --- bad codes ----------------------------------------------------------------------------------------


@pytest.fixture
def cart_of_150(warehouse, shopper, member):
    return [(stocked_variant(store=warehouse, price=D("150.00")), 1)]


def code_error(lines, address, express, user_id, code):
    return price_with_coupons(lines, delivery_choice(address, express, coupon_code=code),
                              member_for_checkout(user_id)).error


def test_bad_codes_get_a_clear_message_and_never_an_error_page(cart_of_150, address, express, shopper,
                                                               coupon_template, django_user_model, warehouse):
    template = coupon_template()
    other = ensure_member(user=django_user_model.objects.create_user(username="o", email="o@example.com"))
    others = coupon_services.claim_coupon(template_id=template.pk, user_id=other.user_id)
    expired = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    Coupon.objects.filter(pk=expired.pk).update(valid_until=timezone.now() - timedelta(days=1))
    later = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    Coupon.objects.filter(pk=later.pk).update(valid_from=timezone.now() + timedelta(days=2))
    high = coupon_services.claim_coupon(template_id=coupon_template(threshold=D("500.00")).pk, user_id=shopper.pk)
    elsewhere = stocked_variant(store=warehouse, price=D("1.00"))
    scoped = coupon_services.claim_coupon(
        template_id=coupon_template(applies_to_all=False, products=[elsewhere.product]).pk, user_id=shopper.pk)

    def error(code):
        return code_error(cart_of_150, address, express, shopper.pk, code)

    assert "no coupon with the code" in error("NOSUCHCODE")
    assert "expired" in error(expired.code)
    assert "valid from" in error(later.code)
    assert "another member" in error(others.code)
    assert "more on eligible goods" in error(high.code)
    assert "Not for the goods" in error(scoped.code)
    assert "not a coupon code" in error("A" * 10_000)
    assert "not a coupon code" in error("AB\x00CD")
    with pytest.raises(CheckoutError, match="another member"):
        buy(shopper, cart_of_150, delivery_choice(address, express, coupon_code=others.code))
    assert not Order.objects.exists()


def test_the_checkout_page_answers_bad_codes_with_a_message(client, shopper, cart_of_150, address, express):
    from orders.services import add_to_cart
    from orders.services.cart import MemberCart
    from tests.conftest import SHOPPER_PASSWORD

    add_to_cart(cart=MemberCart(shopper), variant_id=cart_of_150[0][0].pk, quantity=1)
    client.login(username="shopper", password=SHOPPER_PASSWORD)
    for code in ("A" * 10_000, "AB\x00CD", "UNKNOWN1"):
        response = client.post("/checkout/", {"coupon_code": code, "token": str(uuid.uuid4()), "fulfilment": "delivery",
                                              "payment_method": "online", "update": "1"})
        assert response.status_code == 200


# --- codes ---------------------------------------------------------------------------------------------


def test_bulk_codes_are_unique_export_as_csv_and_each_becomes_one_coupon(member, coupon_template, django_user_model):
    template = coupon_template(is_claimable=False)
    codes = coupon_services.generate_codes(template_id=template.pk, count=50, batch="双11")
    assert len({c.code for c in codes}) == 50 == CouponCode.objects.filter(template=template).count()
    csv_text = coupon_services.codes_csv(template.pk)
    assert csv_text.count("\n") == 51 and codes[0].code in csv_text
    coupon = coupon_services.redeem_code(code=codes[0].code.lower(), user_id=member.user_id)
    assert coupon.source == "code" and coupon.template == template
    other = ensure_member(user=django_user_model.objects.create_user(username="c", email="c@example.com"))
    with pytest.raises(CouponError, match="already been used"):
        coupon_services.redeem_code(code=codes[0].code, user_id=other.user_id)


def test_a_bulk_code_typed_at_checkout_joins_the_wallet_and_is_used(warehouse, express, address, shopper, member,
                                                                    coupon_template):
    code = coupon_services.generate_codes(template_id=coupon_template(is_claimable=False).pk, count=1)[0]
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express, coupon_code=code.code))
    assert order.total == D("130.00")
    code.refresh_from_db()
    assert code.coupon.status == "used" and code.coupon.order_number == order.number


# --- the counter ---------------------------------------------------------------------------------------


def test_store_staff_redeem_a_members_coupon_at_the_counter_once(member, coupon_template, django_user_model):
    coupon = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=member.user_id)
    used = coupon_services.redeem_coupon_at_counter(code=coupon.code, user_id=member.user_id, order_number="C0001",
                                                    discount=D("20.00"), order_total=D("180.00"))
    assert used.status == "used" and used.order_number == "C0001"
    with pytest.raises(CouponError, match="already been used"):
        coupon_services.redeem_coupon_at_counter(code=coupon.code, user_id=member.user_id, order_number="C0002",
                                                 discount=D("20.00"), order_total=D("180.00"))
    stranger = django_user_model.objects.create_user(username="s", email="s@example.com")
    other = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=member.user_id)
    with pytest.raises(CouponError, match="another member"):
        coupon_services.redeem_coupon_at_counter(code=other.code, user_id=stranger.pk, order_number="C0003",
                                                 discount=D("20.00"), order_total=D("180.00"))


# --- automatic issue -----------------------------------------------------------------------------------


def test_a_birthday_coupon_is_issued_once_a_year_with_a_message_and_an_email_for_consenting_members(
        member, coupon_template):
    coupon_template(name="生日券", auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_claimable=False, valid_days=30,
                    valid_until=None)
    today = date(2026, 12, 1)
    MemberProfile.objects.filter(pk=member.pk).update(birthday=date(1990, 12, 5), marketing_consent=True)
    with override_settings(MARKETING_BIRTHDAY_WINDOW_DAYS=7):
        assert coupon_services.issue_birthday_coupons(today=today) == 1
        assert coupon_services.issue_birthday_coupons(today=today) == 0
        assert coupon_services.issue_birthday_coupons(today=today + timedelta(days=2)) == 0
    coupon = Coupon.objects.get(user=member.user)
    assert (coupon.source, coupon.reference) == ("birthday", "birthday-2026")
    assert Notification.objects.filter(user=member.user, kind="coupon_birthday").count() == 1
    coupon_services.send_birthday_email(coupon_id=coupon.pk)
    coupon_services.send_birthday_email(coupon_id=coupon.pk)
    assert len(mail.outbox) == 1


def test_no_birthday_email_without_marketing_consent_and_none_outside_the_window(member, coupon_template):
    coupon_template(name="生日券", auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_claimable=False)
    MemberProfile.objects.filter(pk=member.pk).update(birthday=date(1990, 12, 20), marketing_consent=False)
    assert coupon_services.issue_birthday_coupons(today=date(2026, 12, 1)) == 0
    assert coupon_services.issue_birthday_coupons(today=date(2026, 12, 18)) == 1
    assert len(mail.outbox) == 0


def test_the_birthday_coupon_is_the_members_tiers_one(member, coupon_template):
    gold = Tier.objects.create(name="金卡", code="gold-test", rank=55)
    coupon_template(name="普通生日券", auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_claimable=False)
    gold_template = coupon_template(name="金卡生日券", auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_claimable=False,
                                    tiers=[gold])
    MemberProfile.objects.filter(pk=member.pk).update(birthday=date(1990, 1, 2), tier=gold)
    assert coupon_services.issue_birthday_coupons(today=date(2026, 12, 30)) == 1
    coupon = Coupon.objects.get(user=member.user)
    assert coupon.template == gold_template and coupon.reference == "birthday-2027"


def test_the_first_counted_order_issues_the_first_order_coupon_once(member, coupon_template):
    coupon_template(name="首单礼", auto_issue=CouponTemplate.AutoIssue.FIRST_ORDER, is_claimable=False)
    for number in ("N1", "N1", "N2"):
        coupon_services.on_order_counted(user_id=member.user_id, order_number=number, is_first_order=True,
                                         referrer_user_id=None)
    assert Coupon.objects.filter(user=member.user, source="first_order").count() == 1


# --- figures --------------------------------------------------------------------------------------------


def test_the_campaign_figures_count_issued_claimed_used_discount_and_revenue(
        warehouse, express, address, shopper, member, coupon_template):
    from marketing.coupon_selectors import coupon_figures

    template = coupon_template()
    coupon_services.claim_coupon(template_id=template.pk, user_id=shopper.pk)
    order = buy(shopper, [(stocked_variant(store=warehouse, price=D("150.00")), 1)], delivery_choice(address, express))
    figures = coupon_figures([template.pk])[template.pk]
    assert (figures.issued, figures.claimed, figures.used, figures.orders) == (1, 1, 1, 1)
    assert (figures.discount, figures.revenue) == (D("20.00"), order.total)


def test_an_order_that_expires_unpaid_gives_its_coupon_back(warehouse, express, address, shopper, member,
                                                            coupon_template):
    from orders.services import expire_unpaid_orders

    coupon = coupon_services.claim_coupon(template_id=coupon_template().pk, user_id=shopper.pk)
    order = buy(shopper, [(stocked_variant(store=warehouse, price=D("150.00")), 1)], delivery_choice(address, express))
    assert expire_unpaid_orders(now=order.expires_at + timedelta(seconds=1)) == 1
    coupon.refresh_from_db()
    assert coupon.status == "available"


def test_counting_a_first_completed_order_issues_the_first_order_coupon(warehouse, shopper, member, coupon_template,
                                                                        store, admin_user):
    from orders.services import mark_picked_up, mark_ready_for_pickup
    from tests.orders.conftest import pickup_choice

    coupon_template(name="首单礼", auto_issue=CouponTemplate.AutoIssue.FIRST_ORDER, is_claimable=False)
    order = buy(shopper, [(stocked_variant(store=store, price=D("10.00")), 1)], pickup_choice(store))
    pay(order)
    mark_ready_for_pickup(order_id=order.pk, by=admin_user)
    order.refresh_from_db()
    mark_picked_up(order_id=order.pk, by=admin_user, pickup_code=order.pickup_code)
    from orders.services.membership import count_order

    count_order(order_id=order.pk)  # what the queued task does after commit
    assert Coupon.objects.filter(user=shopper, source="first_order").count() == 1
    assert Notification.objects.filter(user=shopper, kind="coupon_first_order").exists()
