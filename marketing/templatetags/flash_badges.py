"""``{% flash_badge product as flash %}``: the product's running flash sale for its card, from the per-process table."""

from django import template

from marketing.live_flash import card_flash

register = template.Library()


@register.simple_tag
def flash_badge(product):
    if product is None or getattr(product, "pk", None) is None:
        return None
    return card_flash(product.pk)
