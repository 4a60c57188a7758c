"""Scannable codes drawn on the server as inline SVG: no script, nothing for the page's CSP to refuse.

QR codes with ``qrcode`` (pick-up codes, the member code), Code128 barcodes
with ``python-barcode`` (the member code at a till's laser scanner).
"""

import io
import re

from django.utils.safestring import SafeString, mark_safe

_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def _inline(svg: str, css_class: str, label: str) -> SafeString:
    svg = _COMMENT.sub("", _PROLOGUE.sub("", svg, count=1))
    # Our own markup around a payload we encoded ourselves: the payload never reaches the SVG as text,
    # except the barcode's human-readable line, which python-barcode escapes.
    svg = svg.replace("<svg ", f'<svg class="{css_class}" role="img" aria-label="{label}" ', 1)
    return mark_safe(svg)  # noqa: S308


def qr_svg(data: str, *, label: str = "", css_class: str = "qr-code") -> SafeString:
    """A QR code of ``data`` as an inline <svg> element."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(data, image_factory=SvgPathImage, border=2)
    return _inline(image.to_string(encoding="unicode"), css_class, _attr(label))


def code128_svg(data: str, *, label: str = "", css_class: str = "barcode") -> SafeString:
    """A Code128 barcode of ``data`` (printable ASCII) as an inline <svg> element, its text printed below."""
    import barcode
    from barcode.writer import SVGWriter

    buffer = io.BytesIO()
    barcode.get("code128", data, writer=SVGWriter()).write(
        buffer, options={"module_width": 0.3, "module_height": 14, "font_size": 8, "text_distance": 4, "quiet_zone": 4}
    )
    return _inline(buffer.getvalue().decode("utf-8"), css_class, _attr(label))


def _attr(text: str) -> str:
    from django.utils.html import escape

    return escape(str(text))
