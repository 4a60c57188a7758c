"""Erasing a member waits while the shop still owes them money or goods, and says why."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.admin import helpers
from django.contrib.messages import get_messages

from members.exceptions import ErasureNotYet
from members.models import MemberProfile
from members.services import anonymise_member, ensure_member, request_deletion, staff_adjust_wallet, staff_top_up_wallet
from orders.models import Order
from stores.models import Store
from tests.conftest import SHOPPER_PASSWORD
from tests.factories import AddressFactory, ShippingMethodFactory, StoreFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/members/memberprofile/"


@pytest.fixture
def funded(shopper, clerk):
    ensure_member(user=shopper)
    staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("50.00"), reason="paid at the counter", by=clerk)
    return shopper


@pytest.fixture
def address(shopper):
    return AddressFactory(user=shopper, is_default=True)


@pytest.fixture
def order(shopper, address):
    warehouse = StoreFactory(code="online", kind=Store.Kind.WAREHOUSE, priority=1, is_pickup_enabled=False)
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"))
    return buy(shopper, [(variant, 1)], delivery_choice(address, ShippingMethodFactory(code="express")))


def _set_status(order, status):
    # Test set-up only: the workflow's own tests cover how an order gets there.
    Order.objects.filter(pk=order.pk).update(status=status)


def test_a_member_with_money_in_the_wallet_is_not_erased_until_it_is_refunded(funded, address, clerk):
    with pytest.raises(ErasureNotYet) as refused:
        anonymise_member(user=funded)

    assert "¥50.00" in refused.value.message
    funded.refresh_from_db()
    assert funded.is_active and funded.email == "shopper@example.com"
    assert funded.addresses.exists()

    staff_adjust_wallet(user_id=funded.pk, change=Decimal("-50.00"), reason="refunded in cash", by=clerk)
    assert anonymise_member(user=funded).anonymised_at is not None


@pytest.mark.parametrize("status", [Order.Status.PENDING_PAYMENT, Order.Status.PAID, Order.Status.PLACED,
                                    Order.Status.READY_FOR_PICKUP])
def test_an_order_still_to_be_delivered_keeps_its_address_and_blocks_erasure(shopper, order, status):
    _set_status(order, status)

    with pytest.raises(ErasureNotYet) as refused:
        anonymise_member(user=shopper)

    assert order.number in refused.value.message
    order.refresh_from_db()
    shopper.refresh_from_db()
    assert order.address_detail and order.phone  # nothing was blanked: the erasure rolled back whole
    assert shopper.is_active and MemberProfile.objects.get(user=shopper).anonymised_at is None


@pytest.mark.parametrize("status", [Order.Status.SHIPPED, Order.Status.COMPLETED, Order.Status.CANCELLED])
def test_orders_on_their_way_or_closed_are_blanked_and_the_member_erased(shopper, order, status):
    _set_status(order, status)

    anonymise_member(user=shopper)

    order.refresh_from_db()
    assert (order.phone, order.address_detail) == ("", "")


def test_a_member_asking_to_be_deleted_is_told_what_to_settle_first(client, funded):
    client.force_login(funded)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post("/account/privacy/delete/", {"password": SHOPPER_PASSWORD, "confirm": "on"})

    assert response.status_code == 302 and response["Location"] == "/account/privacy/"
    texts = [message.message for message in get_messages(response.wsgi_request)]
    assert any("¥50.00" in text and "recorded your request" in text for text in texts)
    member = MemberProfile.objects.get(user=funded)
    assert member.deletion_requested_at is not None and member.anonymised_at is None
    funded.refresh_from_db()
    assert funded.is_active


def test_the_privacy_page_says_what_must_be_settled_before_erasure(client, shopper):
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    page = client.get("/account/privacy/").content.decode()

    assert "we cannot erase the account yet" in page


def test_anonymising_from_the_admin_list_skips_members_still_owed_money_with_a_warning(admin_client, funded):
    admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    request_deletion(user=funded)

    response = admin_client.post(CHANGELIST, {
        "action": "anonymise_requested", helpers.ACTION_CHECKBOX_NAME: [MemberProfile.objects.get(user=funded).pk],
    }, follow=True)

    assert response.status_code == 200
    texts = [message.message for message in get_messages(response.wsgi_request)]
    assert any("¥50.00" in text for text in texts)
    assert MemberProfile.objects.get(user=funded).anonymised_at is None
