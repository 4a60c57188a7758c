"""The shopper's cart, checkout and order pages: permissions, redirects, messages, bad input."""

from decimal import Decimal

import pytest
from django.conf import settings

from members.models import Address
from orders.models import CartLine, Order
from tests.factories import AddressFactory, ProductFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice

pytestmark = pytest.mark.django_db


@pytest.fixture
def variant(warehouse):
    return stocked_variant(store=warehouse, on_hand=20, price=Decimal("25.00"), name="有机草莓", slug="berries")


def test_a_guest_adds_to_the_cart_and_the_header_counts_the_units(client, variant):
    response = client.post("/cart/add/", {"variant": variant.pk, "quantity": 3, "next": "/p/berries/"})

    assert response.status_code == 302 and response["Location"] == "/p/berries/"
    page = client.get("/cart/").content.decode()
    assert "有机草莓" in page and "¥75.00" in page  # 3 × ¥25.00 of goods
    assert 'badge-count">3<' in client.get("/").content.decode()


@pytest.mark.parametrize(
    "quantity", ["0", "-1", "100", "abc", "", "1e9", "99999999999999999999", "1.5", "\x00"]
)
def test_junk_quantities_give_a_message_never_a_500(client, variant, quantity):
    response = client.post("/cart/add/", {"variant": variant.pk, "quantity": quantity}, follow=True)

    assert response.status_code == 200
    assert list(response.context["messages"])
    assert client.session.get("cart", {}) == {}


@pytest.mark.parametrize("variant_id", ["0", "-5", "abc", "99999999", "", "9" * 30])
def test_junk_or_unknown_variants_give_a_message_never_a_500(client, variant_id):
    response = client.post("/cart/add/", {"variant": variant_id, "quantity": 1}, follow=True)

    assert response.status_code == 200
    assert list(response.context["messages"])


def test_an_unpublished_product_cannot_be_added(client):
    hidden = ProductFactory(is_published=False).variants.get()

    client.post("/cart/add/", {"variant": hidden.pk, "quantity": 1})

    assert client.session.get("cart", {}) == {}


def test_changing_and_removing_a_line(client, variant):
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})

    client.post("/cart/update/", {"variant": variant.pk, "quantity": 5})
    assert client.session["cart"] == {str(variant.pk): 5}
    client.post("/cart/update/", {"variant": variant.pk, "quantity": 0})
    assert client.session["cart"] == {}


def test_adding_is_post_only(client, variant):
    assert client.get("/cart/add/", {"variant": variant.pk, "quantity": 1}).status_code == 405


def test_a_guest_cart_joins_the_member_cart_on_log_in(client, shopper, variant):
    from tests.conftest import SHOPPER_PASSWORD

    client.post("/cart/add/", {"variant": variant.pk, "quantity": 2})
    client.post("/accounts/login/", {"login": shopper.email, "password": SHOPPER_PASSWORD})

    assert CartLine.objects.get(cart__user=shopper).quantity == 2


def test_checkout_asks_guests_to_log_in(client, variant):
    response = client.get("/checkout/")

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_checkout_shows_the_priced_order_and_places_it(client, shopper, variant, address, express):
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 2})

    page = client.get("/checkout/")
    assert page.status_code == 200
    form = page.context["form"]
    data = {
        "fulfilment": "delivery",
        "address": address.pk,
        "shipping_method": express.pk,
        "payment_method": "bank_transfer",
        "token": form.initial["token"],
        "expected_total": form.initial["expected_total"],
        "place": "1",
    }
    assert form.initial["expected_total"] == Decimal("58.00")  # 2 × 25 + ¥8 shipping

    response = client.post("/checkout/", data)

    order = Order.objects.get(user=shopper)
    assert response.status_code == 302
    assert order.total == Decimal("58.00") and order.status == Order.Status.PENDING_PAYMENT
    detail = client.get(order.get_absolute_url()).content.decode()
    assert "银行" in detail or "bank" in detail.lower()
    assert client.post("/checkout/", data).status_code == 302  # resubmitting: same order
    assert Order.objects.filter(user=shopper).count() == 1


def test_a_price_change_between_showing_and_placing_is_shown_before_paying(client, shopper, variant, address, express):
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    form = client.get("/checkout/").context["form"]
    variant.price = Decimal("30.00")
    variant.save()

    response = client.post(
        "/checkout/",
        {
            "fulfilment": "delivery", "address": address.pk, "shipping_method": express.pk,
            "payment_method": "online", "token": form.initial["token"],
            "expected_total": form.initial["expected_total"], "place": "1",
        },
    )

    assert response.status_code == 200
    assert not Order.objects.exists()
    assert response.context["expected_total"] == Decimal("38.00")
    assert any("38.00" in str(m) for m in response.context["messages"])


def test_checkout_with_missing_choices_shows_form_errors(client, shopper, variant):
    client.force_login(shopper)
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})

    response = client.post("/checkout/", {"fulfilment": "delivery", "payment_method": "online", "token": "not-a-uuid", "place": "1"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert not Order.objects.exists()


def test_another_shoppers_order_is_a_404(client, shopper, variant, address, express, django_user_model):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    stranger = django_user_model.objects.create_user(username="s", email="s@example.com", password="x")
    client.force_login(stranger)

    for url in [order.get_absolute_url(), f"/orders/{order.number}/pay/"]:
        assert client.get(url).status_code == 404
    for url in [f"/orders/{order.number}/cancel/", f"/orders/{order.number}/received/", f"/orders/{order.number}/return/"]:
        assert client.post(url, {"reason": "x"}).status_code == 404
    order.refresh_from_db()
    assert order.status == Order.Status.PENDING_PAYMENT


def test_another_shoppers_address_is_a_404(client, shopper, django_user_model):
    address = AddressFactory(user=shopper)
    stranger = django_user_model.objects.create_user(username="s", email="s@example.com", password="x")
    client.force_login(stranger)

    assert client.get(f"/account/addresses/{address.pk}/").status_code == 404
    assert client.post(f"/account/addresses/{address.pk}/delete/").status_code == 404
    assert Address.objects.filter(pk=address.pk).exists()


def test_a_shopper_cancels_an_unpaid_order_and_the_stock_comes_back(client, shopper, variant, address, express):
    order = buy(shopper, [(variant, 2)], delivery_choice(address, express))
    client.force_login(shopper)

    client.post(f"/orders/{order.number}/cancel/")

    order.refresh_from_db()
    assert order.status == Order.Status.CANCELLED
    assert variant.stock.get().reserved == 0


def test_a_shopper_asks_for_a_return_with_a_reason(client, shopper, variant, address, express):
    from orders.services import record_payment, ship_order

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    record_payment(order_number=order.number, provider="gateway", amount=order.total, currency="CNY", transaction_id="T1")
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF123")
    client.force_login(shopper)

    client.post(f"/orders/{order.number}/return/", {"reason": "尺码不合适"})
    client.post(f"/orders/{order.number}/received/")

    order.refresh_from_db()
    assert order.return_requests.get().reason == "尺码不合适"
    assert order.status == Order.Status.COMPLETED
    page = client.get(order.get_absolute_url()).content.decode()
    assert "SF123" in page and "顺丰" in page


def test_the_order_list_shows_only_my_orders(client, shopper, variant, address, express, django_user_model):
    mine = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    stranger = django_user_model.objects.create_user(username="s", email="s@example.com", password="x")
    theirs = buy(stranger, [(variant, 1)], delivery_choice(AddressFactory(user=stranger), express))
    client.force_login(shopper)

    page = client.get("/orders/").content.decode()

    assert mine.number in page and theirs.number not in page


def test_the_first_address_becomes_the_default_and_only_one_default_exists(client, shopper):
    client.force_login(shopper)
    fields = {"recipient": "王五", "phone": "13700137000", "province": "浙江省", "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}

    client.post("/account/addresses/new/", fields)
    client.post("/account/addresses/new/", {**fields, "is_default": "on", "detail": "文三路 2 号"})

    assert Address.objects.filter(user=shopper).count() == 2
    assert Address.objects.get(user=shopper, is_default=True).detail == "文三路 2 号"


def test_a_bad_phone_number_is_a_form_error(client, shopper):
    client.force_login(shopper)

    response = client.post("/account/addresses/new/", {"recipient": "x", "phone": "call me", "province": "a", "city": "b", "district": "c", "detail": "d"})

    assert response.status_code == 200 and response.context["form"].errors["phone"]


def test_a_product_unpublished_after_someone_added_it_cannot_be_added_again(client, variant):
    from catalog.services import set_published

    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    set_published(product_ids=[variant.product_id], is_published=False)

    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})

    assert client.session["cart"] == {str(variant.pk): 1}


def test_a_new_guest_session_is_one_insert(client, variant, django_assert_num_queries):
    # The variant check, then the session's one INSERT ... ON CONFLICT: no existence check, no transaction.
    with django_assert_num_queries(2):
        client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})


@pytest.mark.parametrize("target", ["//evil.example.com/", "/\\evil.example.com/", "https://evil.example.com/", "javascript:alert(1)"])
def test_adding_to_the_cart_never_sends_the_browser_to_another_site(client, variant, target):
    response = client.post("/cart/add/", {"variant": variant.pk, "quantity": 1, "next": target})

    assert response["Location"] == "/cart/"


def test_the_order_page_offers_the_steps_the_workflow_allows_the_shopper_now(client, shopper, variant, address, express):
    from orders.services import record_payment, ship_order

    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    client.force_login(shopper)
    cancel_form = f'action="/orders/{order.number}/cancel/"'
    received_form = f'action="/orders/{order.number}/received/"'

    unpaid = client.get(order.get_absolute_url()).content.decode()
    record_payment(order_number=order.number, provider="gateway", amount=order.total, currency="CNY", transaction_id="T2")
    paid = client.get(order.get_absolute_url()).content.decode()
    ship_order(order_id=order.pk, carrier="顺丰", tracking_number="SF9")
    shipped = client.get(order.get_absolute_url()).content.decode()

    assert cancel_form in unpaid and received_form not in unpaid
    assert cancel_form not in paid and received_form not in paid
    assert received_form in shipped and cancel_form not in shipped


def test_a_refused_step_is_shown_to_the_shopper_as_a_message(client, shopper, variant, address, express):
    order = buy(shopper, [(variant, 1)], delivery_choice(address, express))
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = client.post(f"/orders/{order.number}/received/", follow=True)

    assert response.status_code == 200
    assert Order.objects.get(pk=order.pk).status == Order.Status.PENDING_PAYMENT
    assert any("not possible" in str(message) for message in response.context["messages"])
