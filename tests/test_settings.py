"""The settings refuse bad environments at start-up, and pass Django's deploy checks
when configured like production. Each case starts a fresh Python process, because
settings are read once per process."""

import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
SETUP_DJANGO = "import django; django.setup()"


def run_with_env(args: list[str], **env: str) -> subprocess.CompletedProcess:
    # A clean environment: only what the case sets, so the developer's own
    # DEBUG or DATABASE_URL cannot change the outcome.
    clean_env = {"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "shop.settings", **env}
    return subprocess.run(
        [sys.executable, *args], cwd=BASE_DIR, env=clean_env, capture_output=True, text=True, timeout=60
    )


def production_env() -> dict[str, str]:
    return {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45)[:60],
        "ALLOWED_HOSTS": "shop.example.com",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "DATABASE_URL": "postgres://shop:secret@db.internal:5432/shop",
        "REDIS_URL": "redis://redis.internal:6379/0",
    }


def test_settings_refuse_a_debug_value_that_is_not_true_or_false():
    result = run_with_env(["-c", SETUP_DJANGO], DEBUG="maybe", SECRET_KEY="x" * 60)

    assert result.returncode != 0
    assert "DEBUG must be 'true' or 'false'" in result.stderr


def test_settings_refuse_to_start_without_a_secret_key_when_debug_is_off():
    result = run_with_env(["-c", SETUP_DJANGO], DEBUG="false")

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_settings_refuse_a_database_url_that_is_not_one():
    result = run_with_env(["-c", SETUP_DJANGO], DEBUG="true", DATABASE_URL="not a url")

    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


def test_settings_start_without_a_secret_key_in_debug_mode():
    result = run_with_env(["-c", SETUP_DJANGO], DEBUG="true")

    assert result.returncode == 0, result.stderr


def test_production_like_settings_pass_the_deploy_checks():
    result = run_with_env(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_env_example_documents_every_variable_the_settings_read():
    settings_source = (BASE_DIR / "shop" / "settings.py").read_text(encoding="utf-8")
    read = set(re.findall(r"""env_(?:str|bool|int|list)\(\s*["']([A-Z0-9_]+)["']""", settings_source))
    read |= set(re.findall(r"""os\.environ(?:\.get\(|\[)\s*["']([A-Z0-9_]+)["']""", settings_source))
    example = (BASE_DIR / ".env.example").read_text(encoding="utf-8")
    documented = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert read, "found no environment variables in shop/settings.py; has the helper been renamed?"
    assert sorted(read - documented) == [], "add these to .env.example"


@pytest.mark.parametrize("variable", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "ALLOWED_HOSTS", "DEBUG"])
def test_env_example_gives_production_settings_a_value(variable):
    example = (BASE_DIR / ".env.example").read_text(encoding="utf-8")

    assert re.search(rf"^{variable}=\S", example, flags=re.MULTILINE), f"{variable} should be set, not commented out"


def test_the_wsgi_application_freezes_its_startup_objects_and_collects_garbage_less_often():
    probe = (
        "import gc, shop.wsgi; "
        "print(gc.get_threshold()[0], gc.get_freeze_count() > 10000, callable(shop.wsgi.application))"
    )
    result = run_with_env(["-c", probe], DEBUG="true")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["20000", "True", "True"]


def test_production_serves_static_files_through_the_storage_that_remembers_their_urls():
    probe = SETUP_DJANGO + "; from django.core.files.storage import storages; print(type(storages['staticfiles']).__name__)"
    result = run_with_env(["-c", probe], **production_env())

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.split() == ["ManifestStaticStorage"]
