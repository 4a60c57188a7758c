"""``manage.py run_schedule``: the beat schedule for the zero-setup demo, without Redis.

With no ``REDIS_URL`` there is no broker, so ``celery beat`` cannot hand
tasks to a worker. ``make run`` then starts this command beside the
development server: it reads the same ``CELERY_BEAT_SCHEDULE`` and runs each
task inline in this one process when it is due (low-stock alerts, expiry of
unpaid orders, the outbox flush, birthday coupons, nightly jobs). Production
runs ``celery beat`` and workers instead; web processes never schedule.
"""

import logging
import time
from datetime import timedelta

from celery.schedules import schedule as every
from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import timezone

logger = logging.getLogger(__name__)


def due_entries(schedule_table: dict, last_run: dict, now) -> list[str]:
    """Names of the entries due now, given when each last ran; an entry seen for the first time
    starts its clock at ``now`` instead of running."""
    due = []
    for name, entry in schedule_table.items():
        when = entry["schedule"]
        if isinstance(when, int | float | timedelta):
            when = every(run_every=when if isinstance(when, timedelta) else timedelta(seconds=when))
        if name not in last_run:
            last_run[name] = now
            continue
        is_due, _next = when.is_due(last_run[name])
        if is_due:
            due.append(name)
    return due


class Command(BaseCommand):
    help = "Run the Celery beat schedule inline, for the demo without Redis (make run starts it)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="Run every entry once now, then stop.")
        parser.add_argument("--tick", type=float, default=15.0, help="Seconds between looks at the schedule.")

    def handle(self, *args, once: bool = False, tick: float = 15.0, **options):
        from shop.celery import app

        app.loader.import_default_modules()
        table = settings.CELERY_BEAT_SCHEDULE
        if once:
            for name in table:
                self._run(app, name, table[name])
            return
        self.stdout.write(f"Running {len(table)} scheduled tasks inline (no Redis); Ctrl-C stops.")
        last_run: dict = {}
        while True:
            now = timezone.now()
            for name in due_entries(table, last_run, now):
                last_run[name] = now
                self._run(app, name, table[name])
            time.sleep(tick)

    def _run(self, app, name: str, entry: dict) -> None:
        try:
            result = app.tasks[entry["task"]].apply(args=entry.get("args", ()))
            result.get(propagate=True)
        except Exception:  # one failing job must not stop the others; it runs again when due
            logger.exception("scheduled task %s failed", name)
