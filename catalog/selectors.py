"""Reads of the catalogue shared by pages, feeds and tasks."""

from catalog.models import ProductImage


def images_missing_thumbnails():
    return ProductImage.objects.filter(card_thumbnail="") | ProductImage.objects.filter(detail_thumbnail="")
