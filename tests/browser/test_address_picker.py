"""The address form's province → city → district picker works however fast the division data arrives."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from members.services import ensure_member
from tests.conftest import SHOPPER_PASSWORD

pytestmark = pytest.mark.browser


def test_a_province_picked_before_the_division_data_arrives_gets_its_cities_when_it_does(page, transactional_db):
    user = get_user_model().objects.create_user(username="m", email="m@example.com", password=SHOPPER_PASSWORD)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    ensure_member(user=user)
    page.goto("/accounts/login/?next=/account/addresses/new/")
    page.locator('input[name="login"]').fill(user.email)
    page.locator('input[name="password"]').fill(SHOPPER_PASSWORD)
    held = []
    # The division data is held back, as on a slow network.
    page.route(re.compile(r"/pca\.json$"), lambda route: held.append(route))
    page.locator('main form[action^="/accounts/login/"] button[type="submit"]').click()
    expect(page).to_have_url(re.compile(r"/account/addresses/new/$"))
    form = page.locator("main form")

    form.locator('select[name="province"]').select_option("上海市")
    page.wait_for_timeout(100)  # the change has been handled, with no data yet
    assert held, "the page never asked for the division data"
    held[0].continue_()

    form.locator('select[name="city"]').select_option("上海市")  # waits for the option to appear
    form.locator('select[name="district"]').select_option("徐汇区")
    expect(form.locator('select[name="district"]')).to_have_value("徐汇区")
