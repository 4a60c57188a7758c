"""A new user's first hour: links name the real host, documented commands run as written,
a missing page is friendly, and the browser's favicon request finds an icon."""

import io
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.sites.models import Site
from django.core import mail
from django.test import override_settings

from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parent.parent.parent
PRODUCT_MESSAGE = "This product may have been taken off sale for good"


def test_the_site_record_is_named_after_the_shop_on_a_fresh_database():
    from django.utils import translation

    site = Site.objects.get(pk=settings.SITE_ID)

    assert site.domain == settings.SHOP_DOMAIN != "example.com"
    with translation.override(settings.LANGUAGE_CODE):
        assert site.name == str(settings.SHOP_NAME)


def test_the_sitemap_names_the_configured_host(client):
    product = ProductFactory(slug="berries")

    index = client.get("/sitemap.xml").content.decode()
    products = client.get("/sitemap-products.xml").content.decode()

    assert f"<loc>http://{settings.SHOP_DOMAIN}/sitemap-products.xml</loc>" in index
    assert f"<loc>http://{settings.SHOP_DOMAIN}{product.get_absolute_url()}</loc>" in products
    assert "example.com" not in index + products


def test_account_emails_carry_the_shops_name_not_example_com(client, shopper):
    client.post("/accounts/password/reset/", {"email": shopper.email})

    assert len(mail.outbox) == 1
    assert "example.com" not in mail.outbox[0].subject + mail.outbox[0].body
    assert mail.outbox[0].subject.startswith(f"[{Site.objects.get_current().name}]")


def test_the_printed_admin_link_uses_the_configured_host():
    from shop.management.commands.seed_demo import Command

    out = io.StringIO()
    with override_settings(SHOP_DOMAIN="127.0.0.1:8091"):
        Command(stdout=out)._print_summary(created=0, thumbnails_made=0, seconds=0.0)

    assert "http://127.0.0.1:8091/admin/" in out.getvalue()


def test_make_run_names_the_host_by_the_port_it_serves_on():
    # run_dev.sh exports the domain before migrating (the site record) and seeding (the printed link).
    script = (BASE_DIR / "scripts" / "run_dev.sh").read_text()
    exported = script.index('export SHOP_DOMAIN="${SHOP_DOMAIN:-127.0.0.1:$PORT}"')

    assert script.index('PORT="${PORT:-8000}"') < exported < script.index("manage.py migrate")
    assert 'runserver "127.0.0.1:$PORT"' in script


def _clean_env(**env):
    return {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env}


def test_a_manage_py_command_without_a_secret_key_says_how_to_run_it_in_development():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=BASE_DIR, env=_clean_env(), capture_output=True, text=True,
        timeout=60,
    )

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
    assert "make seed" in result.stderr and "DEBUG=true .venv/bin/python manage.py" in result.stderr


def test_make_manage_runs_documented_commands_with_the_development_defaults():
    result = subprocess.run(
        ["make", "-s", "manage", "ARGS=check"], cwd=BASE_DIR, env=_clean_env(), capture_output=True, text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_missing_page_is_friendly_and_says_nothing_about_products(client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "site-header" in page
    assert PRODUCT_MESSAGE not in page and "该商品可能已永久下架" not in page


def test_a_missing_product_says_it_may_have_been_taken_off_sale(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/p/no-such-product/")

    assert response.status_code == 404
    assert PRODUCT_MESSAGE in response.content.decode()


@pytest.fixture
def debug_with_the_shops_404():
    with override_settings(DEBUG=True, MIDDLEWARE=[*settings.MIDDLEWARE, "shop.error_pages.FriendlyNotFoundMiddleware"]):
        yield


@pytest.mark.parametrize("path", ["/no/such/page/", "/p/no-such-product/", "/c/no-such-category/"])
def test_under_debug_a_missing_page_is_the_shops_own_not_djangos_debug_page(client, debug_with_the_shops_404, path):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(path)

    assert response.status_code == 404
    page = response.content.decode()
    assert "site-header" in page
    assert "Using the URLconf" not in page and "technical_404" not in page
    assert (PRODUCT_MESSAGE in page) == path.startswith("/p/")


def test_under_debug_a_missing_url_still_gets_its_trailing_slash(client, debug_with_the_shops_404):
    response = client.get("/categories")

    assert response.status_code == 301 and response["Location"] == "/categories/"


def test_the_shops_404_under_debug_is_on_by_default_and_can_be_switched_off():
    code = "import django; django.setup(); from django.conf import settings; print('friendly', 'shop.error_pages.FriendlyNotFoundMiddleware' in settings.MIDDLEWARE)"

    def friendly(**env):
        result = subprocess.run([sys.executable, "-c", code], cwd=BASE_DIR, capture_output=True, text=True, timeout=60,
                                env=_clean_env(DJANGO_SETTINGS_MODULE="shop.settings", **env))
        assert result.returncode == 0, result.stderr
        return re.search(r"friendly (\w+)", result.stdout).group(1)

    assert friendly(DEBUG="true") == "True"
    assert friendly(DEBUG="true", DEBUG_TECHNICAL_404="true") == "False"
    assert friendly(DEBUG="false", SECRET_KEY="x" * 60) == "False"  # production has handler404 already


def test_the_favicon_is_found(client):
    from django.contrib.staticfiles import finders
    from django.templatetags.static import static

    response = client.get("/favicon.ico")

    assert response.status_code == 302 and response["Location"] == static("favicon.ico")
    assert Path(finders.find("favicon.ico")).read_bytes()[:4] == b"\x00\x00\x01\x00"  # an ICO file


def test_every_page_links_its_icon(client):
    page = client.get("/").content.decode()

    assert 'rel="icon" href="/static/favicon.ico"' in page
