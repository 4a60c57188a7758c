import socket

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    # Bind to learn a free port, then close it: nothing listens there afterwards.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.redis
def test_health_endpoint_reports_ok_when_database_and_redis_answer(client, settings):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set; run the tests with `make test` to get a Redis")

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "ok"}


def test_health_endpoint_reports_redis_not_configured_when_there_is_no_redis(client, settings):
    settings.REDIS_URL = None

    response = client.get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"database": "ok", "redis": "not configured"}


def test_health_endpoint_answers_503_naming_redis_when_redis_is_down(client, settings):
    settings.REDIS_URL = f"redis://127.0.0.1:{closed_port()}/0"

    response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["redis"] == "error"
    assert response.json()["database"] == "ok"


def test_health_endpoint_answers_503_naming_the_database_when_it_fails(client, settings):
    settings.REDIS_URL = None

    def refuse(execute, sql, params, many, context):
        raise OperationalError("connection refused")

    with connection.execute_wrapper(refuse):
        response = client.get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"database": "error", "redis": "not configured"}


def test_health_endpoint_is_never_cached(client, settings):
    settings.REDIS_URL = None

    response = client.get(reverse("healthz"))

    assert "no-cache" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]
