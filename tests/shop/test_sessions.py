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


def _auth_queries(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "django_session" in q["sql"] or '"auth_user"' in q["sql"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the two statements in one round trip are PostgreSQL's")
def test_a_members_next_page_reads_the_session_and_the_user_row_in_one_round_trip(client, shopper):
    client.force_login(shopper)
    client.get("/")  # this process now knows whose the session is

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")

    assert response.wsgi_request.user == shopper
    reads = _auth_queries(captured)
    assert len(reads) == 1 and "django_session" in reads[0] and '"auth_user"' in reads[0]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the two statements in one round trip are PostgreSQL's")
def test_a_session_that_now_names_another_member_gets_that_member_read_on_its_own(client, shopper, django_user_model):
    other = django_user_model.objects.create_user(username="wang", email="wang@example.com", password="pw-12345-xyz")
    client.force_login(shopper)
    client.get("/")
    key = client.cookies["sessionid"].value
    # The same key now holds another member's log-in (written behind this process's back).
    client.force_login(other)
    Session.objects.filter(session_key=client.cookies["sessionid"].value).update(session_key=key + "x")
    Session.objects.filter(session_key=key).delete()
    Session.objects.filter(session_key=key + "x").update(session_key=key)
    client.cookies["sessionid"] = key

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")

    assert response.wsgi_request.user == other
    assert len(_auth_queries(captured)) == 2  # the guessed row is left unused and the right one read


def test_a_member_deactivated_since_the_last_page_is_logged_out_though_the_row_came_with_the_session(client, shopper):
    client.force_login(shopper)
    client.get("/")
    type(shopper).objects.filter(pk=shopper.pk).update(is_active=False)

    response = client.get("/")

    assert not response.wsgi_request.user.is_authenticated


def test_a_user_row_read_with_one_requests_session_is_never_used_by_the_next_request(client, shopper):
    from shop.sessions import user_row_read_with_session

    client.force_login(shopper)
    client.get("/")
    client.get("/healthz")  # a request whose view never asks who is logged in

    assert user_row_read_with_session(connection.alias, shopper.pk) is None


def test_a_connection_with_server_side_binding_reads_the_session_and_the_user_apart(client, shopper, monkeypatch):
    client.force_login(shopper)
    client.get("/")
    monkeypatch.setitem(connection.settings_dict["OPTIONS"], "server_side_binding", True)

    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")

    assert response.wsgi_request.user == shopper
    assert not [sql for sql in _auth_queries(captured) if "django_session" in sql and '"auth_user"' in sql]
