"""Money helpers: every amount is a Decimal rounded half-up to the cent."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


def to_money(value: Decimal | int | str) -> Decimal:
    """Round to whole cents, half away from zero, as printed receipts do."""
    if isinstance(value, float):
        raise TypeError("money must not pass through float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)
