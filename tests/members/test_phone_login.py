"""Signing up and logging in with a mainland mobile number and a texted code (allauth's phone
support, members.adapter storing the number, members.sms sending the texts)."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from members import sms
from members.forms import normalise_mobile
from members.models import MemberProfile
from members.services import ensure_member
from tests.conftest import SHOPPER_PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("text_outbox")]

PHONE_SIGNUP_URL = "/account/signup/phone/"
LOGIN_CODE_URL = "/accounts/login/code/"


@pytest.fixture
def text_outbox():
    sms.outbox.clear()
    with override_settings(SMS_BACKEND="members.sms.LocmemBackend"):
        yield sms.outbox
    sms.outbox.clear()


def code_in(message) -> str:
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


@pytest.fixture
def phone_member(db):
    """A member who signed up by phone earlier: no email, no password, a proved number."""
    user = get_user_model().objects.create_user(username="phoneuser", email="")
    user.set_unusable_password()
    user.save()
    member = ensure_member(user=user)
    member.phone = "13912345678"
    member.save(update_fields=["phone"])
    return user


@pytest.mark.parametrize("typed", [
    "13800138000", "138 0013 8000", "138-0013-8000", "+86 138 0013 8000", "+8613800138000", "008613800138000",
    "１３８００１３８０００",
])
def test_mainland_mobile_numbers_are_normalised_to_eleven_digits(typed):
    assert normalise_mobile(typed) == "13800138000"


@pytest.mark.parametrize("typed", ["12345", "1380013800", "138001380001", "23800138000", "12800138000",
                                   "+1 415 555 0100", "phone", "13800138000x", ""])
def test_junk_is_not_a_mainland_mobile_number(typed):
    assert normalise_mobile(typed) is None


def test_signing_up_with_a_phone_number_texts_a_code_and_typing_it_logs_in(client, text_outbox):
    response = client.post(PHONE_SIGNUP_URL, {"phone": "+86 139 0000 1111", "accept_terms": "on"})

    assert response.status_code == 302 and response["Location"] == "/accounts/phone/verify/"
    assert len(text_outbox) == 1 and text_outbox[0].phone == "13900001111"
    assert logged_in_user_id(client) is None
    user = get_user_model().objects.get(member__isnull=False, email="")
    assert MemberProfile.objects.get(user=user).phone == ""  # not proved yet

    response = client.post("/accounts/phone/verify/", {"code": code_in(text_outbox[0])})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)
    assert MemberProfile.objects.get(user=user).phone == "13900001111"
    assert not user.has_usable_password()


def test_a_wrong_sign_up_code_is_a_form_error_and_logs_nobody_in(client, text_outbox):
    client.post(PHONE_SIGNUP_URL, {"phone": "13900001111", "accept_terms": "on"})
    wrong = "000000" if code_in(text_outbox[0]) != "000000" else "111111"

    response = client.post("/accounts/phone/verify/", {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert logged_in_user_id(client) is None
    assert not MemberProfile.objects.filter(phone="13900001111").exists()


@pytest.mark.parametrize("junk", ["12345", "+1 415 555 0100", "call me", "1380013800"])
def test_a_junk_phone_number_at_sign_up_is_a_form_error(client, text_outbox, junk):
    response = client.post(PHONE_SIGNUP_URL, {"phone": junk, "accept_terms": "on"})

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert text_outbox == []
    assert not get_user_model().objects.exists()


def test_a_member_logs_in_with_a_code_texted_to_their_number(client, phone_member, text_outbox):
    response = client.post(LOGIN_CODE_URL, {"phone": "139 1234 5678"})

    assert response.status_code == 302
    assert [m.phone for m in text_outbox] == ["13912345678"]

    response = client.post("/accounts/login/code/confirm/", {"code": code_in(text_outbox[0])})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(phone_member.pk)


def test_a_wrong_log_in_code_is_a_form_error(client, phone_member, text_outbox):
    client.post(LOGIN_CODE_URL, {"phone": "13912345678"})
    wrong = "000000" if code_in(text_outbox[0]) != "000000" else "111111"

    response = client.post("/accounts/login/code/confirm/", {"code": wrong})

    assert response.status_code == 200
    assert response.context["form"].errors["code"]
    assert logged_in_user_id(client) is None


def test_a_junk_number_on_the_log_in_page_is_a_form_error(client, text_outbox):
    response = client.post(LOGIN_CODE_URL, {"phone": "555-0100"})

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert text_outbox == []


def test_asking_for_a_code_for_an_unknown_number_reveals_nothing_on_the_page(client, text_outbox):
    response = client.post(LOGIN_CODE_URL, {"phone": "13700000000"})

    # Same answer as for a member, so nobody can probe which numbers have accounts;
    # the number's owner is told by text instead.
    assert response.status_code == 302
    assert len(text_outbox) == 1 and "/accounts/signup/" in text_outbox[0].text


def test_signing_up_with_a_number_that_has_an_account_makes_no_second_account(client, phone_member, text_outbox):
    client.post(PHONE_SIGNUP_URL, {"phone": "13912345678", "accept_terms": "on"})

    assert get_user_model().objects.count() == 1
    assert len(text_outbox) == 1 and "/accounts/login/code/" in text_outbox[0].text


def test_email_shoppers_still_log_in_with_email_and_password(client, shopper, text_outbox):
    response = client.post("/accounts/login/", {"login": shopper.email, "password": SHOPPER_PASSWORD})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(shopper.pk)
    assert text_outbox == []


def test_the_log_in_and_sign_up_pages_offer_the_phone_alternative(client):
    login_page = client.get("/accounts/login/").content.decode()
    signup_page = client.get("/accounts/signup/").content.decode()
    phone_page = client.get(PHONE_SIGNUP_URL).content.decode()

    assert LOGIN_CODE_URL in login_page
    assert PHONE_SIGNUP_URL in signup_page  # a code alone, no password
    assert signup_page.index('name="phone"') < signup_page.index('name="password1"') < signup_page.index('name="email"')
    assert 'type="tel"' in phone_page and 'name="password1"' not in phone_page
    assert "site-header" in phone_page and "auth-card" in phone_page


def test_the_console_backend_prints_the_text(capsys):
    with override_settings(SMS_BACKEND="members.sms.ConsoleBackend"):
        sms.send_sms("13800138000", "code 123456")

    assert "13800138000" in capsys.readouterr().out
