"""The Celery application; tasks are discovered in each app's tasks.py.

Publishing shares the cache's memory of a Redis outage (shop/redis_outage.py):
while the broker is known to be down a ``.delay()`` fails at once, instead of
every request paying its own connection timeout. Callers that queue through
``shop.queue.queue_task`` log the failure and leave the work to its catch-up
(the outbox flush, the nightly count), so failing fast loses nothing.
"""

import os

from celery import Celery
from celery.signals import celeryd_init
from kombu.exceptions import OperationalError

from shop.redis_outage import OUTAGE_ERRORS, is_known_down, note_down, note_up, redis_address

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shop.settings")


class BrokerKnownDown(OperationalError):
    """Not sent: the broker failed moments ago, so this publish did not even try."""


class ShopCelery(Celery):
    def send_task(self, *args, **kwargs):
        address = self._broker_address()
        if address is None:
            return super().send_task(*args, **kwargs)
        if is_known_down(address):
            raise BrokerKnownDown(f"Redis at {address} was down moments ago; not waiting for it")
        try:
            result = super().send_task(*args, **kwargs)
        except (OperationalError, *OUTAGE_ERRORS) as err:
            note_down(address, err, what="tasks wait for their catch-up")
            raise
        note_up(address)
        return result

    def _broker_address(self) -> str | None:
        url = self.conf.broker_write_url or self.conf.broker_url or ""
        return redis_address(url) if url.startswith(("redis://", "rediss://")) else None


# A worker is no shopper waiting: it may wait out a Redis that is slow for a few seconds
# (a fork for a snapshot, a full disk) instead of dropping its connection and reconnecting.
WORKER_SOCKET_TIMEOUT = 5.0


@celeryd_init.connect
def _patient_worker_connections(conf=None, **kwargs):
    conf.broker_transport_options = {**conf.broker_transport_options, "socket_timeout": WORKER_SOCKET_TIMEOUT}


app = ShopCelery("shop")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
