"""The admin logs in through the shop's own log-in: the same rate limit and the same two-factor step."""

import pytest
from django.core.cache import cache

from tests.conftest import SHOPPER_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


def _log_in(client, email, password, next_url="/admin/"):
    return client.post(f"{LOGIN}?next={next_url}", {"login": email, "password": password})


def _is_logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_page_sends_staff_to_the_shops_log_in(client):
    response = client.get("/admin/login/", {"next": "/admin/orders/order/"})

    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next=%2Fadmin%2Forders%2Forder%2F"


def test_a_password_posted_to_the_admin_login_form_is_not_checked_there(client, staff_user):
    response = client.post("/admin/login/", {"username": staff_user.username, "password": SHOPPER_PASSWORD})

    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not _is_logged_in(client)


def test_the_right_password_opens_the_admin(client, staff_user):
    response = _log_in(client, staff_user.email, SHOPPER_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_after_five_wrong_passwords_even_the_right_one_is_refused_for_a_while(client, staff_user):
    for _attempt in range(5):
        response = _log_in(client, staff_user.email, "wrong password")
        assert response.status_code == 200  # the form again, with its error

    response = _log_in(client, staff_user.email, SHOPPER_PASSWORD)

    assert response.status_code in (200, 429)
    assert not _is_logged_in(client)
    assert client.get("/admin/").status_code == 302

    cache.clear()  # the five-minute window has passed
    response = _log_in(client, staff_user.email, SHOPPER_PASSWORD)
    assert response.status_code == 302 and _is_logged_in(client)


def test_wrong_passwords_from_one_address_are_limited_across_accounts(client, staff_user, shopper):
    # Ten a minute per IP address: guessing across many accounts is slowed down too.
    for attempt in range(10):
        _log_in(client, f"nobody{attempt}@example.com", "wrong password")

    _log_in(client, staff_user.email, SHOPPER_PASSWORD)

    assert not _is_logged_in(client)


def _totp_code(secret: str) -> str:
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.fixture
def staff_secret(staff_user):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    secret = generate_totp_secret()
    TOTP.activate(staff_user, secret)
    return secret


def test_a_staff_user_with_totp_set_up_must_give_a_code_before_the_admin_opens(client, staff_user, staff_secret):
    response = _log_in(client, staff_user.email, SHOPPER_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert not _is_logged_in(client)
    assert client.get("/admin/").status_code == 302

    response = client.post("/accounts/2fa/authenticate/", {"code": "000000" if _totp_code(staff_secret) != "000000" else "111111"})
    assert response.status_code == 200 and not _is_logged_in(client)

    response = client.post("/accounts/2fa/authenticate/", {"code": _totp_code(staff_secret)})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_a_recovery_code_stands_in_for_a_lost_phone(client, staff_user, staff_secret):
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes

    codes = RecoveryCodes.activate(staff_user).get_unused_codes()
    _log_in(client, staff_user.email, SHOPPER_PASSWORD)

    response = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})

    assert response.status_code == 302 and _is_logged_in(client)


def test_staff_can_set_up_an_authenticator_app_from_their_account(client, staff_user):
    client.force_login(staff_user)

    admin_page = client.get("/admin/")
    response = client.get("/accounts/2fa/totp/activate/")

    assert 'href="/accounts/2fa/"' in admin_page.text
    assert response.status_code in (200, 302)  # 302: allauth asks for the password again first


def test_logging_in_by_a_texted_code_still_asks_staff_for_their_two_factor_code(client, staff_user, staff_secret):
    import re

    from django.test import override_settings

    from members import sms
    from members.services import ensure_member

    member = ensure_member(user=staff_user)
    member.phone = "13912345678"
    member.save(update_fields=["phone"])
    sms.outbox.clear()
    with override_settings(SMS_BACKEND="members.sms.LocmemBackend"):
        client.post("/accounts/login/code/?next=/admin/", {"phone": "13912345678"})
        code = re.search(r"\b(\d{6})\b", sms.outbox[0].text).group(1)
        response = client.post("/accounts/login/code/confirm/", {"code": code})

    assert response.status_code == 302 and response["Location"] == "/accounts/2fa/authenticate/"
    assert not _is_logged_in(client)
    sms.outbox.clear()
