"""Phone first: sign up with a mobile number and a password (the email optional), then log in with
the number or the email and the password. allauth runs the flows; members.forms and members.adapter
decide the fields and where the number lives."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.test import override_settings

from members import sms
from members.models import ConsentRecord, MemberProfile

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/accounts/signup/"
VERIFY_URL = "/accounts/phone/verify/"
LOGIN_URL = "/accounts/login/"
PASSWORD = "a-long-unusual-pass-42"


@pytest.fixture(autouse=True)
def text_outbox():
    sms.outbox.clear()
    with override_settings(SMS_BACKEND="members.sms.LocmemBackend"):
        yield sms.outbox
    sms.outbox.clear()


def code_in(message) -> str:
    return re.search(r"\b(\d{6})\b", message.text).group(1)


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def sign_up(client, url=SIGNUP_URL, **fields):
    data = {"phone": "139 0000 1111", "password1": PASSWORD, "password2": PASSWORD, "email": "",
            "accept_terms": "on", **fields}
    return client.post(url, data)


def test_signing_up_with_a_number_and_a_password_texts_a_code_and_the_code_logs_in(client, text_outbox):
    response = sign_up(client)

    assert response.status_code == 302 and response["Location"] == VERIFY_URL
    assert [m.phone for m in text_outbox] == ["13900001111"]
    assert logged_in_user_id(client) is None
    user = get_user_model().objects.get(email="")
    assert MemberProfile.objects.get(user=user).phone == ""  # not proved yet
    assert ConsentRecord.objects.filter(user=user).exists()

    response = client.post(VERIFY_URL, {"code": code_in(text_outbox[0])})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(user.pk)
    assert MemberProfile.objects.get(user=user).phone == "13900001111"
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_number_and_an_email_need_only_the_code_and_the_email_is_sent_its_link(client, text_outbox):
    sign_up(client, email="Lin@Example.com")

    client.post(VERIFY_URL, {"code": code_in(text_outbox[0])})

    user = get_user_model().objects.get(email="lin@example.com")
    assert logged_in_user_id(client) == str(user.pk)
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["lin@example.com"]
    assert not EmailAddress.objects.get(user=user).verified


@pytest.fixture
def phone_password_member(client, text_outbox):
    sign_up(client, email="lin@example.com")
    client.post(VERIFY_URL, {"code": code_in(text_outbox[0])})
    client.logout()
    text_outbox.clear()
    return get_user_model().objects.get(email="lin@example.com")


@pytest.mark.parametrize("login", ["13900001111", "139 0000 1111", "+86 139-0000-1111", "lin@example.com"])
def test_the_log_in_box_takes_the_number_however_typed_or_the_email_with_the_password(
    client, phone_password_member, text_outbox, login
):
    response = client.post(LOGIN_URL, {"login": login, "password": PASSWORD})

    assert response.status_code == 302
    assert logged_in_user_id(client) == str(phone_password_member.pk)
    assert text_outbox == []  # a password log-in texts nothing


def test_a_wrong_password_for_a_number_is_a_form_error(client, phone_password_member):
    response = client.post(LOGIN_URL, {"login": "13900001111", "password": "wrong-password-1"})

    assert response.status_code == 200 and response.context["form"].errors
    assert logged_in_user_id(client) is None


def test_an_unproved_number_cannot_be_used_to_log_in(client, text_outbox):
    sign_up(client)  # the code is never typed
    client.cookies.clear()

    response = client.post(LOGIN_URL, {"login": "13900001111", "password": PASSWORD})

    assert response.status_code == 200 and response.context["form"].errors
    assert logged_in_user_id(client) is None


def test_signing_up_with_neither_number_nor_email_is_a_form_error_on_the_number(client, text_outbox):
    response = sign_up(client, phone="")

    assert response.status_code == 200
    assert response.context["form"].errors["phone"]
    assert not get_user_model().objects.exists() and text_outbox == []


@pytest.mark.parametrize("junk", ["12345", "+1 415 555 0100", "电话"])
def test_a_junk_number_is_a_form_error_even_with_an_email(client, text_outbox, junk):
    response = sign_up(client, phone=junk, email="lin@example.com")

    assert response.status_code == 200 and response.context["form"].errors["phone"]
    assert not get_user_model().objects.exists()


def test_a_number_that_has_an_account_makes_no_second_one_and_its_owner_is_texted(
    client, phone_password_member, text_outbox
):
    cache.clear()  # allauth texts a number at most once in 30 s; this is a later try

    response = sign_up(client, email="")

    assert response.status_code == 302  # the same answer as a new number: nothing to probe
    assert get_user_model().objects.count() == 1
    assert len(text_outbox) == 1 and "/accounts/login/code/" in text_outbox[0].text


def test_the_consent_box_is_still_required(client, text_outbox):
    response = sign_up(client, accept_terms="")

    assert response.status_code == 200 and response.context["form"].errors["accept_terms"]
    assert not get_user_model().objects.exists() and text_outbox == []


def test_after_the_code_the_shopper_is_back_where_they_were(client, text_outbox):
    response = sign_up(client, url=SIGNUP_URL + "?next=/cart/", next="/cart/")
    assert response.status_code == 302

    response = client.post(VERIFY_URL, {"code": code_in(text_outbox[0])})

    assert response.status_code == 302 and response["Location"] == "/cart/"


def test_logging_in_by_number_comes_back_to_next(client, phone_password_member):
    response = client.post(LOGIN_URL + "?next=/member/", {"login": "13900001111", "password": PASSWORD, "next": "/member/"})

    assert response.status_code == 302 and response["Location"] == "/member/"


def test_an_email_only_sign_up_still_waits_for_its_link(client, text_outbox):
    sign_up(client, phone="", email="late@example.com")
    client.cookies.clear()

    response = client.post(LOGIN_URL, {"login": "late@example.com", "password": PASSWORD})

    assert "_auth_user_id" not in client.session
    assert response.status_code == 302 and text_outbox == []


def test_the_sign_up_page_asks_for_the_number_first_and_the_log_in_page_for_number_or_email(client):
    signup_page = client.get(SIGNUP_URL).content.decode()
    login_page = client.get(LOGIN_URL).content.decode()

    assert signup_page.index('name="phone"') < signup_page.index('name="password1"') < signup_page.index('name="email"')
    assert 'type="tel"' in signup_page and 'name="accept_terms"' in signup_page
    assert 'name="login"' in login_page and 'autocomplete="username"' in login_page


def test_signing_up_twice_within_seconds_asks_for_patience_and_keeps_no_half_made_account(client, text_outbox):
    sign_up(client)
    client.cookies.clear()

    again = sign_up(client, email="lin@example.com")

    assert again.status_code == 302 and again["Location"] == SIGNUP_URL
    assert len(text_outbox) == 1  # allauth allows one text per number per 30 s
    assert get_user_model().objects.count() == 1  # the second account, unprovable now, is dropped
    assert not get_user_model().objects.filter(email="lin@example.com").exists()
    page = client.get(SIGNUP_URL)
    assert [m.level_tag for m in page.context["messages"]] == ["error"]


def test_each_text_names_its_template_and_parameters_for_a_mainland_gateway(client, text_outbox):
    sign_up(client)

    message = text_outbox[0]
    assert message.template == "verification_code"
    assert message.params == {"code": code_in(message)}
