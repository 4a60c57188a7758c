"""The cart page's lines (drawn in Python, orders/templatetags/cart_lines.py): what each shows and that its forms work."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Variant
from orders.models import CartLine
from orders.services import add_to_cart
from orders.services.cart import MemberCart
from tests.factories import stocked_variant

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def _line(html: str, variant_id: int) -> str:
    lines = re.findall(r'<li class="cart-line.*?</li>', html, re.DOTALL)
    return next(line for line in lines if f'name="variant" value="{variant_id}"' in line)


def test_a_cart_line_shows_its_product_price_quantity_and_total_and_escapes_the_name(member_client, shopper, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20, price=Decimal("1234.50"), name="<b>茶</b> & co")
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=2)

    html = member_client.get(reverse("orders:cart-detail")).content.decode()

    line = _line(html, variant.pk)
    assert "<b>茶</b>" not in html
    assert "&lt;b&gt;茶&lt;/b&gt; &amp; co" in line
    assert f'href="{variant.product.get_absolute_url()}?sku={variant.sku}"' in line
    assert '<span class="price">¥1,234.50</span>' in line
    assert '<span class="line-total">¥2,469.00</span>' in line
    assert f'id="qty-{variant.pk}" class="qty" type="number" name="quantity" value="2"' in line
    assert 'class="cart-line has-problem"' not in line


def test_a_sold_out_line_is_flagged_with_its_problem(member_client, shopper, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20)
    add_to_cart(cart=MemberCart(shopper), variant_id=variant.pk, quantity=1)
    Variant.objects.filter(pk=variant.pk).update(is_in_stock=False)

    html = member_client.get(reverse("orders:cart-detail")).content.decode()

    line = _line(html, variant.pk)
    assert 'class="cart-line has-problem"' in line
    assert '<p class="error">Sold out at the moment.</p>' in line


def test_the_stepper_and_the_remove_form_of_a_line_post_with_a_token_django_accepts(member_client, shopper, warehouse):
    keep, drop = (stocked_variant(store=warehouse, on_hand=20) for _ in range(2))
    cart = MemberCart(shopper)
    add_to_cart(cart=cart, variant_id=keep.pk, quantity=1)
    add_to_cart(cart=cart, variant_id=drop.pk, quantity=1)
    html = member_client.get(reverse("orders:cart-detail")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', _line(html, keep.pk))[1]

    stepped = member_client.post(reverse("orders:cart-update"),
                                 {"csrfmiddlewaretoken": token, "variant": keep.pk, "quantity": 3})
    removed = member_client.post(reverse("orders:cart-update"),
                                 {"csrfmiddlewaretoken": token, "variant": drop.pk, "quantity": 0})

    assert (stepped.status_code, removed.status_code) == (302, 302)
    assert dict(CartLine.objects.filter(cart__user=shopper).values_list("variant_id", "quantity")) == {keep.pk: 3}


def test_a_guest_cart_page_draws_the_session_lines_too(client, warehouse):
    variant = stocked_variant(store=warehouse, on_hand=20, name="Green tea")
    client.post(reverse("orders:cart-add"), {"variant": variant.pk, "quantity": 4})

    html = client.get(reverse("orders:cart-detail")).content.decode()

    line = _line(html, variant.pk)
    assert "Green tea" in line and 'value="4"' in line and "line-shares" not in line
