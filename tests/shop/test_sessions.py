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
