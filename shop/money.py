"""Money helpers: every amount is a Decimal rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.conf import settings
from django.db import models

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
    # Python's own "," grouping writes what humanize's intcomma(use_l10n=False) wrote, at a sixth of the cost
    # (the cart page formats some fifty amounts).
    return f"{sign}{settings.SHOP_CURRENCY_SYMBOL}{abs(amount):,.2f}"


def allocate_units(total: int, weights: list) -> list[int]:
    """Share ``total`` whole units over ``weights``, largest remainder first; the shares add up to ``total``.

    Shares are in proportion to the weights (Decimal or int, never float),
    rounded down, and the units left over go one each to the largest
    remainders (ties: the larger weight, then the earlier position), so the
    result is deterministic. Zero weights get nothing unless every weight is
    zero, in which case nothing can be shared and a non-zero total is an error.
    """
    if isinstance(total, float) or any(isinstance(w, float) for w in weights):
        raise TypeError("allocation must not pass through float")
    if any(w < 0 for w in weights):
        raise ValueError("allocation weights are never negative")
    if total == 0 or not weights:
        if total:
            raise ValueError("nothing to share a non-zero amount over")
        return [0] * len(weights)
    sign = -1 if total < 0 else 1
    total = abs(total)
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("nothing to share a non-zero amount over")
    shares, remainders = [], []
    for index, weight in enumerate(weights):
        # Integer arithmetic on the exact Decimal ratio: no rounding until the remainder rule.
        share, remainder = divmod(Decimal(total) * Decimal(weight), Decimal(whole))
        shares.append(int(share))
        remainders.append((remainder, weight, -index))
    left = total - sum(shares)
    for _remainder, _weight, negative_index in sorted(remainders, reverse=True)[:left]:
        shares[-negative_index] += 1
    return [sign * share for share in shares]


def allocate(amount: Decimal, weights: list) -> list[Decimal]:
    """Share a money ``amount`` over ``weights`` in whole cents, largest remainder first.

    The shares add up to ``amount`` exactly, and with weights that are the
    lines' values and an amount no larger than their sum, no share exceeds
    its line's value (a remainder cent only goes where the exact share had
    a fraction). Raises TypeError for floats, ValueError for an amount not in
    whole cents or with nothing to share it over.
    """
    if isinstance(amount, float):
        raise TypeError("money must not pass through float")
    amount = Decimal(amount)
    if amount != amount.quantize(CENT):
        raise ValueError("an allocated amount is in whole cents")
    cents = allocate_units(int(amount / CENT), weights)
    return [Decimal(c) * CENT for c in cents]


def money_field(verbose_name, **kwargs):
    """The column every amount is stored in (ARCHITECTURE: DecimalField(max_digits=12, decimal_places=2))."""
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)
