"""The shop's database sessions: loaded by one fixed SELECT, with Django's own behaviour kept."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from shop.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_loads_its_data_in_one_query():
    store = SessionStore()
    store["cart"] = {"12": 2}
    store.save()

    with CaptureQueriesContext(connection) as captured:
        loaded = SessionStore(store.session_key)
        assert loaded["cart"] == {"12": 2}

    assert len(captured.captured_queries) == 1


def test_an_expired_session_loads_empty_and_saves_under_a_new_key():
    store = SessionStore()
    store["member"] = 7
    store.save()
    Session.objects.filter(session_key=store.session_key).update(expire_date=timezone.now() - timedelta(seconds=1))

    loaded = SessionStore(store.session_key)
    assert loaded.get("member") is None
    loaded["member"] = 8
    loaded.save()

    assert loaded.session_key != store.session_key


def test_an_unknown_session_key_loads_empty():
    assert dict(SessionStore("x" * 32).items()) == {}


def test_a_member_logged_in_stays_logged_in_from_page_to_page(client, django_user_model):
    user = django_user_model.objects.create_user(username="li", email="li@example.com", password="pw-12345-xyz")
    client.force_login(user)

    response = client.get("/account/")

    assert response.status_code == 200
    assert response.wsgi_request.user == user


def test_a_new_session_is_written_by_one_statement_without_a_transaction():
    store = SessionStore()
    store["cart"] = {"5": 1}

    with CaptureQueriesContext(connection) as captured:
        store.save()

    assert [q["sql"].split()[0] for q in captured.captured_queries] == ["INSERT"]
    assert SessionStore(store.session_key)["cart"] == {"5": 1}


def test_a_new_session_that_draws_a_taken_key_draws_again_and_leaves_the_other_session_alone(monkeypatch):
    taken = SessionStore()
    taken["member"] = 1
    taken.save()
    keys = iter([taken.session_key, "n" * 32])
    monkeypatch.setattr(SessionStore, "_get_new_session_key", lambda self: next(keys))

    store = SessionStore()
    store["cart"] = {"9": 3}
    store.save()

    assert store.session_key == "n" * 32
    assert SessionStore(taken.session_key)["member"] == 1
    assert SessionStore("n" * 32)["cart"] == {"9": 3}


def test_a_changed_session_is_updated_under_its_own_key():
    store = SessionStore()
    store["cart"] = {"1": 1}
    store.save()
    key = store.session_key

    loaded = SessionStore(key)
    loaded["cart"] = {"1": 2}
    loaded.save()

    assert loaded.session_key == key
    assert SessionStore(key)["cart"] == {"1": 2}
    assert Session.objects.filter(session_key=key).count() == 1


def test_saving_a_session_whose_row_was_deleted_meanwhile_fails_as_djangos_store_does():
    from django.contrib.sessions.backends.base import UpdateError

    store = SessionStore()
    store["cart"] = {"1": 1}
    store.save()
    loaded = SessionStore(store.session_key)
    loaded["cart"] = {"1": 2}
    Session.objects.filter(session_key=store.session_key).delete()  # logged out in another tab

    with pytest.raises(UpdateError):
        loaded.save()
    assert not Session.objects.exists()
