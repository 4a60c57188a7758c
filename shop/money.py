"""Money helpers: every amount is a Decimal rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.contrib.humanize.templatetags.humanize import intcomma

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to whole cents, half away from zero, as printed receipts do."""
    if isinstance(value, float):
        raise TypeError("money must not pass through float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def format_money(value) -> str:
    """``¥1,234.50``: the one way the shop writes an amount (templates use the ``money`` filter)."""
    if value is None or value == "":
        return ""
    try:
        amount = to_money(value if isinstance(value, Decimal) else str(value))
    except (InvalidOperation, TypeError, ValueError):
        return ""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    return f"{sign}{settings.SHOP_CURRENCY_SYMBOL}{intcomma(int(whole), use_l10n=False)}.{cents}"
