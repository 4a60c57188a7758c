"""A manager of store A tries store B's objects through every admin door; a clerk tries what only managers may do."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings

from orders.exceptions import RefundError
from orders.models import Order, Payment
from orders.services.refunds import refund_order
from stores.models import Stock, StoreStaff
from stores.roles import assign_store_role
from tests.factories import StoreFactory, stocked_variant
from tests.orders.conftest import buy, pickup_choice
from tests.orders.test_refunds import pay

pytestmark = pytest.mark.django_db


def staff_of(store, role, username):
    user = get_user_model().objects.create_user(username=username, password="x", email=f"{username}@example.com")
    assign_store_role(user=user, store=store, role=role)
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def other_store(db):
    return StoreFactory(code="jingan", name="上海静安店", priority=20)


@pytest.fixture
def manager(store):
    return staff_of(store, StoreStaff.Role.MANAGER, "manager_a")


@pytest.fixture
def clerk(store):
    return staff_of(store, StoreStaff.Role.CLERK, "clerk_a")


def paid_pickup(shopper, store, price="30.00", quantity=1):
    variant = stocked_variant(store=store, on_hand=10, price=Decimal(price))
    order = buy(shopper, [(variant, quantity)], pickup_choice(store))
    pay(order)
    order.refresh_from_db()
    return order


@pytest.fixture
def order_a(shopper, store):
    return paid_pickup(shopper, store)


@pytest.fixture
def order_b(shopper, other_store):
    return paid_pickup(shopper, other_store)


@pytest.fixture
def as_manager(client, manager):
    client.force_login(manager)
    return client


def test_the_order_list_shows_a_manager_only_their_own_stores_orders(as_manager, order_a, order_b):
    response = as_manager.get("/admin/orders/order/")

    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [order_a]


def test_another_stores_order_page_is_a_404_for_get_and_post(as_manager, order_a, order_b):
    url = f"/admin/orders/order/{order_b.pk}/change/"

    assert as_manager.get(url).status_code == 404
    assert as_manager.post(url, {"note": "x"}).status_code == 404
    assert as_manager.get(f"/admin/orders/order/{order_a.pk}/change/").status_code == 200


def test_another_stores_order_steps_and_history_are_404s(as_manager, order_b):
    assert as_manager.get(f"/admin/orders/order/{order_b.pk}/history/").status_code == 404
    assert as_manager.get(f"/admin/orders/order/{order_b.pk}/ready-for-pickup/").status_code == 404
    assert as_manager.post(f"/admin/orders/order/{order_b.pk}/ready-for-pickup/", {}).status_code == 404
    order_b.refresh_from_db()
    assert order_b.status == Order.Status.PAID


def test_deleting_another_stores_stock_row_is_refused_and_the_row_stays(as_manager, order_b, other_store):
    stock = Stock.objects.get(store=other_store)

    response = as_manager.post(f"/admin/stores/stock/{stock.pk}/delete/", {"post": "yes"})

    assert response.status_code in (403, 404)
    assert Stock.objects.filter(pk=stock.pk).exists()
    assert as_manager.get(f"/admin/stores/stock/{stock.pk}/change/").status_code == 404


def test_a_bulk_action_whose_selection_reaches_another_store_changes_nothing(as_manager, order_a, order_b):
    response = as_manager.post("/admin/orders/order/", {
        "action": "mark_ready_for_pickup", "_selected_action": [order_a.pk, order_b.pk], "index": 0,
    })

    assert response.status_code == 302
    order_a.refresh_from_db()
    order_b.refresh_from_db()
    assert order_a.status == order_b.status == Order.Status.PAID


def test_select_all_acts_on_the_managers_stores_only(as_manager, order_a, order_b):
    as_manager.post("/admin/orders/order/", {
        "action": "mark_ready_for_pickup", "_selected_action": [order_a.pk], "select_across": "1", "index": 0,
    })

    order_a.refresh_from_db()
    order_b.refresh_from_db()
    assert order_a.status == Order.Status.READY_FOR_PICKUP
    assert order_b.status == Order.Status.PAID


def test_a_bulk_action_on_the_managers_own_orders_goes_through(as_manager, order_a):
    as_manager.post("/admin/orders/order/", {
        "action": "mark_ready_for_pickup", "_selected_action": [order_a.pk], "index": 0,
    })

    order_a.refresh_from_db()
    assert order_a.status == Order.Status.READY_FOR_PICKUP


def test_the_store_filter_lists_only_the_managers_stores(as_manager, manager, store, other_store, order_a):
    third = StoreFactory(code="pudong", name="上海浦东店", priority=30)
    assign_store_role(user=manager, store=third, role=StoreStaff.Role.MANAGER)

    response = as_manager.get("/admin/orders/order/")

    [store_filter] = [spec for spec in response.context["cl"].filter_specs if getattr(spec, "field_path", "") == "store"]
    assert {pk for pk, _name in store_filter.lookup_choices} == {store.pk, third.pk}


def test_filtering_by_another_store_in_the_url_shows_nothing(as_manager, other_store, order_b):
    response = as_manager.get(f"/admin/orders/order/?store__id__exact={other_store.pk}")

    assert list(response.context["cl"].result_list) == []


def test_the_store_autocomplete_answers_only_the_managers_stores(as_manager, store, other_store):
    # The store picker of the staff-assignment form is the one autocomplete whose answers are stores.
    response = as_manager.get("/admin/autocomplete/", {
        "app_label": "stores", "model_name": "storestaff", "field_name": "store", "term": "上海",
    })

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [str(store.pk)]


def test_payments_refunds_and_stock_lists_show_only_the_managers_store(as_manager, store, order_a, order_b):
    payments = as_manager.get("/admin/orders/payment/").context["cl"].result_list
    stock = as_manager.get("/admin/stores/stock/").context["cl"].result_list
    movements = as_manager.get("/admin/stores/stockmovement/").context["cl"].result_list

    assert {payment.order_id for payment in payments} == {order_a.pk}
    assert {row.store_id for row in stock} == {store.pk}
    assert {movement.stock.store_id for movement in movements} == {store.pk}


def test_another_stores_payment_page_is_a_404(as_manager, order_b):
    payment = Payment.objects.get(order=order_b)

    assert as_manager.get(f"/admin/orders/payment/{payment.pk}/change/").status_code == 404
    assert as_manager.get(f"/admin/orders/payment/{payment.pk}/history/").status_code == 404


def test_a_manager_cannot_see_or_change_staff_assignments(as_manager, store):
    assert as_manager.get("/admin/stores/storestaff/").status_code == 403
    assert as_manager.get("/admin/stores/storestaff/add/").status_code == 403


def test_receiving_stock_offers_only_the_managers_stores(as_manager, store, other_store):
    response = as_manager.get("/admin/stores/stock/receive/")

    assert list(response.context["form"].fields["store"].queryset) == [store]


# --- a clerk tries what only managers (or head office) may do -----------------------------


@override_settings(STORE_CLERK_REFUND_LIMIT=Decimal("200.00"))
def test_a_clerk_cannot_refund_more_than_the_limit(clerk, shopper, store):
    order = paid_pickup(shopper, store, price="300.00")

    with pytest.raises(RefundError):
        refund_order(order_id=order.pk, by=clerk, reason="顾客不要了")

    order.refresh_from_db()
    assert order.refunded_total == Decimal("0.00")


@override_settings(STORE_CLERK_REFUND_LIMIT=Decimal("200.00"))
def test_a_clerk_refunds_up_to_the_limit_and_a_manager_beyond_it(clerk, manager, shopper, store):
    small = paid_pickup(shopper, store, price="150.00")
    large = paid_pickup(shopper, store, price="300.00")

    assert refund_order(order_id=small.pk, by=clerk, reason="退").amount == Decimal("150.00")
    assert refund_order(order_id=large.pk, by=manager, reason="退").amount == Decimal("300.00")


def test_a_clerk_may_look_at_products_but_not_change_a_price(client, clerk, store):
    variant = stocked_variant(store=store, on_hand=1, price=Decimal("10.00"))
    client.force_login(clerk)

    assert client.get(f"/admin/catalog/product/{variant.product_id}/change/").status_code == 200
    response = client.post(f"/admin/catalog/product/{variant.product_id}/change/", {"name": "改名"})

    assert response.status_code == 403
    variant.refresh_from_db()
    assert variant.price == Decimal("10.00")


def test_a_clerk_can_work_an_order_of_their_store(client, clerk, order_a):
    client.force_login(clerk)

    client.post(f"/admin/orders/order/{order_a.pk}/ready-for-pickup/", {})

    order_a.refresh_from_db()
    assert order_a.status == Order.Status.READY_FOR_PICKUP


# --- the order workbench, its printouts, and the back office's own name and sections -------


def test_the_packing_slip_and_receipt_print_for_the_managers_order_only(as_manager, order_a, order_b):
    slip = as_manager.get(f"/admin/orders/order/{order_a.pk}/print/packing-slip/")
    receipt = as_manager.get(f"/admin/orders/order/{order_a.pk}/print/receipt/")

    assert slip.status_code == receipt.status_code == 200
    assert order_a.lines.get().sku in slip.content.decode()
    assert "online payment" in receipt.content.decode() or "在线支付" in receipt.content.decode()
    assert as_manager.get(f"/admin/orders/order/{order_b.pk}/print/receipt/").status_code == 404


def test_a_pickup_order_page_has_no_empty_delivery_rows_and_links_its_printouts(as_manager, order_a):
    response = as_manager.get(f"/admin/orders/order/{order_a.pk}/change/")

    fields = {name for fieldset in response.context["adminform"] for line in fieldset for field in line
              for name in [field.field["name"] if isinstance(field.field, dict) else field.field.name]}
    assert not fields & {"province", "address_detail", "tracking_number", "carrier"}
    assert f"/admin/orders/order/{order_a.pk}/print/packing-slip/" in response.content.decode()


def test_the_payments_list_shows_provider_labels_not_codes(as_manager, order_a):
    response = as_manager.get("/admin/orders/payment/")

    cells = response.content.decode()
    assert ">gateway<" not in cells


def test_the_back_office_carries_the_shops_name_and_groups_models_by_task(as_manager, settings):
    response = as_manager.get("/admin/")

    sections = [str(app["name"]) for app in response.context["app_list"]]
    assert str(settings.SHOP_NAME) in response.content.decode()
    assert "Django" not in response.context["site_header"]
    assert sections[0] in ("Orders", "订单")


def test_a_store_manager_finds_a_member_by_phone_and_reads_it_masked(as_manager, shopper):
    from members.models import MemberProfile

    profile, _created = MemberProfile.objects.get_or_create(user=shopper)
    MemberProfile.objects.filter(pk=profile.pk).update(phone="13812345678")

    found = as_manager.get("/admin/members/memberprofile/", {"q": "13812345678"})
    page = as_manager.get(f"/admin/members/memberprofile/{profile.pk}/change/")

    assert list(found.context["cl"].result_list) == [profile]
    assert page.status_code == 200
    assert "13812345678" not in page.content.decode()


def test_a_store_manager_cannot_export_the_member_list(as_manager, shopper):
    from django.contrib.admin import helpers

    from members.models import MemberProfile

    profile, _created = MemberProfile.objects.get_or_create(user=shopper)

    response = as_manager.post("/admin/members/memberprofile/", {
        "action": "export_csv", helpers.ACTION_CHECKBOX_NAME: [profile.pk],
    })

    assert response.get("Content-Type", "").startswith("text/html")  # the list again, no CSV
