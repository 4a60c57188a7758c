"""Product image checks and thumbnails, done with Pillow.

An upload is opened only after its size is checked, only in an allowed
format, and only while its pixel count stays under a cap, so a small file
that decompresses into a huge bitmap (a "decompression bomb") is refused
with a clear message instead of exhausting the worker's memory.
"""

import io
import warnings

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError


def validate_image_file(file) -> None:
    """Refuse files that are too big, not an allowed format or too many pixels."""
    max_bytes = settings.CATALOG_IMAGE_MAX_BYTES
    if file.size is not None and file.size > max_bytes:
        raise ValidationError(
            _("The image is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(file.size / 1024 / 1024, 1), "limit": round(max_bytes / 1024 / 1024, 1)}
        )
    position = file.tell() if hasattr(file, "tell") else None
    try:
        file.seek(0)
        _open_checked(file)
    finally:
        if position is not None:
            file.seek(position)


def _open_checked(file) -> Image.Image:
    max_pixels = settings.CATALOG_IMAGE_MAX_PIXELS
    allowed = settings.CATALOG_IMAGE_FORMATS
    with warnings.catch_warnings():
        # Pillow warns between MAX_IMAGE_PIXELS and twice that; we treat the cap as hard.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(file, formats=allowed)
        except Image.DecompressionBombError:
            raise ValidationError(_("The image has too many pixels to be processed safely.")) from None
        except Image.DecompressionBombWarning:
            raise ValidationError(_("The image has too many pixels to be processed safely.")) from None
        except UnidentifiedImageError:
            raise ValidationError(
                _("Upload a JPEG, PNG, WebP or GIF image; this file is not one of those.")
            ) from None
    width, height = image.size
    if width * height > max_pixels:
        raise ValidationError(
            _("The image is %(width)s×%(height)s pixels; the limit is %(limit)s million pixels.")
            % {"width": width, "height": height, "limit": round(max_pixels / 1_000_000)}
        )
    try:
        image.verify()  # catches truncated and corrupt files without decoding every pixel
    except Exception:
        raise ValidationError(_("The image file is damaged and cannot be read.")) from None
    return image


def render_thumbnail(source, size: tuple[int, int]) -> ContentFile:
    """Return a JPEG no larger than ``size``, turned upright by its EXIF data."""
    source.seek(0)
    _open_checked(source)
    source.seek(0)
    with Image.open(source, formats=settings.CATALOG_IMAGE_FORMATS) as image:
        image = ImageOps.exif_transpose(image)
        image.thumbnail(size, Image.Resampling.LANCZOS)
        if image.mode not in ("RGB", "L"):
            background = Image.new("RGB", image.size, (255, 255, 255))
            rgba = image.convert("RGBA")
            background.paste(rgba, mask=rgba.getchannel("A"))
            image = background
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=85, optimize=True, progressive=True)
    return ContentFile(buffer.getvalue())
