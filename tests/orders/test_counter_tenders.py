"""Counter sales pay by their own method and may split what is due between stored value, card and cash."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse

from members import services as member_services
from orders import workflow
from orders.exceptions import CheckoutError
from orders.forms import CheckoutForm
from orders.models import Order, Payment, RefundPayment
from orders.services.counter import (
    Basket, CounterError, TenderError, Tendered, ring_up_sale, split_tenders,
)
from orders.services.refunds import refund_order
from stores.models import Stock, StoreStaff
from tests.factories import StoreFactory, stocked_variant
from tests.orders.browser_form import browser_form_data
from tests.orders.conftest import buy, pickup_choice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def shop_store(db):
    return StoreFactory(code="xuhui", name="上海徐汇店", priority=10)


@pytest.fixture
def manager(shop_store):
    user = get_user_model().objects.create_user(username="manager", password="x", is_staff=True)
    StoreStaff.objects.create(store=shop_store, user=user, role=StoreStaff.Role.MANAGER)
    return user


@pytest.fixture
def member(shopper, manager):
    profile = member_services.ensure_member(user=shopper)
    profile.phone = "13800138000"
    profile.save(update_fields=["phone"])
    member_services.staff_top_up_wallet(user_id=shopper.pk, amount=Decimal("30.00"), reason="test", by=manager)
    profile.refresh_from_db()
    return profile


def basket_of(store, *lines, member=None):
    return Basket(store_id=store.pk, lines={v.pk: q for v, q in lines},
                  member_user_id=member.user_id if member else None)


def payments_of(order):
    return {p.provider: p.amount for p in order.payments.filter(status=Payment.Status.SUCCEEDED)}


# --- the counter's own payment method --------------------------------------------------------


def test_a_counter_sale_is_paid_by_the_counter_method_and_moves_only_along_the_counter_edges(shop_store, manager):
    variant = stocked_variant(store=shop_store, on_hand=2, price=Decimal("10.00"))

    order = ring_up_sale(basket=basket_of(shop_store, (variant, 1)), clerk=manager, tendered=Tendered("card"),
                         expected_total=None)

    assert order.payment_method == Order.PaymentMethod.COUNTER
    assert order.get_payment_method_display() == "paid at the store counter"
    counter_edges = {workflow.EDGES_BY_NAME["counter_pay"], workflow.EDGES_BY_NAME["counter_hand_over"]}
    assert all(edge.payment_methods == frozenset({Order.PaymentMethod.COUNTER}) for edge in counter_edges)
    assert Order.PaymentMethod.COUNTER not in workflow.EDGES_BY_NAME["pay"].payment_methods


def test_an_online_order_paid_by_the_counter_method_cannot_take_the_counter_edges(shopper, warehouse, store):
    variant = stocked_variant(store=store, on_hand=2, price=Decimal("10.00"))
    order = buy(shopper, [(variant, 1)], pickup_choice(store))
    staff = workflow.Actor(kind=workflow.ActorKind.HQ)

    assert "counter_pay" not in [edge.name for edge in workflow.available_actions(order, staff)]
    assert "pay" in [edge.name for edge in workflow.available_actions(order, workflow.Actor.system())]


def test_the_online_checkout_never_offers_the_counter_method():
    form = CheckoutForm(user=None, pickup_stores=[], shipping_methods=[])

    assert Order.PaymentMethod.COUNTER not in [value for value, _label in form.fields["payment_method"].choices]


def test_the_checkout_service_refuses_the_counter_method(shopper, warehouse, store):
    variant = stocked_variant(store=store, on_hand=2, price=Decimal("10.00"))

    with pytest.raises(CheckoutError) as refused:
        buy(shopper, [(variant, 1)], pickup_choice(store, payment=Order.PaymentMethod.COUNTER))

    assert refused.value.message == "Choose a payment method."
    assert not Order.objects.exists()


def test_posting_the_counter_method_to_the_online_checkout_is_a_form_error_not_a_500(client, shopper, warehouse,
                                                                                       address, express):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("25.00"))
    client.force_login(shopper)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post("/cart/add/", {"variant": variant.pk, "quantity": 1})
    html = client.get("/checkout/").content.decode()
    assert 'value="counter"' not in html
    data = browser_form_data(html, "checkout-form", payment_method="counter", place="1")

    response = client.post("/checkout/", data)

    assert response.status_code == 200
    assert response.context["form"].has_error("payment_method")
    assert not Order.objects.exists()
    assert Stock.objects.get(store=warehouse, variant=variant).reserved == 0


# --- splitting what is due -------------------------------------------------------------------


def test_a_split_puts_the_keyed_amount_on_the_card_and_the_rest_in_cash_with_change():
    split = split_tenders(Tendered("split", cash_given=Decimal("50.00"), card_amount=Decimal("60.00")), Decimal("100.00"))

    assert (split.card, split.cash, split.cash_given, split.change) == (
        Decimal("60.00"), Decimal("40.00"), Decimal("50.00"), Decimal("10.00"))


def test_a_split_with_everything_on_the_card_needs_no_cash():
    split = split_tenders(Tendered("split", card_amount=Decimal("100.00")), Decimal("100.00"))

    assert (split.card, split.cash, split.change) == (Decimal("100.00"), Decimal("0.00"), Decimal("0.00"))


@pytest.mark.parametrize(("tendered", "field"), [
    (Tendered("split", cash_given=Decimal("100.00")), "card_amount"),
    (Tendered("split", cash_given=Decimal("100.00"), card_amount=Decimal("-1.00")), "card_amount"),
    (Tendered("split", card_amount=Decimal("100.01")), "card_amount"),
    (Tendered("split", card_amount=Decimal("60.00"), cash_given=Decimal("39.99")), "cash_given"),
    (Tendered("cash", cash_given=None), "cash_given"),
    (Tendered("wallet"), "tender"),
    (Tendered("gold"), "tender"),
])
def test_tenders_that_do_not_add_up_name_the_box_to_correct(tendered, field):
    with pytest.raises(TenderError) as refused:
        split_tenders(tendered, Decimal("100.00"))

    assert refused.value.field == field


def test_a_member_pays_stored_value_first_then_card_then_cash_one_payment_each(shop_store, manager, member):
    variant = stocked_variant(store=shop_store, on_hand=3, price=Decimal("100.00"))

    order = ring_up_sale(basket=basket_of(shop_store, (variant, 1), member=member), clerk=manager,
                         tendered=Tendered("wallet_split", cash_given=Decimal("50.00"), card_amount=Decimal("40.00")),
                         expected_total=Decimal("100.00"))

    assert payments_of(order) == {"wallet": Decimal("30.00"), "card": Decimal("40.00"), "cash": Decimal("30.00")}
    assert order.status == Order.Status.COMPLETED
    note = order.events.get(to_status=Order.Status.PAID).note
    assert note == "cash handed over ¥50.00, change ¥20.00"
    member.refresh_from_db()
    assert member.wallet_balance == Decimal("0.00")


def test_a_split_that_does_not_add_up_writes_nothing(shop_store, manager, member):
    variant = stocked_variant(store=shop_store, on_hand=3, price=Decimal("100.00"))

    with pytest.raises(CounterError):
        ring_up_sale(basket=basket_of(shop_store, (variant, 1), member=member), clerk=manager,
                     tendered=Tendered("wallet_split", cash_given=Decimal("10.00"), card_amount=Decimal("40.00")),
                     expected_total=None)

    member.refresh_from_db()
    assert not Order.objects.exists() and not Payment.objects.exists()
    assert member.wallet_balance == Decimal("30.00")
    assert Stock.objects.get(store=shop_store, variant=variant).on_hand == 3


def test_returns_of_a_mixed_sale_go_back_to_the_card_before_the_till_and_the_wallet_first(
    shop_store, manager, member, django_capture_on_commit_callbacks
):
    cheap = stocked_variant(store=shop_store, on_hand=3, price=Decimal("50.00"))
    dear = stocked_variant(store=shop_store, on_hand=3, price=Decimal("50.00"))
    with django_capture_on_commit_callbacks(execute=True):
        order = ring_up_sale(basket=basket_of(shop_store, (cheap, 1), (dear, 1), member=member), clerk=manager,
                             tendered=Tendered("wallet_split", cash_given=Decimal("40.00"),
                                               card_amount=Decimal("35.00")),
                             expected_total=Decimal("100.00"))
    assert payments_of(order) == {"wallet": Decimal("30.00"), "card": Decimal("35.00"), "cash": Decimal("35.00")}
    first_line = order.lines.get(variant=cheap)

    with django_capture_on_commit_callbacks(execute=True):
        first = refund_order(order_id=order.pk, by=manager, reason="wrong size", key="r1",
                             quantities={first_line.pk: 1}, restock=True)
    with django_capture_on_commit_callbacks(execute=True):
        rest = refund_order(order_id=order.pk, by=manager, reason="changed mind", key="r2",
                            quantities={order.lines.get(variant=dear).pk: 1}, restock=True)

    legs = lambda refund: [(leg.payment.provider, leg.amount) for leg in refund.legs.order_by("pk")]  # noqa: E731
    assert legs(first) == [("wallet", Decimal("30.00")), ("card", Decimal("20.00"))]
    assert legs(rest) == [("card", Decimal("15.00")), ("cash", Decimal("35.00"))]
    assert set(RefundPayment.objects.values_list("status", flat=True)) == {"succeeded"}  # till and terminal settled
    order.refresh_from_db()
    member.refresh_from_db()
    assert order.status == Order.Status.REFUNDED and order.refunded_total == Decimal("100.00")
    assert member.wallet_balance == Decimal("30.00")
    assert all(p.refundable == 0 for p in order.payments.all())
    assert Stock.objects.get(store=shop_store, variant=cheap).on_hand == 3


# --- through the till's pages ------------------------------------------------------------


def till_url(store, name="till", **kwargs):
    return reverse(f"counter:{name}", kwargs={"store_id": store.pk, **kwargs})


def test_a_clerk_splits_a_sale_between_card_and_cash_and_the_receipt_lists_each_tender(client, shop_store, manager):
    variant = stocked_variant(store=shop_store, on_hand=2, price=Decimal("80.00"))
    client.force_login(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.post(till_url(shop_store, "scan"), {"q": variant.sku})
    page = client.get(till_url(shop_store)).content.decode()

    too_little = browser_form_data(page, "pay-form", tender="split", card_amount="50.00", cash_given="20.00")
    refused = client.post(till_url(shop_store, "pay"), too_little)
    assert refused.status_code == 400 and not Order.objects.exists()
    assert refused.context["pay_form"].has_error("cash_given")
    assert "must cover the ¥30.00 to pay in cash" in refused.content.decode()
    too_much = browser_form_data(page, "pay-form", tender="split", card_amount="80.01", cash_given="")
    assert client.post(till_url(shop_store, "pay"), too_much).context["pay_form"].has_error("card_amount")
    negative = browser_form_data(page, "pay-form", tender="split", card_amount="-5", cash_given="100")
    assert client.post(till_url(shop_store, "pay"), negative).context["pay_form"].has_error("card_amount")

    good = browser_form_data(refused.content.decode(), "pay-form", tender="split", cash_given="50.00")
    assert good["card_amount"] == "50.00"  # what the clerk typed is kept on the refused form
    response = client.post(till_url(shop_store, "pay"), good)

    order = Order.objects.get()
    assert response.status_code == 302
    assert payments_of(order) == {"card": Decimal("50.00"), "cash": Decimal("30.00")}
    receipt = client.get(response.url).content.decode()
    assert "card at the counter" in receipt and "cash at the counter" in receipt
    assert "change ¥20.00" in receipt

    returned = client.post(till_url(shop_store, "return", number=order.number),
                           {"reason": "faulty", "key": "k1", f"line-{order.lines.get().pk}": "1"}, follow=True)
    text = returned.content.decode()
    assert "¥50.00 back to the card, ¥30.00 in cash from the till" in text
    assert "back through card at the counter" in text


def test_the_admin_order_list_filters_counter_sales_by_their_payment_method(client, shop_store, manager, shopper):
    from django.contrib.auth import get_user_model

    variant = stocked_variant(store=shop_store, on_hand=4, price=Decimal("10.00"))
    sale = ring_up_sale(basket=basket_of(shop_store, (variant, 1)), clerk=manager, tendered=Tendered("card"),
                        expected_total=None)
    online = buy(shopper, [(variant, 1)], pickup_choice(shop_store))
    client.force_login(get_user_model().objects.create_superuser(username="hq", password="x", email="hq@example.com"))
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    listed = client.get(reverse("admin:orders_order_changelist"), {"payment_method__exact": "counter"})

    assert [order.pk for order in listed.context["cl"].result_list] == [sale.pk]
    assert online.number not in listed.content.decode()
    assert "paid at the store counter" in listed.content.decode()  # the filter and the column read as words
