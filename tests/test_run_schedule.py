"""The zero-setup demo runs the beat schedule inline (manage.py run_schedule), since it has no broker."""

from datetime import timedelta

import pytest
from celery.schedules import crontab
from django.core.management import call_command
from django.utils import timezone

from shop.management.commands.run_schedule import due_entries

pytestmark = pytest.mark.django_db


def test_an_interval_entry_is_due_once_its_interval_has_passed_since_it_last_ran():
    table = {"flush": {"task": "x", "schedule": 60}}
    now = timezone.now()
    first_look = {}

    assert due_entries(table, first_look, now) == []  # the first look only starts the clock
    assert due_entries(table, {"flush": now - timedelta(seconds=30)}, now) == []
    assert due_entries(table, {"flush": now - timedelta(seconds=61)}, now) == ["flush"]


def test_a_crontab_entry_is_due_after_its_time_has_come_round():
    table = {"nightly": {"task": "x", "schedule": crontab(minute="*")}}
    last_run = {}
    start = timezone.now() - timedelta(minutes=5)
    due_entries(table, last_run, start)

    assert due_entries(table, last_run, timezone.now()) == ["nightly"]


def test_running_the_whole_schedule_once_inline_runs_every_task_without_a_broker(settings):
    # Every beat entry names a registered task that runs inline on an empty shop without failing.
    from shop.celery import app

    app.loader.import_default_modules()
    missing = [entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values() if entry["task"] not in app.tasks]
    assert missing == []

    call_command("run_schedule", once=True)
