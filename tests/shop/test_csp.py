"""Every page type answers with a Content-Security-Policy, and every script on it may run under it."""

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db

TAG = re.compile(r"<(script|style)\b([^>]*)>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.IGNORECASE)
# Scripts the browser never runs: data islands (allauth passes settings to its own JS this way).
DATA_TYPES = {"application/json", "application/ld+json", "text/template"}


def _attribute(attributes: str, name: str) -> str | None:
    match = re.search(rf"\b{name}\s*=\s*(\"[^\"]*\"|'[^']*'|[^\s>]+)", attributes, re.IGNORECASE)
    return match.group(1).strip("\"'") if match else None


def _policy(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"{response.request['PATH_INFO']} has no Content-Security-Policy"
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


def assert_lives_with_the_policy(response):
    assert response.status_code == 200, response.request["PATH_INFO"]
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"] and "'unsafe-eval'" not in policy["script-src"]
    nonces = {value[len("'nonce-"):-1] for value in policy["script-src"] if value.startswith("'nonce-")}
    style_nonces = {value[len("'nonce-"):-1] for value in policy["style-src"] if value.startswith("'nonce-")}
    page = response.content.decode()
    for tag, attributes in TAG.findall(page):
        tag = tag.lower()
        if tag == "script" and (_attribute(attributes, "type") or "").lower() in DATA_TYPES:
            continue
        src = _attribute(attributes, "src")
        if src is not None:
            assert src.startswith("/") and not src.startswith("//"), f"script from another origin: {src}"
            continue
        nonce = _attribute(attributes, "nonce")
        allowed = nonces if tag == "script" else style_nonces
        assert nonce and nonce in allowed, f"inline <{tag}{attributes}> without the response's nonce"
    assert not INLINE_HANDLER.search(page), INLINE_HANDLER.search(page).group(0)


@pytest.fixture
def product(warehouse):
    return stocked_variant(store=warehouse, on_hand=20, price=Decimal("25.00"), name="有机草莓", slug="berries")


@pytest.fixture
def order(shopper, product, address, express):
    return buy(shopper, [(product, 1)], delivery_choice(address, express))


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("boss", "boss@example.com", "boss password 1")


@pytest.mark.parametrize("path", ["/", "/categories/", "/search/?q=草莓", "/cart/", "/accounts/login/",
                                  "/accounts/signup/"])
def test_storefront_pages_for_guests_live_with_the_policy(client, product, path):
    assert_lives_with_the_policy(client.get(path))


def test_the_category_and_product_pages_live_with_the_policy(client, product):
    assert_lives_with_the_policy(client.get(product.product.category.get_absolute_url()))
    assert_lives_with_the_policy(client.get(product.product.get_absolute_url()))
    # the second visit is served from the page cache: still no script the header forbids
    assert_lives_with_the_policy(client.get(product.product.get_absolute_url()))


@pytest.mark.parametrize("path", ["/account/", "/account/points/", "/account/wallet/", "/account/privacy/",
                                  "/account/addresses/", "/orders/"])
def test_member_centre_pages_live_with_the_policy(client, shopper, path):
    client.force_login(shopper)
    assert_lives_with_the_policy(client.get(path))


def test_checkout_order_and_gateway_pages_live_with_the_policy(client, shopper, product, address, express, order):
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": product.pk, "quantity": 1})

    assert_lives_with_the_policy(client.get("/checkout/"))
    assert_lives_with_the_policy(client.get(order.get_absolute_url()))
    assert_lives_with_the_policy(client.get(reverse("orders:gateway-pay", kwargs={"number": order.number})))


def test_the_two_factor_pages_live_with_the_policy(client, staff_user):
    client.force_login(staff_user)
    assert_lives_with_the_policy(client.get("/accounts/2fa/"))


@pytest.mark.parametrize("path", ["/admin/", "/admin/orders/order/", "/admin/catalog/product/",
                                  "/admin/catalog/category/", "/admin/stores/stock/", "/admin/members/memberprofile/",
                                  "/admin/auth/user/"])
def test_admin_lists_live_with_the_policy(client, superuser, order, path):
    client.force_login(superuser)
    assert_lives_with_the_policy(client.get(path))


@pytest.mark.parametrize("page", ["order", "product", "new product", "user"])
def test_admin_change_pages_live_with_the_policy(client, superuser, order, product, shopper, page):
    url = {
        "order": lambda: reverse("admin:orders_order_change", args=[order.pk]),
        "product": lambda: reverse("admin:catalog_product_change", args=[product.product_id]),
        "new product": lambda: reverse("admin:catalog_product_add"),
        "user": lambda: reverse("admin:auth_user_change", args=[shopper.pk]),
    }[page]()
    client.force_login(superuser)

    assert_lives_with_the_policy(client.get(url))


def test_the_policy_forbids_framing_plugins_and_foreign_forms(client):
    policy = _policy(client.get("/"))

    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
