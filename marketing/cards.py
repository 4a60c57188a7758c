"""What marketing shows on a product card (settings.CATALOG_CARD_MARKS), from its per-process tables: no query."""

from datetime import datetime

from marketing.live_flash import CardFlash, card_flash
from marketing.live_promotions import CardOffer, card_offer


def card_marks(product, at: datetime) -> tuple[CardOffer | None, CardFlash | None]:
    """The card's promotional price and badges, and its running flash sale; either None when there is none."""
    return card_offer(product, at=at), card_flash(product.pk, at=at)
