"""Test settings and the personas every test module may ask for.

The suite runs on PostgreSQL only (search, constraints and locking behave
differently on SQLite): `make test` starts a throwaway PostgreSQL and Redis
and exports DATABASE_URL, REDIS_URL and a throwaway SECRET_KEY. (pytest-django
imports the settings before this file, so a key set here would come too late.)
"""

import os

import pytest
from django.utils import translation

SHOPPER_PASSWORD = "correct horse battery"


def pytest_configure(config):
    database_url = os.environ.get("DATABASE_URL", "")
    if not database_url.startswith(("postgres://", "postgresql://")):
        pytest.exit(
            "The tests run on PostgreSQL only, and DATABASE_URL is not a postgres:// URL.\n"
            "Run them with `make test` (it starts a throwaway PostgreSQL and Redis), or\n"
            "`scripts/with_services.py .venv/bin/pytest ...` for a subset.",
            returncode=4,
        )


@pytest.fixture(scope="session", autouse=True)
def _test_settings(tmp_path_factory):
    """Fast, isolated settings for the whole session.

    override_settings (rather than assigning to settings) sends setting_changed,
    so cached password hashers and storages are rebuilt with the new values.
    """
    from django.test import override_settings

    from shop.celery import app as celery_app

    overrides = override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),
        # Nothing is collected in tests; an empty folder keeps WhiteNoise from warning.
        STATIC_ROOT=str(tmp_path_factory.mktemp("staticfiles")),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER=True,
        STORAGES={
            "default": {"BACKEND": "shop.media_storage.MediaStorage"},
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        },
        # Each test starts with an empty cache; a shared Redis cache would leak between tests.
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "pages": {"BACKEND": "catalog.process_cache.PagesCache", "LOCATION": "pages"},
            "objects": {"BACKEND": "catalog.process_cache.ObjectsCache", "LOCATION": "objects"},
            "shared_pages": {"BACKEND": "catalog.process_cache.SharedPagesCache"},
        },
    )
    overrides.enable()
    # Celery copied its configuration when it was first used; tell it directly too.
    was_eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = was_eager
    overrides.disable()


@pytest.fixture(autouse=True)
def _empty_caches():
    yield
    from django.core.cache import caches

    for cache in caches.all(initialized_only=True):
        cache.clear()
    # The process's promotions table belongs to the emptied cache's version: the next test reads its own.
    from marketing.live_promotions import forget_promotion_tables

    forget_promotion_tables()


@pytest.fixture
def english():
    """Messages in English for the test's assertions; a file opts in with ``pytest.mark.usefixtures("english")``."""
    with translation.override("en"):
        yield


@pytest.fixture
def shopper(db):
    """A signed-up shopper whose email address is verified, so allauth lets them log in."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(
        username="shopper", email="shopper@example.com", password=SHOPPER_PASSWORD
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def staff_user(db):
    """Staff who may manage the whole catalogue in the admin, and nothing else."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    user = get_user_model().objects.create_user(
        username="staff", email="staff@example.com", password=SHOPPER_PASSWORD, is_staff=True
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="catalog"))
    return user


# The chain's online warehouse and its everyday store, a delivery method and the shopper's address:
# what checkout tests in every app place orders with. A module may define its own to differ.
@pytest.fixture
def warehouse(db):
    from stores.models import Store
    from tests.factories import StoreFactory

    return StoreFactory(code="online", name="线上旗舰仓", kind=Store.Kind.WAREHOUSE, priority=1, is_pickup_enabled=False)


@pytest.fixture
def store(db):
    from tests.factories import StoreFactory

    return StoreFactory(code="xuhui", name="上海徐汇店", priority=10)


@pytest.fixture
def express(db):
    from decimal import Decimal

    from tests.factories import ShippingMethodFactory

    return ShippingMethodFactory(code="express", free_over=Decimal("99.00"))


@pytest.fixture
def address(shopper):
    from tests.factories import AddressFactory

    return AddressFactory(user=shopper, is_default=True)
