"""``{% product_cards products %}``: the cards of a product grid, each rendered once per catalogue version.

A card is the same on every listing that shows it (category pages, search,
home, related products) and for every shopper: it holds the product's own
data and whatever marketing shows on it (badges, promotional prices), all of
which bump the catalogue version when they change. So a card is cached on its
own, keyed by product id, catalogue version and language (``page_key``), and a
listing that misses its page fragment still reuses the cards other listings
rendered. Cards are fetched in one ``get_many`` and misses stored in one ``set_many``;
a listing's page (catalog.selectors.PageCards) reads the rows of its missing cards
only. Their first pictures come with the listing's own query (``with_card_data``),
or else in one query for all the missing cards.
"""

from dataclasses import dataclass
from functools import cache

from django import template
from django.conf import settings
from django.db.models import Count, Prefetch
from django.db.models import prefetch_related_objects
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext, ngettext

from catalog.cache import TIMEOUT, page_key, pages_cache
from catalog.models import ProductImage, Variant
from catalog.selectors import PageCards
from catalog.templatetags.product_reviews import stars
from shop.markup import esc
from shop.money import format_money

register = template.Library()


@register.simple_tag
def product_cards(products) -> str:
    """``products``: a list of products, or a listing's PageCards, whose rows are read only for missing cards."""
    if isinstance(products, PageCards):
        ids, read = products.ids, products.read
    else:
        by_id = {product.pk: product for product in products}
        ids, read = list(by_id), lambda wanted: [by_id[pk] for pk in wanted]
    if not ids:
        return ""
    keys = {pk: page_key("card", pk) for pk in ids}
    pages = pages_cache()
    found = pages.get_many(list(keys.values()))
    missing = read([pk for pk in ids if keys[pk] not in found])
    if missing:
        _attach_card_images(missing)
        _mark_price_ranges(missing)
        at = timezone.now()
        rendered = {keys[product.pk]: draw_card(product, at) for product in missing}
        pages.set_many(rendered, TIMEOUT)
        found.update(rendered)
    # A product the read did not find (no longer visible) has no card.
    return mark_safe("".join(found[keys[pk]] for pk in ids if keys[pk] in found))


@cache
def _card_marks(path: str | None):
    return import_string(path) if path else lambda product, at: (None, None)


@register.simple_tag(name="product_card")
def draw_card(product, at=None) -> SafeString:
    """``{% product_card product %}``: one card, with what marketing shows on it (settings.CATALOG_CARD_MARKS).

    A grid draws its missing cards by calling this, not by rendering catalog/_product_card.html once per
    card: setting up a template render and resolving three tags' arguments cost more than drawing the card.
    ``at``: the moment whose promotions and flash sales the card shows (a grid passes one for all its cards).
    """
    offer, flash = _card_marks(settings.CATALOG_CARD_MARKS)(product, at or timezone.now())
    return card_html(product, offer, flash)


def card_html(product, offer=None, flash=None) -> SafeString:
    """One card's markup, drawn here rather than node by node.

    ``offer`` (badges, a promotional ``price``) and ``flash`` (a running flash sale's ``flash_price``) come
    from marketing through CATALOG_CARD_MARKS, so the catalogue never imports marketing. Drawn by the
    template engine a card cost about half a millisecond (some forty nodes resolved and escaped one by
    one), most of a cold listing's own work; built here it costs a few hundredths of that. Every value
    shown is escaped.
    """
    name = esc(product.name)
    # Both set by product_cards (_attach_card_images, _mark_price_ranges); a card drawn on its own shows neither.
    image = getattr(product, "card_image", None)
    picture = (
        f'<img src="{esc(image.url)}" alt="{esc(image.alt_text) if image.alt_text else name}" loading="lazy"'
        ' width="400" height="400">'
        if image
        else '<span class="no-image" aria-hidden="true"></span>'
    )
    parts = [f'<li class="product-card">\n  <a href="{esc(product.get_absolute_url())}">{picture}'
             f'<span class="name">{name}</span></a>\n']
    if product.brand_id and product.brand:
        parts.append(f'  <span class="brand">{esc(product.brand.name)}</span>\n')
    if product.review_count:
        reviews = ngettext("%(counter)s review", "%(counter)s reviews", product.review_count) % {
            "counter": product.review_count
        }
        parts.append(f'  <span class="card-rating"><span class="stars" aria-hidden="true">'
                     f'{stars(product.rating_average)}</span> {esc(reviews)}</span>\n')
    price = format_money(product.price)
    if offer and offer.price is not None:
        shown = f'<span class="promo-price">{esc(format_money(offer.price))}</span> <del>{esc(price)}</del>'
    else:
        ranged = getattr(product, "has_price_range", False)
        shown = esc(gettext("from %(price)s") % {"price": price} if ranged else price)
        if product.compare_at_price:
            shown += f" <del>{esc(format_money(product.compare_at_price))}</del>"
    parts.append(f'  <span class="price">{shown}</span>\n')
    for badge in offer.badges if offer else ():
        parts.append(f'  <span class="badge promo">{esc(badge)}</span>\n')
    if flash:
        parts.append(f'  <span class="badge flash">{esc(gettext("Flash sale"))} '
                     f'{esc(format_money(flash.flash_price))}</span>\n')
    if not product.is_in_stock:
        parts.append(f'  <span class="badge sold-out">{esc(gettext("Sold out"))}</span>\n')
    parts.append("</li>\n")
    return mark_safe("".join(parts))


@dataclass(frozen=True)
class CardImage:
    url: str
    alt_text: str


def _attach_card_images(products) -> None:
    """Give each product ``card_image``: its first picture for the card, or None.

    Listings annotate it in their own query (catalog.selectors.with_card_data); other
    product lists cost one query for the images of all the cards being rendered.
    """
    storage = ProductImage._meta.get_field("image").storage
    unknown = []
    for product in products:
        if "card_image_name" in product.__dict__:
            name = product.card_image_name
            product.card_image = CardImage(storage.url(name), product.card_image_alt or "") if name else None
        else:
            unknown.append(product)
    if not unknown:
        return
    # A list whose images were prefetched already is left as it is.
    prefetch_related_objects(unknown, Prefetch("images", queryset=ProductImage.objects.order_by("position", "id")))
    for product in unknown:
        image = next(iter(product.images.all()), None)
        product.card_image = CardImage(image.card_url, image.alt_text) if image else None


def _mark_price_ranges(products) -> None:
    """Flag products whose active variants differ in price, so their card says "from" (¥10.00 起).

    Listings annotate the top price in their own query; other product lists cost one query for all the
    cards being rendered. A cached card keeps its flag until the catalogue version changes, which a price
    change bumps.
    """
    unknown = []
    for product in products:
        high = getattr(product, "price_high", None)  # annotated by catalog.selectors.with_card_data
        if high is None:
            unknown.append(product)
        else:
            product.has_price_range = high > product.price
    if not unknown:
        return
    products = unknown
    prices = (
        Variant.objects.filter(product__in=[product.pk for product in products], is_active=True)
        .values("product_id")
        .annotate(prices=Count("price", distinct=True))
    )
    ranged = {row["product_id"] for row in prices if row["prices"] > 1}
    for product in products:
        product.has_price_range = product.pk in ranged
