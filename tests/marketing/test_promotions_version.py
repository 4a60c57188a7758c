"""Each process reads the shared promotions version at most once a second; placing an order reads it live."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing import live_promotions
from marketing.live_promotions import card_offer, promotion_table, promotions_version
from marketing.models import Promotion
from orders.models import Order
from orders.exceptions import PricesChanged
from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def apples(warehouse):
    return stocked_variant(store=warehouse, on_hand=50, price=D("100.00"))


def twenty_percent_off_everything() -> Promotion:
    now = timezone.now()
    return Promotion.objects.create(
        kind=Promotion.Kind.PERCENT, name="全场 8 折", percent=D("20"), applies_to_all=True,
        starts_at=now - timedelta(days=1), ends_at=now + timedelta(days=7),
    )


def saved_by_another_process(monkeypatch, save):
    """Run ``save`` as another web process would: the shared version moves, this process's memo of it does not."""
    with monkeypatch.context() as patched:
        patched.setattr(live_promotions, "read_live_promotions_version", lambda: None)
        return save()


def a_second_later(monkeypatch):
    real, ahead = time.monotonic, live_promotions.VERSION_MEMO_SECONDS + 0.01
    monkeypatch.setattr(time, "monotonic", lambda: real() + ahead)


def test_a_promotion_saved_in_this_process_shows_here_at_once(apples):
    assert card_offer(apples.product) is None

    twenty_percent_off_everything()

    assert card_offer(apples.product).price == D("80.00")


def test_a_promotion_saved_by_another_process_shows_here_within_a_second(monkeypatch, apples):
    assert card_offer(apples.product) is None
    before = promotions_version()

    saved_by_another_process(monkeypatch, twenty_percent_off_everything)

    assert promotions_version() == before and card_offer(apples.product) is None
    a_second_later(monkeypatch)
    assert promotions_version() != before
    assert card_offer(apples.product).price == D("80.00")


def test_an_order_placed_within_that_second_is_priced_with_the_new_promotion(
    monkeypatch, shopper, address, express, apples
):
    promotion_table()  # this process holds the table from before the change
    campaign = saved_by_another_process(monkeypatch, twenty_percent_off_everything)
    assert card_offer(apples.product) is None  # pages may still show the old price for up to a second

    order = buy(shopper, [(apples, 1)], delivery_choice(address, express))

    adjustment = order.adjustments.get(kind="promotion")
    assert (adjustment.amount, adjustment.reference) == (D("-20.00"), f"promotion:{campaign.pk}")
    assert order.lines.get().net_total == D("80.00")


def test_an_order_confirmed_at_the_old_price_is_sent_back_to_review_and_nothing_is_written(
    monkeypatch, shopper, address, express, apples
):
    promotion_table()
    saved_by_another_process(monkeypatch, twenty_percent_off_everything)
    delivery = delivery_choice(address, express)
    old_total = D("100.00")  # what the checkout page showed a moment before (free delivery over 99)

    with pytest.raises(PricesChanged):
        buy(shopper, [(apples, 1)], delivery, expected_total=old_total)

    assert not Order.objects.exists()
