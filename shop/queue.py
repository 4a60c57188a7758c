"""Handing work to the Celery workers by task name.

Services queue tasks through this helper instead of importing ``tasks.py``:
tasks import services, never the other way round (ARCHITECTURE.md, "No
import circles"), so a service module can be loaded without the task
modules and the task modules without a cycle.
"""

import logging

logger = logging.getLogger(__name__)


def queue_task(name: str, *args) -> bool:
    """Queue the task registered as ``name`` with ``args``; True if it was handed over.

    Without a broker (the embedded demo, the tests) tasks run inline, as
    ``delay`` would. A broker that is down is logged, not raised: every
    caller has a periodic catch-up (outbox flush, nightly counting) that
    finds the work later, so the change that queued it stays committed.
    """
    from shop.celery import app

    try:
        if app.conf.task_always_eager:
            if name not in app.tasks:
                # A web process loads the apps' tasks modules only when asked (a worker does at start).
                app.loader.import_default_modules()
            app.tasks[name].apply_async(args=args)
        else:
            app.send_task(name, args=args)
    except Exception:  # includes a task that failed inline: the change that queued it is already committed
        logger.warning("could not queue %s%r; its periodic catch-up will do it", name, args, exc_info=True)
        return False
    return True
