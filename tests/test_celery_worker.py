"""A real Celery worker, fed through Redis, makes thumbnails: the path production takes.

The unit tests run tasks eagerly; this one checks the wiring they skip (the
broker URL, task discovery, the worker reaching the same database and media).
"""

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from PIL import Image

from catalog.models import Category, Product, ProductImage
from catalog.services import save_category
from catalog.tasks import make_thumbnails_task
from shop.celery import app as celery_app

BASE_DIR = Path(__file__).resolve().parent.parent
WAIT_SECONDS = 30

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def small_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_database_url() -> str:
    """A URL for the database this test runs in (test_shop, not shop)."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    host = db["HOST"] or "127.0.0.1"
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{credentials}@{host}{port}/{quote(db['NAME'], safe='')}"


test_database_url.__test__ = False  # a helper, not a test, despite its name


@pytest.fixture
def no_eager_tasks(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    yield
    celery_app.conf.task_always_eager = was_eager


@pytest.fixture
def celery_worker_process(settings, tmp_path, no_eager_tasks):
    if not settings.REDIS_URL:
        pytest.skip("REDIS_URL is not set; run the tests with `make test` to get a Redis")
    env = {
        **os.environ,
        "DEBUG": "false",
        "DATABASE_URL": test_database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "PYTHONPATH": str(BASE_DIR),
    }
    log_path = tmp_path / "worker.log"
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("celery")),
                "-A", "shop", "worker",
                "--pool", "solo",
                "--concurrency", "1",
                "--loglevel", "INFO",
                "--hostname", f"test-{os.getpid()}@%h",
                "--without-gossip", "--without-mingle", "--without-heartbeat",
            ],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield worker, log_path
    finally:
        # Stop it before pytest-django drops the test database it is connected to.
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def test_a_real_worker_makes_the_thumbnails_of_a_queued_image(celery_worker_process, settings):
    worker, log_path = celery_worker_process
    category = save_category(category=Category(name="Tea", slug="tea"))
    product = Product.objects.create(name="Longjing", slug="longjing", category=category)
    image = ProductImage(product=product)
    image.image.save("longjing.png", ContentFile(small_png()), save=True)

    make_thumbnails_task.delay(image.pk)

    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and worker.poll() is None:
        image.refresh_from_db()
        if image.card_thumbnail and image.detail_thumbnail:
            break
        time.sleep(0.2)
    log = log_path.read_text(errors="replace")
    assert worker.poll() is None, f"the worker exited early:\n{log}"
    assert image.card_thumbnail and image.detail_thumbnail, f"no thumbnails after {WAIT_SECONDS}s:\n{log}"
    assert (Path(settings.MEDIA_ROOT) / image.card_thumbnail.name).is_file()
    assert (Path(settings.MEDIA_ROOT) / image.detail_thumbnail.name).is_file()
    with Image.open(Path(settings.MEDIA_ROOT) / image.card_thumbnail.name) as thumbnail:
        assert thumbnail.format == "JPEG"
    assert "catalog.tasks.make_thumbnails_task" in log, "the worker never received the task"
