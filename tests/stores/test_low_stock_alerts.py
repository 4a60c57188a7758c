"""Low-stock alerts: one store's failing mail neither loses nor blocks the other stores' alerts."""

from smtplib import SMTPException

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from stores.models import LowStockAlert, Stock, StoreStaff
from stores.services import claim_low_stock_alerts, reserve_stock, send_low_stock_alerts
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db


def manager_of(store, username):
    user = get_user_model().objects.create_user(username=username, email=f"{username}@example.com", password="x")
    StoreStaff.objects.create(store=store, user=user, role=StoreStaff.Role.MANAGER)
    return user


@pytest.fixture
def low_everywhere():
    """Three stores, each with one row below its threshold (5) and one manager; the first store's mail fails."""
    stores = [StoreFactory(code=f"s{n}", priority=n) for n in range(3)]
    for number, store in enumerate(stores):
        manager_of(store, f"manager{number}")
        variant = stocked_variant(store=store, on_hand=10)
        reserve_stock(store_id=store.pk, lines=[(variant.pk, 6)], reference=f"L{number}")
    return stores


@pytest.fixture
def first_store_mail_fails(monkeypatch):
    real_send_mail = mail.send_mail

    def send_mail(subject, body, sender, recipients, **kwargs):
        if recipients == ["manager0@example.com"]:
            raise SMTPException("mailbox unavailable")
        return real_send_mail(subject, body, sender, recipients, **kwargs)

    monkeypatch.setattr(mail, "send_mail", send_mail)


def test_when_the_first_stores_mail_fails_the_stores_after_it_are_still_alerted(low_everywhere, first_store_mail_fails):
    first, *others = low_everywhere
    claimed = claim_low_stock_alerts()

    with pytest.raises(SMTPException):  # raised at the end, so the task retries
        send_low_stock_alerts(stock_ids=claimed)

    assert sorted(message.to[0] for message in mail.outbox) == ["manager1@example.com", "manager2@example.com"]
    assert set(LowStockAlert.objects.values_list("stock__store", flat=True)) == {store.pk for store in others}
    # The failed store's row is claimable again, the sent ones stay claimed.
    assert Stock.objects.get(store=first).low_stock_alerted_at is None
    assert all(Stock.objects.get(store=store).low_stock_alerted_at is not None for store in others)


def test_the_next_run_alerts_only_the_store_whose_mail_failed(low_everywhere, first_store_mail_fails, monkeypatch):
    first = low_everywhere[0]
    with pytest.raises(SMTPException):
        send_low_stock_alerts(stock_ids=claim_low_stock_alerts())
    monkeypatch.undo()  # the mail server is back
    mail.outbox.clear()

    reclaimed = claim_low_stock_alerts()
    send_low_stock_alerts(stock_ids=reclaimed)

    assert reclaimed == [Stock.objects.get(store=first).pk]
    assert [message.to for message in mail.outbox] == [["manager0@example.com"]]
    assert LowStockAlert.objects.count() == 3


def test_with_every_mail_delivered_each_store_gets_its_own_list(low_everywhere):
    assert send_low_stock_alerts(stock_ids=claim_low_stock_alerts()) == 3

    assert sorted(message.to[0] for message in mail.outbox) == [f"manager{n}@example.com" for n in range(3)]
