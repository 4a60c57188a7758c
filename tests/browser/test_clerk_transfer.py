"""A clerk receives a transfer on their phone (390 px): one unit short, recorded with its reason."""

import re

import pytest
from playwright.sync_api import expect

from stores.models import Stock, Transfer
from stores.services.transfers import approve_transfer, dispatch_transfer, request_transfer
from tests.browser.test_clerk_pickup import log_in, make_clerk
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.browser


def test_a_clerk_receives_a_transfer_and_records_a_short_line(page, transactional_db, broken_responses, screenshot):
    sender, receiver = StoreFactory(code="jingan", name="静安店"), StoreFactory(code="xuhui", name="徐汇店")
    variant = stocked_variant(store=sender, on_hand=10, name="矿泉水", slug="water")
    clerk = make_clerk("clerk", receiver)
    transfer = request_transfer(from_store_id=sender.pk, to_store_id=receiver.pk, lines=[(variant.pk, 6)], by=clerk)
    from django.contrib.auth import get_user_model

    boss = get_user_model().objects.create_superuser("boss", "boss@example.com", "x")
    approve_transfer(transfer_id=transfer.pk, by=boss)
    dispatch_transfer(transfer_id=transfer.pk, by=boss)
    line = transfer.lines.get()

    log_in(page, clerk.email, f"/admin/stores/transfer/{transfer.pk}/change/")
    expect(page).to_have_url(re.compile(rf"/admin/stores/transfer/{transfer.pk}/change/$"))
    page.locator(f'a[href="/admin/stores/transfer/{transfer.pk}/step/receive/"]').tap()
    page.locator(f'input[name="count_{line.pk}"]').fill("5")
    page.locator(f'select[name="reason_{line.pk}"]').select_option("damaged")
    page.locator(f'input[name="note_{line.pk}"]').fill("一瓶破损")
    screenshot("counted")
    page.locator('#content-main input[type="submit"]').tap()
    expect(page).to_have_url(re.compile(rf"/admin/stores/transfer/{transfer.pk}/change/$"))
    expect(page.locator(".messagelist .success")).to_be_visible()
    screenshot("received")

    transfer.refresh_from_db()
    line.refresh_from_db()
    assert transfer.status == Transfer.Status.RECEIVED
    assert (line.received_quantity, line.discrepancy_reason) == (5, "damaged")
    assert Stock.objects.get(store=receiver, variant=variant).on_hand == 5
    assert broken_responses == []
