"""Coupon pages for shoppers (claim centre, my coupons, redeem, checkout picker, cart hint) and for staff (admin)."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from marketing.models import Coupon, CouponCode, CouponTemplate
from marketing.services import coupons as coupon_services
from members.models import MemberProfile
from members.services import ensure_member
from orders.models import Order
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.factories import stocked_variant

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def _english(settings):
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def member(shopper):
    return ensure_member(user=shopper)


@pytest.fixture
def signed_in(client, shopper, member):
    client.force_login(shopper)
    return client


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_a_shopper_claims_a_coupon_in_the_claim_centre_and_finds_it_in_my_coupons(signed_in, shopper, coupon_template):
    template = coupon_template(name="满100减20")
    page = signed_in.get("/coupons/")
    assert page.status_code == 200 and "满100减20" in text_of(page)
    response = signed_in.post(f"/coupons/{template.pk}/claim/", follow=True)
    assert response.status_code == 200
    assert Coupon.objects.filter(user=shopper, template=template).count() == 1
    assert "Claimed" in text_of(signed_in.get("/coupons/"))
    mine = text_of(signed_in.get("/coupons/mine/"))
    assert "满100减20" in mine and "Spend ¥100.00 or more" in mine
    again = signed_in.post(f"/coupons/{template.pk}/claim/", follow=True)
    assert "already have" in text_of(again)


def test_claiming_needs_an_account_and_an_unknown_coupon_is_a_message(client, signed_in, coupon_template):
    from django.test import Client

    anonymous = Client().post(f"/coupons/{coupon_template().pk}/claim/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert "cannot be claimed" in text_of(signed_in.post("/coupons/999999/claim/", follow=True))


def test_my_coupons_sorts_coupons_into_usable_used_and_expired(signed_in, shopper, coupon_template):
    usable = coupon_services.claim_coupon(template_id=coupon_template(name="能用的").pk, user_id=shopper.pk)
    old = coupon_services.claim_coupon(template_id=coupon_template(name="过期的").pk, user_id=shopper.pk)
    Coupon.objects.filter(pk=old.pk).update(valid_until=timezone.now() - timedelta(days=1))
    assert "能用的" in text_of(signed_in.get("/coupons/mine/"))
    assert "过期的" not in text_of(signed_in.get("/coupons/mine/"))
    assert "过期的" in text_of(signed_in.get("/coupons/mine/?tab=expired"))
    assert signed_in.get("/coupons/mine/?tab=<script>").status_code == 200
    assert usable.code in text_of(signed_in.get("/coupons/mine/"))


@pytest.mark.parametrize("code", ["", "NOSUCH123", "A" * 10_000, "AB\x00CD", "；DROP TABLE"])
def test_the_redeem_form_answers_any_input_with_a_message_never_an_error(signed_in, code):
    response = signed_in.post("/coupons/redeem/", {"code": code})
    assert response.status_code == 200
    assert 'class="error"' in response.content.decode()


def test_a_code_redeemed_on_the_form_lands_in_my_coupons(signed_in, shopper, coupon_template):
    code = coupon_services.generate_codes(template_id=coupon_template(is_claimable=False).pk, count=1)[0]
    response = signed_in.post("/coupons/redeem/", {"code": code.code.lower()}, follow=True)
    assert response.redirect_chain[-1][0] == "/coupons/mine/"
    assert CouponCode.objects.get(pk=code.pk).redeemed_by == shopper


def test_the_checkout_page_picks_the_best_coupon_and_the_shopper_can_drop_it_without_javascript(
        signed_in, shopper, warehouse, express, address, coupon_template):
    variant = stocked_variant(store=warehouse, price=D("150.00"))
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)
    best = coupon_services.claim_coupon(template_id=coupon_template(amount=D("30.00")).pk, user_id=shopper.pk)
    coupon_services.claim_coupon(template_id=coupon_template(amount=D("10.00")).pk, user_id=shopper.pk)
    page = signed_in.get("/checkout/")
    html = page.content.decode()
    assert re.search(rf'value="{best.code}"\s+checked', html)
    assert "chosen automatically" in html
    form = page.context["form"]
    data = {
        "fulfilment": "delivery", "address": address.pk, "shipping_method": express.pk, "payment_method": "online",
        "token": form.initial["token"], "coupon": "none", "update": "1",
    }
    updated = signed_in.post("/checkout/", data)
    assert updated.context["priced"].total == D("150.00")
    data.pop("update")
    data.update(place="1", expected_total="150.00", expected_amount_due="150.00")
    placed = signed_in.post("/checkout/", data)
    assert placed.status_code == 302
    assert Order.objects.get().total == D("150.00")
    assert Coupon.objects.filter(user=shopper, status="used").count() == 0


def test_the_cart_says_how_much_more_to_spend_to_use_a_threshold_coupon(signed_in, shopper, warehouse,
                                                                        coupon_template):
    variant = stocked_variant(store=warehouse, price=D("187.00"))
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)
    coupon_services.claim_coupon(
        template_id=coupon_template(name="满199减20", threshold=D("199.00")).pk, user_id=shopper.pk)
    assert "Spend ¥12.00 more to use 满199减20" in text_of(signed_in.get("/cart/"))


def test_the_product_page_offers_the_coupons_that_cover_the_product(signed_in, warehouse, coupon_template):
    variant = stocked_variant(store=warehouse, price=D("50.00"))
    other = stocked_variant(store=warehouse, price=D("50.00"))
    coupon_template(name="本品专享", applies_to_all=False, products=[variant.product])
    coupon_template(name="别的商品", applies_to_all=False, products=[other.product])
    page = text_of(signed_in.get(variant.product.get_absolute_url()))
    assert page.count("claim-button") == 1


def test_the_member_centre_counts_usable_coupons_and_shows_messages(signed_in, shopper, member, coupon_template):
    coupon_template(name="生日券", auto_issue=CouponTemplate.AutoIssue.BIRTHDAY, is_claimable=False)
    coupon_services.issue_automatic_coupon(user_id=shopper.pk, event="birthday", reference="birthday-2026")
    overview = signed_in.get("/account/")
    assert overview.status_code == 200 and "/coupons/mine/" in overview.content.decode()
    messages_page = text_of(signed_in.get("/coupons/messages/"))
    assert "Happy birthday" in messages_page and "生日券" in messages_page
    assert signed_in.post("/coupons/messages/read/").status_code == 302
    assert "Messages (1)" not in text_of(signed_in.get("/account/"))


# --- admin -------------------------------------------------------------------------------------------


def test_the_coupon_admin_lists_templates_with_figures_generates_codes_and_exports_them(admin_client, coupon_template):
    template = coupon_template(name="双11券")
    listing = admin_client.get("/admin/marketing/coupontemplate/")
    assert listing.status_code == 200 and "双11券" in listing.content.decode()
    assert admin_client.get(f"/admin/marketing/coupontemplate/{template.pk}/change/").status_code == 200
    made = admin_client.post(f"/admin/marketing/coupontemplate/{template.pk}/generate-codes/",
                             {"count": "25", "batch": "b1"})
    assert made.status_code == 302 and CouponCode.objects.filter(template=template).count() == 25
    assert admin_client.post(f"/admin/marketing/coupontemplate/{template.pk}/generate-codes/",
                             {"count": "100000"}).status_code == 200
    csv_response = admin_client.get(f"/admin/marketing/coupontemplate/{template.pk}/codes.csv")
    assert csv_response["Content-Type"].startswith("text/csv")
    assert csv_response.content.decode().count("\n") == 26
    assert admin_client.get("/admin/marketing/coupon/?q=x&status=used").status_code == 200
    assert admin_client.get("/admin/marketing/couponcode/?batch=b1").status_code == 200


def test_staff_issue_a_coupon_to_members_chosen_with_the_member_admins_filters(admin_client, coupon_template,
                                                                               django_user_model):
    template = coupon_template(name="五月生日", is_claimable=False)
    members = [ensure_member(user=django_user_model.objects.create_user(username=f"m{i}", email=f"m{i}@example.com"))
               for i in range(3)]
    MemberProfile.objects.filter(pk__in=[m.pk for m in members[:2]]).update(birthday="1990-05-03")
    ids = [str(m.pk) for m in members[:2]]
    confirm = admin_client.post("/admin/members/memberprofile/", {"action": "issue_coupon_to_members",
                                                                   "_selected_action": ids})
    assert confirm.status_code == 200 and "五月生日" in confirm.content.decode()
    done = admin_client.post("/admin/members/memberprofile/", {
        "action": "issue_coupon_to_members", "_selected_action": ids, "apply": "1", "template": template.pk})
    assert done.status_code == 302
    assert Coupon.objects.filter(template=template, source="staff").count() == 2
