"""The member home: drawn once per catalogue version and language, each member seeing their own cart badge."""

import re

import pytest
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse

import shop.views
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.factories import stocked_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _member(name: str):
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.com", password="pw-123456-x")
    client = Client()
    client.force_login(user, backend="orders.auth_backends.MemberBackend")
    return user, client


def _badges(html: str) -> list[str]:
    return re.findall(r'class="badge-count">([^<]*)<', html)


def test_members_share_the_drawn_home_but_each_sees_their_own_badge(warehouse):
    alice, alice_client = _member("alice")
    bob, bob_client = _member("bob")
    _carol, carol_client = _member("carol")
    tea = stocked_variant(store=warehouse, on_hand=50)
    add_to_cart(cart=MemberCart(alice), variant_id=tea.pk, quantity=3)
    add_to_cart(cart=MemberCart(bob), variant_id=tea.pk, quantity=12)

    pages = [c.get("/").content.decode() for c in (alice_client, bob_client, carol_client)]

    assert [_badges(page) for page in pages] == [["3", "3"], ["12", "12"], []]
    assert all(shop.views.BADGE_PLACEHOLDER not in page for page in pages)
    for page in pages:
        assert "alice@example.com" not in page and "bob@example.com" not in page
        assert f'href="{reverse("members:overview")}"' in page and reverse("account_login") not in page


def test_the_shared_member_home_is_the_page_drawn_for_the_member_alone(warehouse, monkeypatch):
    alice, client = _member("alice")
    add_to_cart(cart=MemberCart(alice), variant_id=stocked_variant(store=warehouse, on_hand=5).pk, quantity=2)
    shared = client.get("/").content.decode()
    monkeypatch.setattr(shop.views, "_member_home_page", lambda request: None)

    alone = client.get("/").content.decode()

    assert shared == alone


def test_a_member_with_a_message_waiting_sees_it_on_the_home_page():
    from django.contrib.messages.storage.cookie import CookieStorage

    _alice, client = _member("alice")
    client.get("/")  # the shared page is drawn
    storage = CookieStorage(RequestFactory().get("/"))
    storage.add(messages.SUCCESS, "Welcome back, Alice")
    carrier = HttpResponse()
    storage.update(carrier)
    client.cookies["messages"] = carrier.cookies["messages"].value

    page = client.get("/").content.decode()

    assert "Welcome back, Alice" in page


def test_a_home_template_that_reads_the_member_is_drawn_for_each_member_instead(monkeypatch):
    _alice, alice_client = _member("alice")
    _bob, bob_client = _member("bob")
    real_render = shop.views.render

    def render_reading_the_email(request, name, context=None):
        # As a template showing {{ user.email }} would: the stand-in notes the question.
        email = getattr(context.get("user", request.user), "email", "")
        response = real_render(request, name, context)
        response.content = response.content.replace(b"</main>", f"<p>{email}</p></main>".encode())
        return response

    monkeypatch.setattr(shop.views, "render", render_reading_the_email)

    alice_page = alice_client.get("/").content.decode()
    bob_page = bob_client.get("/").content.decode()

    assert "<p>alice@example.com</p>" in alice_page and "alice@example.com" not in bob_page
    assert "<p>bob@example.com</p>" in bob_page
