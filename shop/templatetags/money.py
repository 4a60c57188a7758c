"""The one way templates show money: ``{{ amount|money }}`` → ``¥1,234.50``."""

from decimal import Decimal, InvalidOperation

from django import template
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma

from shop.money import to_money

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = to_money(value if isinstance(value, Decimal) else str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    return f"{sign}{settings.SHOP_CURRENCY_SYMBOL}{intcomma(int(whole), use_l10n=False)}.{cents}"
