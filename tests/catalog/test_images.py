import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.images import validate_image_file
from catalog.models import ProductImage
from catalog.services import make_thumbnails
from tests.factories import ProductFactory, ProductImageFactory, bomb_png, png_bytes

# Messages are matched in English; the shop itself speaks Chinese by default.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def upload(data: bytes, name="photo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_a_normal_jpeg_png_and_webp_are_accepted():
    for fmt in ("JPEG", "PNG", "WEBP"):
        validate_image_file(upload(png_bytes(fmt=fmt)))


def test_a_file_that_is_not_an_image_is_refused_clearly():
    with pytest.raises(ValidationError, match="JPEG, PNG, WebP or GIF"):
        validate_image_file(upload(b"<?php echo 'hi'; ?>"))


def test_a_format_outside_the_allow_list_is_refused():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="BMP")

    with pytest.raises(ValidationError, match="JPEG, PNG, WebP or GIF"):
        validate_image_file(upload(buffer.getvalue(), "photo.bmp"))


def test_a_file_over_the_size_cap_is_refused(settings):
    settings.CATALOG_IMAGE_MAX_BYTES = 1024

    with pytest.raises(ValidationError, match="limit"):
        validate_image_file(upload(png_bytes(size=(300, 300)) + b"\0" * 2048))


def test_an_image_over_the_pixel_cap_is_refused(settings):
    settings.CATALOG_IMAGE_MAX_PIXELS = 10_000

    with pytest.raises(ValidationError, match="million pixels"):
        validate_image_file(upload(png_bytes(size=(200, 200))))


def test_a_decompression_bomb_is_refused_without_being_decoded():
    # A tiny PNG that claims to be 30000×30000 pixels (900 MP): Pillow refuses it on open.
    bomb = bomb_png()
    assert len(bomb) < 1_000

    with pytest.raises(ValidationError, match="too many pixels"):
        validate_image_file(upload(bomb))


def test_a_truncated_image_is_refused():
    data = png_bytes(size=(64, 64), color=(10, 200, 30))

    with pytest.raises(ValidationError):
        validate_image_file(upload(data[: len(data) // 2]))


def test_thumbnails_are_made_once_and_fit_their_boxes(settings):
    image = ProductImageFactory(
        image=SimpleUploadedFile("big.png", png_bytes(size=(1600, 1200)), content_type="image/png")
    )
    ProductImage.objects.filter(pk=image.pk).update(card_thumbnail="", detail_thumbnail="")

    assert make_thumbnails(image_id=image.pk) is True
    assert make_thumbnails(image_id=image.pk) is False  # safe to run twice

    image.refresh_from_db()
    with Image.open(image.card_thumbnail.path) as card, Image.open(image.detail_thumbnail.path) as detail:
        assert card.size == (400, 300) and card.format == "JPEG"
        assert detail.size == (900, 675)


def test_saving_an_image_in_the_admin_queues_its_thumbnails(admin_client, django_capture_on_commit_callbacks):
    product = ProductFactory()
    url = f"/admin/catalog/product/{product.pk}/change/"
    form = admin_client.get(url).context["adminform"].form
    data = {
        **{key: value for key, value in form.initial.items() if value is not None and not isinstance(value, list)},
        "name": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "is_published": "on",
        "variants-TOTAL_FORMS": "1",
        "variants-INITIAL_FORMS": "1",
        "variants-0-id": product.variants.get().pk,
        "variants-0-product": product.pk,
        "variants-0-sku": product.variants.get().sku,
        "variants-0-price": "12.00",
        "variants-0-weight_grams": "100",
        "variants-0-is_active": "on",
        "variants-0-position": "0",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": upload(png_bytes(size=(500, 500))),
        "images-0-position": "0",
        "attribute_values-TOTAL_FORMS": "0",
        "attribute_values-INITIAL_FORMS": "0",
    }
    data.pop("related_products", None)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, data)

    if response.status_code != 302:
        pytest.fail(str([response.context["adminform"].form.errors, *[f.formset.errors for f in response.context["inline_admin_formsets"]]]))
    image = product.images.get()
    assert image.card_thumbnail and image.detail_thumbnail  # tasks run inline in tests
    product.refresh_from_db()
    assert product.price == 12


def test_uploading_a_bomb_in_the_admin_gives_a_form_error_not_a_500(admin_client):
    product = ProductFactory()
    url = f"/admin/catalog/product/{product.pk}/change/"
    data = {
        "name": product.name,
        "slug": product.slug,
        "category": product.category_id,
        "variants-TOTAL_FORMS": "0",
        "variants-INITIAL_FORMS": "0",
        "images-TOTAL_FORMS": "1",
        "images-INITIAL_FORMS": "0",
        "images-0-image": upload(bomb_png()),
        "images-0-position": "0",
        "attribute_values-TOTAL_FORMS": "0",
        "attribute_values-INITIAL_FORMS": "0",
    }

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert response.context["inline_admin_formsets"][1].formset.errors[0]["image"]
    assert not product.images.exists()
