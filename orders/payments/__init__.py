"""Payments: the providers behind one small interface, the gateway callback, and the dev simulator.

- ``providers``: start a payment, verify a callback, refund (one class per way of paying).
- ``views``: the signed callback a gateway posts to (the shop's end).
- ``simulator``: DEVELOPMENT AND DEMO ONLY, a stand-in gateway with its hosted page.

Recording money (``orders.services.payments``) and refunds (``orders.services.refunds``)
are services: they decide, these modules only talk to the outside.
"""

from orders.payments.providers import (
    PROVIDERS,
    SIGNATURE_HEADER,
    Callback,
    GatewaySimulator,
    PaymentProvider,
    ProviderUnavailable,
    RefundDeclined,
    provider_for,
    provider_named,
    sign,
)

__all__ = [
    "PROVIDERS",
    "SIGNATURE_HEADER",
    "Callback",
    "GatewaySimulator",
    "PaymentProvider",
    "ProviderUnavailable",
    "RefundDeclined",
    "provider_for",
    "provider_named",
    "sign",
]
