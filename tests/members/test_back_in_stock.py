"""到货通知 and 收藏: a member asks once, is told once through the outbox when stock returns, and only with consent."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from members import services as member_services
from members.models import BackInStockRequest, Favourite
from orders.models import OutboxMessage
from orders.services.notifications import flush_outbox, send_back_in_stock_notices
from stores.services import receive_stock
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def store(db):
    return StoreFactory()


@pytest.fixture
def sold_out(store):
    return stocked_variant(store=store, on_hand=0, price=Decimal("12.00"))


@pytest.fixture
def consenting(shopper):
    member_services.ensure_member(user=shopper)
    member_services.set_marketing_consent(user=shopper, consent=True)
    return shopper


def test_a_member_asks_once_for_a_sold_out_variant_and_is_told_once_when_it_returns(
    client, consenting, sold_out, store
):
    client.force_login(consenting)
    url = reverse("members:back-in-stock-request", args=[sold_out.pk])
    assert client.post(url).status_code == 302
    client.post(url)  # a double tap keeps one request
    assert BackInStockRequest.objects.filter(user=consenting).count() == 1
    assert send_back_in_stock_notices() == 0  # still sold out

    receive_stock(store_id=store.pk, variant_id=sold_out.pk, quantity=3)

    assert send_back_in_stock_notices() == 1
    assert send_back_in_stock_notices() == 0
    flush_outbox()
    message = OutboxMessage.objects.get(kind="back_in_stock")
    assert (message.user, message.params["sku"]) == (consenting, sold_out.sku)
    assert message.sent_at is not None
    assert len(mail.outbox) == 1
    assert sold_out.product.name in mail.outbox[0].subject
    assert BackInStockRequest.objects.get().notified_at is not None


def test_a_member_without_marketing_consent_is_not_told_and_the_request_keeps_waiting(
    client, shopper, sold_out, store
):
    member_services.ensure_member(user=shopper)
    client.force_login(shopper)
    client.post(reverse("members:back-in-stock-request", args=[sold_out.pk]))
    receive_stock(store_id=store.pk, variant_id=sold_out.pk, quantity=3)

    assert send_back_in_stock_notices() == 0
    assert not OutboxMessage.objects.filter(kind="back_in_stock").exists()

    member_services.set_marketing_consent(user=shopper, consent=True)
    assert send_back_in_stock_notices() == 1


def test_a_request_for_an_item_in_stock_is_not_stored(client, consenting, store):
    in_stock = stocked_variant(store=store, on_hand=2)
    client.force_login(consenting)

    client.post(reverse("members:back-in-stock-request", args=[in_stock.pk]))

    assert not BackInStockRequest.objects.exists()


def test_the_waiting_list_shows_the_request_and_cancelling_removes_it(client, consenting, sold_out):
    client.force_login(consenting)
    url = reverse("members:back-in-stock-request", args=[sold_out.pk])
    client.post(url)
    assert sold_out.sku in client.get(reverse("members:back-in-stock")).content.decode()

    client.post(url, {"cancel": "1"})

    assert not BackInStockRequest.objects.exists()


def test_a_guest_is_sent_to_log_in_and_an_unknown_variant_is_404(client, consenting, sold_out):
    response = client.post(reverse("members:back-in-stock-request", args=[sold_out.pk]))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(consenting)
    assert client.post(reverse("members:back-in-stock-request", args=[999999])).status_code == 404


def test_a_favourite_is_saved_listed_and_removed_by_the_same_button(client, consenting, store):
    variant = stocked_variant(store=store, on_hand=2)
    client.force_login(consenting)
    url = reverse("members:favourite-toggle", args=[variant.product_id])

    client.post(url)
    assert variant.product.name in client.get(reverse("members:favourites")).content.decode()
    client.post(url)

    assert not Favourite.objects.exists()


def test_the_member_centre_shows_order_tabs_and_the_links_to_the_new_lists(client, consenting):
    client.force_login(consenting)

    page = client.get(reverse("members:overview")).content.decode()

    for url in (reverse("orders:to-review"), reverse("members:favourites"), reverse("members:back-in-stock"),
                reverse("members:member-code"), "?tab=to_pay", "?tab=to_ship", "?tab=to_receive"):
        assert url in page


def test_signing_up_needs_the_consent_box_and_records_both_documents_with_their_version(client, settings):
    from django.contrib.auth import get_user_model

    from members.models import ConsentRecord

    form = {"email": "new@example.com", "password1": "a-long-unusual-pass-42", "password2": "a-long-unusual-pass-42"}
    refused = client.post("/accounts/signup/", form)
    assert refused.status_code == 200 and not get_user_model().objects.filter(email="new@example.com").exists()

    client.post("/accounts/signup/", {**form, "accept_terms": "on"})

    user = get_user_model().objects.get(email="new@example.com")
    assert set(ConsentRecord.objects.filter(user=user).values_list("document", "version")) == {
        ("terms", settings.LEGAL_TERMS_VERSION), ("privacy", settings.LEGAL_PRIVACY_VERSION),
    }
    assert client.get(reverse("members:terms")).status_code == 200
    assert client.get(reverse("members:privacy-policy")).status_code == 200


def test_tier_progress_says_how_much_more_spend_reaches_the_next_tier(shopper):
    from members.models import Tier
    from orders.templatetags.member_orders import tier_progress

    member = member_services.ensure_member(user=shopper)
    Tier.objects.create(name="金卡", code="gold-test", rank=90, threshold=Decimal("320.00"))
    member.tier = None

    progress = tier_progress(member)

    assert progress["tier"].code != "" and progress["spend_missing"] is not None
    assert progress["spend_missing"] <= Decimal("320.00")
