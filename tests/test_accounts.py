import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from tests.conftest import SHOPPER_PASSWORD

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-unusual-pass-42"


def link_in(message) -> str:
    return re.search(r"https?://[^/\s]+(/\S+)", message.body).group(1)


def test_signing_up_sends_a_verification_email_and_the_link_verifies_the_address(client):
    response = client.post(
        "/accounts/signup/",
        {"email": "new@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "accept_terms": "on"},
    )

    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new@example.com"]
    user = get_user_model().objects.get(email="new@example.com")
    assert not user.emailaddress_set.get().verified

    confirm_url = link_in(mail.outbox[0])
    client.post(confirm_url)

    assert user.emailaddress_set.get().verified


def test_an_unverified_shopper_cannot_log_in_until_they_verify(client):
    client.post(
        "/accounts/signup/", {"email": "late@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "accept_terms": "on"}
    )
    client.logout()

    response = client.post("/accounts/login/", {"login": "late@example.com", "password": NEW_PASSWORD})

    assert response.status_code == 302
    assert "confirm-email" in response["Location"] or "verification" in response["Location"]
    assert "_auth_user_id" not in client.session


def test_a_verified_shopper_logs_in_with_email_and_password(client, shopper):
    response = client.post("/accounts/login/", {"login": shopper.email, "password": SHOPPER_PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(shopper.pk)


def test_a_wrong_password_is_a_form_error(client, shopper):
    response = client.post("/accounts/login/", {"login": shopper.email, "password": "nope"})

    assert response.status_code == 200
    assert response.context["form"].errors


def test_signing_up_with_a_taken_email_makes_no_second_account_and_reveals_nothing(client, shopper):
    response = client.post(
        "/accounts/signup/", {"email": shopper.email, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "accept_terms": "on"}
    )

    # The same answer as a new sign-up, so nobody can probe which emails have accounts;
    # the owner is mailed instead.
    assert response.status_code == 302
    assert get_user_model().objects.filter(email=shopper.email).count() == 1
    assert mail.outbox[0].to == [shopper.email]


def test_password_reset_mails_a_link_that_sets_a_new_password(client, shopper):
    client.post("/accounts/password/reset/", {"email": shopper.email})

    assert len(mail.outbox) == 1
    reset_url = link_in(mail.outbox[0])
    form_page = client.get(reset_url, follow=True)
    form_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else reset_url
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    shopper.refresh_from_db()
    assert shopper.check_password(NEW_PASSWORD)


def test_logging_out_takes_a_post(client, shopper):
    client.force_login(shopper)

    assert client.get("/accounts/logout/").status_code == 200  # a confirmation page, no logout
    assert "_auth_user_id" in client.session
    client.post("/accounts/logout/")
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("url", ["/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"])
def test_account_pages_use_the_shop_layout(client, url):
    page = client.get(url).content.decode()

    assert "site-header" in page and "auth-card" in page
