"""/healthz: is this web process able to serve? For load balancers and Docker.

200 when the database answers (and Redis, when one is configured); 503 naming
the part that failed otherwise. Checked afresh on every request: a cached
"ok" would hide an outage.
"""

import logging

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

REDIS_TIMEOUT_SECONDS = 1


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.exception("health check: the database did not answer")
        return False


def _redis_answers(url: str) -> bool:
    client = redis.Redis.from_url(
        url, socket_timeout=REDIS_TIMEOUT_SECONDS, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    try:
        return bool(client.ping())
    except redis.RedisError:
        logger.exception("health check: Redis did not answer")
        return False
    finally:
        client.close()


@never_cache
@require_safe
def healthz(request):
    checks = {"database": "ok" if _database_answers() else "error"}
    redis_url = settings.REDIS_URL
    if redis_url:
        checks["redis"] = "ok" if _redis_answers(redis_url) else "error"
    else:
        checks["redis"] = "not configured"
    healthy = all(state in ("ok", "not configured") for state in checks.values())
    return JsonResponse(checks, status=200 if healthy else 503)
