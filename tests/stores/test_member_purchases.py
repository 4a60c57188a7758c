"""Store staff who look a member up see that member's purchases at their own stores only; head office sees all."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from members import services as member_services
from orders.models import Order
from orders.services.counter import Basket, Tendered, ring_up_sale
from stores.models import StoreStaff
from stores.roles import assign_store_role
from tests.factories import StoreFactory, stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def stores(db):
    return StoreFactory(code="xuhui", name="上海徐汇店"), StoreFactory(code="jingan", name="静安店")


@pytest.fixture
def people(stores):
    store_a, store_b = stores
    users = get_user_model().objects
    manager = users.create_user(username="manager-a", password="x")
    assign_store_role(user=manager, store=store_a, role=StoreStaff.Role.MANAGER)
    clerk = users.create_user(username="clerk-a", password="x")
    assign_store_role(user=clerk, store=store_a, role=StoreStaff.Role.CLERK)
    head_office = users.create_superuser(username="hq", password="x", email="hq@example.com")
    return manager, clerk, head_office


@pytest.fixture
def purchases(stores, people, shopper):
    """One sale to the member at each store, and one at store A to somebody else."""
    store_a, store_b = stores
    _manager, _clerk, head_office = people
    member = member_services.ensure_member(user=shopper)
    member.phone = "13800138000"
    member.save(update_fields=["phone"])
    other = get_user_model().objects.create_user(username="other", password="x")
    member_services.ensure_member(user=other)

    def sell(store, user):
        variant = stocked_variant(store=store, on_hand=5, price=Decimal("10.00"))
        return ring_up_sale(basket=Basket(store_id=store.pk, lines={variant.pk: 1}, member_user_id=user.pk),
                            clerk=head_office, tendered=Tendered("card"), expected_total=None)

    return member, sell(store_a, shopper), sell(store_b, shopper), sell(store_a, other)


def member_page(client, member):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client.get(reverse("admin:members_memberprofile_change", args=[member.pk]))


@pytest.mark.parametrize("who", ["manager", "clerk"])
def test_store_staff_see_the_members_orders_at_their_own_store_only(client, people, purchases, who):
    manager, clerk, _hq = people
    member, at_a, at_b, someone_else = purchases
    client.force_login(manager if who == "manager" else clerk)

    page = member_page(client, member)

    html = page.content.decode()
    assert page.status_code == 200
    assert "Orders at your stores" in html
    assert at_a.number in html
    assert at_b.number not in html and someone_else.number not in html
    assert "13800138000" not in html and member.masked_phone in html  # looked up, not handed over


def test_head_office_sees_the_members_orders_at_every_store(client, people, purchases):
    _manager, _clerk, head_office = people
    member, at_a, at_b, someone_else = purchases
    client.force_login(head_office)

    html = member_page(client, member).content.decode()

    assert at_a.number in html and at_b.number in html and someone_else.number not in html


def test_a_store_manager_finds_the_member_by_phone_and_cannot_open_the_other_stores_order(client, people, purchases):
    manager, _clerk, _hq = people
    member, at_a, at_b, _other = purchases
    client.force_login(manager)

    found = client.get(reverse("admin:members_memberprofile_changelist"), {"q": "13800138000"})
    assert found.status_code == 200 and list(found.context["cl"].result_list) == [member]
    html = found.content.decode()
    rows = html[html.index("<tbody>", html.index('id="result_list"')):html.index("</tbody>", html.index('id="result_list"'))]
    assert ">13800138000<" not in rows and member.masked_phone in rows  # the list shows it masked

    assert client.get(reverse("admin:orders_order_change", args=[at_a.pk])).status_code == 200
    assert client.get(reverse("admin:orders_order_change", args=[at_b.pk])).status_code == 404
    listed = client.get(reverse("admin:orders_order_changelist"), {"q": at_b.number})
    assert list(listed.context["cl"].result_list) == []


def test_a_member_with_no_purchases_at_the_store_says_so(client, people, stores, shopper):
    manager, _clerk, _hq = people
    member = member_services.ensure_member(user=shopper)
    client.force_login(manager)

    html = member_page(client, member).content.decode()

    assert "No purchases at your stores yet." in html
    assert not Order.objects.exists()
