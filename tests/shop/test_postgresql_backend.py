"""The per-request health check of shop.postgresql: the socket is asked first, the server only when it spoke."""

import time
from unittest import mock

import psycopg
import pytest
from django.db import connection, connections

from catalog.models import Category
from shop.postgresql.base import DatabaseWrapper

pytestmark = pytest.mark.django_db(transaction=True)


def _start_of_next_request():
    """What Django does to a persistent connection between two requests (close_old_connections)."""
    connection.close_if_unusable_or_obsolete()


def _terminate_from_elsewhere(pid: int) -> None:
    params = connection.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye reaches our socket right after.
    deadline = time.monotonic() + 2
    while connection._is_quiet() and time.monotonic() < deadline:
        time.sleep(0.01)


def test_the_shop_runs_on_its_own_postgresql_backend_with_health_checks_on():
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.settings_dict["CONN_HEALTH_CHECKS"]


def test_a_quiet_connection_is_used_without_a_select_1_first():
    Category.objects.count()
    _start_of_next_request()

    with mock.patch.object(DatabaseWrapper, "is_usable", autospec=True) as is_usable:
        Category.objects.count()

    is_usable.assert_not_called()
    assert connection.health_check_done


def test_a_connection_the_server_ended_is_checked_and_replaced_before_the_next_query():
    Category.objects.count()
    old_pid = connection.connection.info.backend_pid
    _start_of_next_request()
    _terminate_from_elsewhere(old_pid)

    with mock.patch.object(DatabaseWrapper, "is_usable", autospec=True, side_effect=DatabaseWrapper.is_usable) as is_usable:
        assert Category.objects.count() == 0

    is_usable.assert_called_once()
    assert connection.connection.info.backend_pid != old_pid

