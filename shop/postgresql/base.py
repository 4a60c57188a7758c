"""Django's PostgreSQL backend, whose per-request health check asks the socket before it asks the server.

With persistent connections (CONN_MAX_AGE) Django checks a connection once per request before using it
(CONN_HEALTH_CHECKS), by sending ``SELECT 1``: a round trip, and a statement for PostgreSQL to run, before
every page's first query. On a cold product or cart page that check was 3–5% of the web process's time.

An idle connection that is still good has nothing to read: PostgreSQL speaks on it only when asked.
When the server ends a connection (a restart, ``pg_terminate_backend``, an idle timeout) it sends the
reason and closes it, and the socket becomes readable. So the check first polls the socket without
waiting: silent, the connection is used as it is; anything to read (or a connection psycopg already
knows is broken, or one left inside a transaction), Django's own ``SELECT 1`` decides as before.

What this cannot see is a server that vanished without closing its side (a host that lost power); the
first query then fails as it would with no health check, and Django drops the connection for the next
request. A check after a request that had errors (``close_if_unusable_or_obsolete``) stays Django's own.
"""

import select

from django.db.backends.postgresql import base
from psycopg.pq import TransactionStatus


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and not self.pool
            and self._is_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _is_quiet(self) -> bool:
        """Whether the connection is idle, outside a transaction, with nothing from the server waiting on it."""
        connection = self.connection
        if connection.closed or connection.broken or connection.info.transaction_status != TransactionStatus.IDLE:
            return False
        try:
            poller = select.poll()
            poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
            return not poller.poll(0)
        except (OSError, ValueError):  # no socket to poll
            return False
