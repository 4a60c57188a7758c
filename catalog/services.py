"""Writes to the catalogue that carry a rule: the category tree's paths,
the product summary columns (from-price, search words) and thumbnails."""

import os
from collections.abc import Iterable

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Value
from django.db.models.functions import Concat, Substr

from catalog.cache import bump_catalog_version
from catalog.images import render_thumbnail
from catalog.models import PATH_STEP, Category, Product, ProductImage, Variant
from catalog.search import SEARCH_CONFIG, with_bigrams


def _path_for(category: Category) -> str:
    prefix = category.parent.path if category.parent_id else ""
    return f"{prefix}{category.pk:0{PATH_STEP - 1}d}/"


@transaction.atomic
def save_category(*, category: Category) -> Category:
    """Save a category and keep ``path``/``depth`` right for it and its whole subtree.

    Moving a category moves its descendants with it in one UPDATE.
    """
    old_path = ""
    if category.pk:
        old_path = Category.objects.filter(pk=category.pk).values_list("path", flat=True).first() or ""
    if category.parent_id:
        category.parent = Category.objects.get(pk=category.parent_id)
    category.save()
    new_path = _path_for(category)
    new_depth = new_path.count("/") - 1
    if new_path != category.path or new_depth != category.depth:
        Category.objects.filter(pk=category.pk).update(path=new_path, depth=new_depth)
        if old_path:
            shift = new_depth - (old_path.count("/") - 1)
            Category.objects.filter(path__startswith=old_path).exclude(pk=category.pk).update(
                path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                depth=F("depth") + shift,
            )
        category.path, category.depth = new_path, new_depth
        bump_catalog_version()
    return category


def refresh_product_summary(*, product_ids: Iterable[int]) -> None:
    """Recompute each product's from-price, stock flag and search document from its rows."""
    products = (
        Product.objects.filter(pk__in=list(product_ids))
        .select_related("brand", "category")
        .prefetch_related("tags", "variants")
    )
    changed = []
    for product in products:
        active = [v for v in product.variants.all() if v.is_active]
        cheapest = min(active, key=lambda v: v.price, default=None)
        product.price = cheapest.price if cheapest else product.price
        product.compare_at_price = cheapest.compare_at_price if cheapest else None
        product.search_document = build_search_document(product)
        product.is_in_stock = any(v.is_in_stock for v in active)
        changed.append(product)
    Product.objects.bulk_update(
        changed, ["price", "compare_at_price", "search_document", "is_in_stock"], batch_size=500
    )
    if connection.vendor == "postgresql":
        Product.objects.filter(pk__in=[p.pk for p in changed]).update(
            search_vector=SearchVector("search_document", config=SEARCH_CONFIG)
        )
    bump_catalog_version()


def refresh_product_stock(*, product_ids: Iterable[int]) -> None:
    """Mark each product in stock when one of its active variants is."""
    in_stock = Exists(Variant.objects.filter(product=OuterRef("pk"), is_active=True, is_in_stock=True))
    # Only rows whose flag really flips are written, and only then is the page cache dropped.
    if Product.objects.filter(pk__in=list(product_ids)).exclude(is_in_stock=in_stock).update(is_in_stock=in_stock):
        bump_catalog_version()


def build_search_document(product: Product) -> str:
    """The words a search matches: name first, then brand, category, tags, SKUs and text.

    Lower-cased so that a plain substring test (trigram-indexed on
    PostgreSQL) finds "Tee" in "T恤 tee shirt" without case folding at query
    time, and followed by its Chinese bigrams, and the single characters of
    its name, brand, category and tags, for full-text search.
    """
    parts = [product.name]
    if product.brand_id:
        parts.append(product.brand.name)
    parts.append(product.category.name)
    parts.extend(tag.name for tag in product.tags.all())
    naming = " ".join(parts)
    parts.extend(variant.sku for variant in product.variants.all())
    parts.append(product.summary)
    parts.append(product.description)
    return with_bigrams(" ".join(part for part in parts if part).lower(), characters_of=naming)


def make_thumbnails(*, image_id: int) -> bool:
    """Make the card and detail thumbnails of one image; True if it made them.

    Safe to run twice: an image that already has both thumbnails is skipped.
    """
    image = ProductImage.objects.filter(pk=image_id).first()
    if image is None or (image.card_thumbnail and image.detail_thumbnail):
        return False
    sizes = settings.CATALOG_THUMBNAIL_SIZES
    stem = os.path.splitext(os.path.basename(image.image.name))[0]
    with image.image.open("rb") as source:
        card = render_thumbnail(source, sizes["card"])
        detail = render_thumbnail(source, sizes["detail"])
    image.card_thumbnail.save(f"{image.product_id}-{stem}.jpg", card, save=False)
    image.detail_thumbnail.save(f"{image.product_id}-{stem}.jpg", detail, save=False)
    image.save(update_fields=["card_thumbnail", "detail_thumbnail"])
    return True


def set_published(*, product_ids: Iterable[int], is_published: bool) -> int:
    """Publish or unpublish many products at once; returns how many changed."""
    changed = Product.objects.filter(pk__in=list(product_ids)).exclude(is_published=is_published).update(
        is_published=is_published
    )
    if changed:
        bump_catalog_version()
    return changed
