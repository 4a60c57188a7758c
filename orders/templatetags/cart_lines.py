"""The cart page's lines, drawn in Python: ``{% cart_lines items %}``, and a priced line's discount shares,
``{% line_shares %}`` (in each cart line and in checkout's summary).

Each line is a picture, a name, options, a price, the member's discount
shares, a quantity stepper and a remove form. Drawn by the template engine
that cost about 0.7 ms a line (some fifty nodes, each resolved and escaped
one by one), most of the page's own work; the same markup built here costs a
few hundredths of that. Everything shown is escaped by ``esc`` or
``html_format`` (shop.markup); labels are translated once per page, not once
per line.
"""

from urllib.parse import quote

from django import template
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

from shop.markup import esc, html_format
from shop.money import format_money

register = template.Library()


@register.simple_tag
def line_shares(shares, net, gross=None) -> SafeString:
    """``{% line_shares line.explanation line.net_total %}``: a priced line's discount shares (label, amount), what
    is paid for it, and first, when given, its price before discounts (the cart page and checkout's summary)."""
    return html_format(
        '<ul class="line-shares">\n{}{}<li class="line-net"><span>{}</span><span>{}</span></li>\n</ul>\n',
        html_format("<li><span>{}</span><span>{}</span></li>\n", gettext("Before discounts"), format_money(gross))
        if gross
        else "",
        mark_safe("".join(f"<li><span>{esc(label)}</span><span>{esc(format_money(amount))}</span></li>\n"
                          for label, amount in shares)),
        gettext("Paid for this item"),
        format_money(net),
    )


def _line_html(item, words: dict, csrf_input: SafeString, update_url: str) -> SafeString:
    variant = item.variant
    link = f"{variant.product.get_absolute_url()}?sku={quote(variant.sku, safe='/')}"
    picture = (
        html_format('<img src="{}" alt="" width="80" height="80">', variant.card_image_url)
        if variant.card_image_url
        else mark_safe('<span class="no-image"></span>')
    )
    priced = item.priced
    # Line breaks where the template had them: between inline elements (the stepper's buttons) they are a gap.
    return html_format(
        '<li class="cart-line{problem_class}">\n'
        '<a class="thumb" href="{link}">{picture}</a>\n'
        '<div class="info">\n'
        '<a class="name" href="{link}">{name}</a>\n'
        '<span class="options">{options}</span>\n'
        '<span class="price">{price}</span>\n'
        "{shares}{problem}"
        '<div class="line-foot">\n'
        '<form method="post" action="{update_url}" class="qty-form stepper" data-cart-line>\n'
        '{csrf}\n<input type="hidden" name="variant" value="{pk}">\n'
        '<button type="submit" name="step" value="-1" class="step minus" aria-label="{one_less}">−</button>\n'
        '<label class="visually-hidden" for="qty-{pk}">{quantity_label}</label>\n'
        '<input id="qty-{pk}" class="qty" type="number" name="quantity" value="{quantity}" min="0" max="99"'
        ' inputmode="numeric">\n'
        '<button type="submit" name="step" value="1" class="step plus" aria-label="{one_more}">+</button>\n'
        '<button type="submit" class="secondary small no-js-only">{update}</button>\n'
        "</form>\n"
        '<span class="line-total">{line_total}</span>\n'
        "</div>\n"
        '<form method="post" action="{update_url}" class="remove-form">\n'
        '{csrf}\n<input type="hidden" name="variant" value="{pk}">\n<input type="hidden" name="quantity" value="0">\n'
        '<button type="submit" class="link">{remove}</button>\n'
        "</form>\n"
        "</div>\n</li>\n",
        problem_class=" has-problem" if item.problem else "",
        link=link,
        picture=picture,
        name=variant.product.name,
        options=item.options,
        price=format_money(variant.price),
        shares=line_shares(priced.explanation, priced.net_total, priced.line_total)
        if priced is not None and priced.shares
        else "",
        problem=html_format('<p class="error">{}</p>\n', item.problem) if item.problem else "",
        update_url=update_url,
        csrf=csrf_input,
        pk=str(variant.pk),
        quantity=str(item.quantity),
        line_total=format_money(item.line_total),
        **words,
    )


@register.simple_tag(takes_context=True)
def cart_lines(context, items) -> SafeString:
    """The ``<li>`` of every cart line (items: orders.services.cart.CartItem, with ``priced`` for a member)."""
    words = {
        "one_less": gettext("One less"),
        "one_more": gettext("One more"),
        "quantity_label": gettext("Quantity"),
        "update": gettext("Update"),
        "remove": gettext("Remove"),
    }
    csrf_input = html_format('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', get_token(context["request"]))
    update_url = reverse("orders:cart-update")
    return mark_safe("".join(_line_html(item, words, csrf_input, update_url) for item in items))
