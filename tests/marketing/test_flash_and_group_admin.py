"""The admin lists flash sales with sold and remaining units, and group buys and groups with filters and search."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import FlashSale, Group, GroupBuy
from marketing.rules import UnitPriceRule
from orders.pricing import PricingContext, PricingItem, price_cart
from tests.factories import stocked_variant

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaigns(warehouse, admin_user):
    variant = stocked_variant(store=warehouse, on_hand=5, price=Decimal("99.00"))
    now = timezone.now()
    sale = FlashSale.objects.create(name="整点秒杀", variant=variant, flash_price=Decimal("9.90"), quota=100, taken=37,
                                    starts_at=now, ends_at=now + timedelta(hours=1))
    campaign = GroupBuy.objects.create(name="两人团", variant=variant, group_price=Decimal("59.00"), group_size=2,
                                       starts_at=now, ends_at=now + timedelta(days=1))
    group = Group.objects.create(campaign=campaign, code="ABCD2345", leader=admin_user, size=2, joined=1,
                                 deadline=now + timedelta(hours=5))
    return sale, campaign, group


def test_the_flash_sale_list_shows_sold_and_remaining_units(admin_client, campaigns):
    page = admin_client.get("/admin/marketing/flashsale/?is_active__exact=1&q=整点").content.decode()

    assert "整点秒杀" in page
    assert ">37<" in page and ">63<" in page


def test_the_group_lists_filter_by_status_and_search_by_share_code(admin_client, campaigns):
    assert "ABCD2345" in admin_client.get("/admin/marketing/group/?status__exact=open&q=ABCD").content.decode()
    assert "ABCD2345" not in admin_client.get("/admin/marketing/group/?status__exact=failed").content.decode()
    assert admin_client.get("/admin/marketing/groupbuy/?q=两人").status_code == 200


def test_switching_flash_sales_off_in_bulk(admin_client, campaigns):
    sale = campaigns[0]

    admin_client.post("/admin/marketing/flashsale/", {"action": "deactivate", "_selected_action": [sale.pk]})

    sale.refresh_from_db()
    assert not sale.is_active


def test_giving_open_groups_more_time_in_bulk(admin_client, campaigns):
    group = campaigns[2]
    before = group.deadline

    admin_client.post("/admin/marketing/group/", {"action": "extend_deadline", "_selected_action": [group.pk]})

    group.refresh_from_db()
    assert group.deadline == before + timedelta(hours=24)


def test_a_unit_price_rule_covers_a_whole_line_within_its_units_or_none_of_it():
    item = PricingItem(variant_id=1, sku="A", name="A", options="", unit_price=Decimal("99.00"), quantity=2)
    rule = UnitPriceRule(variant_id=1, price=Decimal("9.90"), max_units=2, reference="flash:1", kind="flash")

    within = price_cart([item], PricingContext(unit_price_rules=(rule,)))
    over = price_cart([item], PricingContext(unit_price_rules=(UnitPriceRule(1, Decimal("9.90"), 1, "flash:1", "flash"),)))

    assert within.lines[0].line_total == Decimal("19.80") and within.lines[0].list_price == Decimal("99.00")
    assert over.lines[0].line_total == Decimal("198.00") and over.lines[0].price_rule is None
