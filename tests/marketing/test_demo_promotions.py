"""The demo seeds the promotions its home banners announce, and checkout really applies them."""

from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import Promotion
from members import services as member_services
from members.models import Tier
from orders.services.checkout import price_lines
from shop import demo_activity
from tests.factories import CategoryFactory, stocked_variant
from tests.orders.conftest import buy, delivery_choice, pickup_choice

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def fresh(db):
    return CategoryFactory(slug="fresh", name="生鲜果蔬")


def test_seeding_the_promotions_twice_makes_them_once(fresh):
    first = demo_activity.seed_promotions()

    assert demo_activity.seed_promotions() == first
    assert Promotion.objects.count() == 2


def test_the_banners_spend_199_get_20_off_applies_at_checkout(shopper, warehouse, address, express, fresh):
    demo_activity.seed_promotions()
    rice = stocked_variant(store=warehouse, price=D("99.50"), name="五常大米")

    order = buy(shopper, [(rice, 2)], delivery_choice(address, express))

    assert order.adjustments.get(kind="promotion").amount == D("-20.00")
    assert order.total == D("179.00")


def test_the_member_day_takes_10_percent_off_fresh_food_on_wednesdays_for_members(shopper, warehouse, store, fresh):
    Tier.objects.create(name="普通会员", code="regular", rank=0)
    demo_activity.seed_promotions()
    member = member_services.ensure_member(user=shopper)
    member.tier = Tier.objects.get(code="regular")
    member.save()
    apples = stocked_variant(store=warehouse, price=D("50.00"), name="苹果",
                             category=CategoryFactory(slug="fruit", parent=fresh))
    rice = stocked_variant(store=warehouse, price=D("50.00"), name="大米")
    now = timezone.localtime()
    wednesday = now + timezone.timedelta(days=(2 - now.weekday()) % 7 or 7)
    thursday = wednesday + timezone.timedelta(days=1)

    on_wednesday = price_lines([(apples, 1), (rice, 1)], pickup_choice(store), member, at=wednesday)
    on_thursday = price_lines([(apples, 1), (rice, 1)], pickup_choice(store), member, at=thursday)
    for_a_guest = price_lines([(apples, 1), (rice, 1)], pickup_choice(store), None, at=wednesday)

    assert [line.discount for line in on_wednesday.lines] == [D("5.00"), D("0.00")]
    assert [a.params.get("points_multiplier") for a in on_wednesday.adjustments] == ["2"]
    assert on_thursday.total == for_a_guest.total == D("100.00")
