"""Fixtures for the marketing tests: coupon templates and a member who can check out.

Store, warehouse, shipping and address fixtures come from tests/orders/conftest.py (imported here).
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone



@pytest.fixture
def coupon_template(db):
    """Make a coupon template: 满100减20 for the whole shop by default, valid for the next 30 days."""
    from marketing.models import CouponTemplate

    def make(**fields):
        scope = {key: fields.pop(key) for key in list(fields) if key in (
            "categories", "brands", "products", "variants", "excluded_products", "excluded_variants", "tiers")}
        now = timezone.now()
        defaults = {
            "name": "满100减20", "kind": CouponTemplate.Kind.THRESHOLD, "amount": Decimal("20.00"), "threshold": Decimal("100.00"),
            "valid_from": now - timedelta(days=1), "valid_until": now + timedelta(days=30), "is_claimable": True,
        }
        defaults.update(fields)
        template = CouponTemplate.objects.create(**defaults)
        for relation, objects in scope.items():
            getattr(template, relation).set(objects)
        return template

    return make
