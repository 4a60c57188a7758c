"""The member centre's pages: who may open them, what they show, and the privacy actions."""

import json
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from members.models import MemberProfile
from members.services import ensure_member
from tests.conftest import SHOPPER_PASSWORD
from tests.members.conftest import give_money, give_points, make_user

pytestmark = pytest.mark.django_db

MEMBER_PAGES = [
    "/account/", "/account/points/", "/account/wallet/", "/account/invite/", "/account/profile/",
    "/account/privacy/", "/account/privacy/delete/",
]


@pytest.fixture
def logged_in(client, shopper):
    client.force_login(shopper)
    return client


@pytest.mark.parametrize("url", MEMBER_PAGES)
def test_every_member_page_opens_for_the_member_in_the_shop_layout(logged_in, url):
    response = logged_in.get(url)

    assert response.status_code == 200
    assert "site-header" in response.content.decode()


@pytest.mark.parametrize("url", MEMBER_PAGES + ["/account/privacy/export/", "/account/privacy/consent/"])
def test_every_member_page_sends_a_guest_to_log_in(client, url):
    response = client.get(url)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_opening_the_member_centre_creates_the_member_profile(logged_in, shopper):
    assert not MemberProfile.objects.filter(user=shopper).exists()

    logged_in.get("/account/")

    assert MemberProfile.objects.filter(user=shopper).exists()


def test_the_overview_shows_tier_benefits_and_balances_from_the_ledger(logged_in, shopper, tiers):
    member = ensure_member(user=shopper)
    give_points(member, 120)
    give_points(member, -20)
    give_money(member, "88.50")

    page = logged_in.get("/account/").content.decode()

    assert "普通会员" in page
    assert ">100<" in page
    assert "¥88.50" in page
    assert "/orders/" in page and "/account/privacy/" in page and "/account/invite/" in page


def test_the_overview_counts_the_coupons_the_member_can_use_and_links_to_them(logged_in):
    response = logged_in.get("/account/")

    assert 'href="/coupons/mine/"><strong>0</strong>' in response.content.decode()


def test_the_points_page_lists_the_members_entries_with_balances_and_not_anyone_elses(logged_in, shopper):
    member = ensure_member(user=shopper)
    give_points(member, 300)
    give_points(member, -50)
    other = ensure_member(user=make_user("other"))
    give_points(other, 7777)

    response = logged_in.get("/account/points/")
    page = response.content.decode()

    assert [entry.change for entry in response.context["page"]] == [-50, 300]
    assert "+300" in page and "-50" in page and "250" in page
    assert "7777" not in page


def test_the_points_history_is_paginated(logged_in, shopper):
    member = ensure_member(user=shopper)
    for _ in range(25):
        give_points(member, 1)

    first = logged_in.get("/account/points/")
    second = logged_in.get("/account/points/?page=2")

    assert len(first.context["page"]) == 20 and len(second.context["page"]) == 5
    assert 'rel="next"' in first.content.decode()


def test_the_wallet_page_shows_the_ledger_and_the_balance(logged_in, shopper):
    member = ensure_member(user=shopper)
    give_money(member, "100.00")
    give_money(member, "20.00")

    response = logged_in.get("/account/wallet/")
    page = response.content.decode()

    assert [entry.change for entry in response.context["page"]] == [Decimal("20.00"), Decimal("100.00")]
    assert "¥120.00" in page


def test_the_invite_page_shows_the_code_an_absolute_link_and_friends_who_joined(logged_in, shopper):
    member = ensure_member(user=shopper)
    friend = ensure_member(user=make_user("friend"))
    friend.referred_by = shopper
    friend.save(update_fields=["referred_by"])

    response = logged_in.get("/account/invite/")
    page = response.content.decode()

    assert member.referral_code in page
    assert f"http://testserver/account/invite/{member.referral_code}/" in page
    assert response.context["friends_joined"] == 1


def test_an_invite_link_remembers_the_code_and_sends_the_guest_to_sign_up(client):
    response = client.get("/account/invite/ABCD2345/")

    assert response.status_code == 302 and response["Location"] == "/accounts/signup/"
    assert client.session["members_referral_code"] == "ABCD2345"
    assert "ABCD2345" in client.get("/accounts/signup/").content.decode()


def test_a_shopper_who_signs_up_through_an_invite_link_is_referred_by_the_inviter(client):
    inviter = ensure_member(user=make_user("inviter"))
    client.get(f"/account/invite/{inviter.referral_code}/")

    client.post("/accounts/signup/", {
        "email": "friend@example.com", "password1": "a-long-unusual-pass-42", "password2": "a-long-unusual-pass-42",
        "accept_terms": "on",
    })

    friend = get_user_model().objects.get(email="friend@example.com")
    assert MemberProfile.objects.get(user=friend).referred_by == inviter.user
    assert "members_referral_code" not in client.session


def test_a_sign_up_with_an_unknown_invite_code_still_succeeds_without_an_inviter(client):
    client.get("/account/invite/NOSUCH99/")

    response = client.post("/accounts/signup/", {
        "email": "friend@example.com", "password1": "a-long-unusual-pass-42", "password2": "a-long-unusual-pass-42",
        "accept_terms": "on",
    })

    assert response.status_code == 302
    friend = get_user_model().objects.get(email="friend@example.com")
    assert MemberProfile.objects.get(user=friend).referred_by is None


def test_a_member_cannot_refer_themselves_through_their_own_link(logged_in, shopper):
    member = ensure_member(user=shopper)

    response = logged_in.get(f"/account/invite/{member.referral_code}/")

    assert response.status_code == 302 and response["Location"] == "/account/"
    assert "members_referral_code" not in logged_in.session
    member.refresh_from_db()
    assert member.referred_by is None


def test_a_malformed_invite_code_is_not_remembered(client):
    client.get("/account/invite/<script>/")

    assert "members_referral_code" not in client.session


def test_the_profile_saves_birthday_and_gender(logged_in, shopper):
    response = logged_in.post("/account/profile/", {"birthday": "1990-05-17", "gender": "female"})

    assert response.status_code == 302
    member = MemberProfile.objects.get(user=shopper)
    assert str(member.birthday) == "1990-05-17" and member.gender == "female"


def test_the_profile_links_to_allauths_email_phone_and_password_pages(logged_in):
    page = logged_in.get("/account/profile/").content.decode()

    assert "/accounts/email/" in page and "/accounts/phone/change/" in page and "/accounts/password/change/" in page


def test_the_marketing_consent_toggle_is_recorded_with_its_time(logged_in, shopper):
    logged_in.post("/account/privacy/consent/", {"consent": "on"})
    member = MemberProfile.objects.get(user=shopper)
    assert member.marketing_consent is True and member.marketing_consent_at is not None

    logged_in.post("/account/privacy/consent/", {})
    member.refresh_from_db()
    assert member.marketing_consent is False


def test_download_my_data_is_a_json_attachment_with_the_members_data_and_not_others(logged_in, shopper):
    member = ensure_member(user=shopper)
    member.phone = "13800138000"
    member.save(update_fields=["phone"])
    shopper.addresses.create(recipient="张三", phone="13800138000", province="上海市", city="上海市",
                             district="浦东新区", detail="世纪大道 1 号")
    other = make_user("other")
    other.addresses.create(recipient="李四", phone="13900139000", province="北京市", city="北京市",
                           district="朝阳区", detail="建国路 2 号")

    response = logged_in.post("/account/privacy/export/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    body = response.content.decode("utf-8")
    assert "张三" in body  # not \u escapes
    data = json.loads(body)
    assert data["account"]["email"] == shopper.email
    assert data["profile"]["phone"] == "13800138000"
    assert "李四" not in body and "other@example.com" not in body


def test_download_my_data_takes_a_post(logged_in):
    assert logged_in.get("/account/privacy/export/").status_code == 405


def test_deleting_the_account_with_a_wrong_password_changes_nothing(logged_in, shopper):
    response = logged_in.post("/account/privacy/delete/", {"password": "wrong", "confirm": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    shopper.refresh_from_db()
    assert shopper.is_active and shopper.email == "shopper@example.com"
    assert "_auth_user_id" in logged_in.session


def test_deleting_the_account_with_the_password_anonymises_it_and_logs_out(logged_in, shopper):
    ensure_member(user=shopper)

    response = logged_in.post("/account/privacy/delete/", {"password": SHOPPER_PASSWORD, "confirm": "on"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert "_auth_user_id" not in logged_in.session
    shopper.refresh_from_db()
    assert not shopper.is_active and "shopper@example.com" not in shopper.email
    member = MemberProfile.objects.get(user=shopper)
    assert member.anonymised_at is not None and member.deletion_requested_at is not None
    follow = logged_in.get("/")
    assert any(m.level_tag == "success" for m in follow.context["messages"])


def test_a_member_without_a_password_is_asked_to_set_one_before_deleting(client, shopper):
    shopper.set_unusable_password()
    shopper.save()
    client.force_login(shopper)

    response = client.post("/account/privacy/delete/", {"password": "", "confirm": "on"})

    assert response.status_code == 200
    assert "/accounts/password/set/" in response.content.decode()
    shopper.refresh_from_db()
    assert shopper.is_active


def test_another_members_address_is_not_found(logged_in):
    other = make_user("other")
    address = other.addresses.create(recipient="李四", phone="13900139000", province="北京市", city="北京市",
                                     district="朝阳区", detail="建国路 2 号")

    assert logged_in.get(f"/account/addresses/{address.pk}/").status_code == 404
    assert logged_in.post(f"/account/addresses/{address.pk}/delete/").status_code == 404
