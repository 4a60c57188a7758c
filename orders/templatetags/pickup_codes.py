"""The shopper's pick-up QR code, drawn on the server (no script: the CSP stays strict)."""

from django import template
from django.utils.translation import gettext

from orders.services.pickup import pickup_qr_payload
from shop.codes import qr_svg

register = template.Library()


@register.simple_tag
def pickup_qr(order):
    return qr_svg(pickup_qr_payload(order), label=gettext("Pick-up QR code"), css_class="qr-code pickup-qr")
