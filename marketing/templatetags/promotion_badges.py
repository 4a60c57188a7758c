"""``{% promotion_offer product as offer %}``: a product's badges and promotional price, read from the live table.

The table (marketing.live_promotions) is loaded once per process and
catalogue version, so a page of cards costs no query per card. Catalogue
templates load this library by name; catalog code never imports marketing.
"""

from django import template

from marketing.live_promotions import card_offer

register = template.Library()


@register.simple_tag
def promotion_offer(product, variant=None):
    """The CardOffer for ``product`` (or its ``variant``): badges, promotional price; None when nothing covers it."""
    if product is None or getattr(product, "pk", None) is None:
        return None
    return card_offer(product, variant=variant or None)
