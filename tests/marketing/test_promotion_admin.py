"""The promotion admin: list with figures and filters, bulk switch, steps inline, and the price simulator."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from marketing.models import Promotion, PromotionUse
from members import services as member_services
from members.models import Tier
from tests.factories import stocked_variant
from tests.marketing.test_promotions import promotion, tiered

pytestmark = pytest.mark.django_db
D = Decimal


def test_the_list_shows_campaign_figures_and_filters_by_window_kind_and_switch(admin_client):
    live = tiered(name="满199减20")
    now = timezone.now()
    tiered(name="年货节满减", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=9))
    PromotionUse.objects.create(promotion=live, order_number="A1", discount=D("20"), order_total=D("230"))
    PromotionUse.objects.create(promotion=live, order_number="A2", discount=D("40"), order_total=D("300"),
                                is_cancelled=True)

    page = admin_client.get("/admin/marketing/promotion/").content.decode()
    live_only = admin_client.get("/admin/marketing/promotion/?window=live").content.decode()
    upcoming = admin_client.get("/admin/marketing/promotion/?window=upcoming&kind=threshold&is_active__exact=1")
    searched = admin_client.get("/admin/marketing/promotion/?q=年货").content.decode()

    assert "¥20.00" in page and "¥230.00" in page and "/admin/price-simulator/" in page
    assert "年货节满减" not in live_only and "满199减20" in live_only
    assert "年货节满减" in upcoming.content.decode()
    assert "年货节满减" in searched and "满199减20</a>" not in searched


def test_bulk_switching_promotions_off_and_on_changes_what_applies(admin_client, warehouse):
    campaign = tiered()

    admin_client.post("/admin/marketing/promotion/", {"action": "deactivate", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert not campaign.is_active
    admin_client.post("/admin/marketing/promotion/", {"action": "activate", "_selected_action": [campaign.pk]})
    campaign.refresh_from_db()
    assert campaign.is_active


def test_staff_add_a_tiered_threshold_reduction_with_its_steps_inline(admin_client):
    now = timezone.localtime()
    form = {
        "name": "满199减20", "kind": "threshold", "badge": "满减", "is_active": "on",
        "starts_at_0": now.strftime("%Y-%m-%d"), "starts_at_1": "00:00:00",
        "ends_at_0": (now + timedelta(days=7)).strftime("%Y-%m-%d"), "ends_at_1": "00:00:00",
        "priority": "100", "stackable_with_coupons": "on", "gift_quantity": "1", "applies_to_all": "on",
        "thresholds-TOTAL_FORMS": "2", "thresholds-INITIAL_FORMS": "0",
        "thresholds-0-threshold": "199", "thresholds-0-discount": "20",
        "thresholds-1-threshold": "299", "thresholds-1-discount": "40",
        "uses-TOTAL_FORMS": "0", "uses-INITIAL_FORMS": "0",
    }

    response = admin_client.post("/admin/marketing/promotion/add/", form)

    assert response.status_code == 302, response.content.decode()[:3000]
    created = Promotion.objects.get(name="满199减20")
    assert list(created.thresholds.values_list("threshold", "discount")) == [(D("199.00"), D("20.00")), (D("299.00"), D("40.00"))]


def test_the_simulator_shows_every_step_and_each_lines_share_for_a_member_at_a_time(admin_client, shopper, warehouse):
    apples = stocked_variant(store=warehouse, price=D("120.00"), name="苹果")
    pears = stocked_variant(store=warehouse, price=D("90.00"), name="梨")
    gold = Tier.objects.create(name="金卡", code="gold", rank=3, discount_percent=D("5"))
    member = member_services.ensure_member(user=shopper)
    member.tier = gold
    member.save()
    wednesday = timezone.make_aware(timezone.datetime(2030, 1, 2, 10, 0))
    tiered(ends_at=wednesday + timedelta(days=1))
    promotion(Promotion.Kind.MEMBER_DAY, name="会员日 9 折", weekday=2, percent=D("10"), points_multiplier=D("2"),
              starts_at=timezone.now(), ends_at=wednesday + timedelta(days=1))

    page = admin_client.get("/admin/price-simulator/", {
        "member": shopper.email, "lines": f"{apples.sku} 1\n{pears.sku} 1", "at": "2030-01-02T10:00",
    }).content.decode()

    assert "errorlist" not in page
    assert "金卡" in page and "会员日 9 折" in page and "满199减20" in page
    # 210 − 5 % tier (10.50) = 199.50; member day 10 % (19.95) = 179.55: below 199, so no 满减 yet.
    assert "¥179.55" in page and "promotion-hint" not in page
    assert "-¥11.40" in page and "-¥8.55" in page  # the member day’s ¥19.95 shared by value (114.00 : 85.50)


@pytest.mark.parametrize("lines", ["NOPE 1", "X 0", "X 1 2", "\x00\x00", "A" * 5000, ""])
def test_the_simulator_answers_bad_input_with_a_form_error(admin_client, lines):
    response = admin_client.get("/admin/price-simulator/", {"lines": lines, "member": "nobody@example.com\x00"})

    assert response.status_code == 200
    assert "errorlist" in response.content.decode()


def test_the_simulator_is_for_staff_only(client, shopper):
    client.force_login(shopper)

    response = client.get("/admin/price-simulator/")

    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_a_promotion_missing_the_figures_its_kind_needs_is_a_form_error_not_a_saved_row(admin_client):
    now = timezone.localtime()
    response = admin_client.post("/admin/marketing/promotion/add/", {
        "name": "第二件半价", "kind": "nth_item", "is_active": "on",
        "starts_at_0": now.strftime("%Y-%m-%d"), "starts_at_1": "00:00:00",
        "ends_at_0": (now + timedelta(days=7)).strftime("%Y-%m-%d"), "ends_at_1": "00:00:00",
        "priority": "100", "gift_quantity": "1", "applies_to_all": "on", "nth": "1", "amount": "-3",
        "thresholds-TOTAL_FORMS": "0", "thresholds-INITIAL_FORMS": "0", "uses-TOTAL_FORMS": "0", "uses-INITIAL_FORMS": "0",
    })

    assert response.status_code == 200 and "errorlist" in response.content.decode()
    assert not Promotion.objects.exists()
