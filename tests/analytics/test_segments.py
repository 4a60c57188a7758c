"""RFM segments: tags from the orders, replaced each night, other tags left alone."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics.services.segments import (
    member_scores,
    segment_counts,
    tag_member_segments,
)
from members.models import MemberProfile, MemberTag
from orders.models import Order
from tests.analytics.orders_for_facts import make_order, member, products
from tests.factories import StoreFactory

pytestmark = pytest.mark.django_db


def profile(name):
    user = member(name)
    return MemberProfile.objects.create(user=user, referral_code=f"R{user.pk:08d}")


def tags_of(profile):
    return sorted(profile.tags.values_list("name", flat=True))


def test_members_are_tagged_new_active_dormant_lost_and_high_value_from_their_orders(settings):
    settings.ANALYTICS_RFM_MONETARY_CNY = [100, 200, 300, 400]
    store = StoreFactory()
    [cheap] = products(1, price=Decimal("50.00"))
    [dear] = products(1, price=Decimal("500.00"))
    now = timezone.now()
    fresh, regular, sleeping, gone, whale, never = (profile(n) for n in ("fresh", "reg", "sleep", "gone", "whale", "never"))
    make_order(user=fresh.user, store=store, variants=[cheap], paid_at=now - dt.timedelta(days=2))
    make_order(user=regular.user, store=store, variants=[cheap], paid_at=now - dt.timedelta(days=200))
    make_order(user=regular.user, store=store, variants=[cheap], paid_at=now - dt.timedelta(days=10))
    make_order(user=sleeping.user, store=store, variants=[cheap], paid_at=now - dt.timedelta(days=90))
    make_order(user=gone.user, store=store, variants=[cheap], paid_at=now - dt.timedelta(days=300))
    make_order(user=whale.user, store=store, variants=[dear], paid_at=now - dt.timedelta(days=100))
    # Counters on the profile say nothing to the segments; an unpaid order neither.
    make_order(user=never.user, store=store, variants=[dear], status=Order.Status.CANCELLED)
    vip = MemberTag.objects.create(name="VIP")
    gone.tags.add(vip)

    counts = tag_member_segments()

    assert tags_of(fresh) == ["新客", "活跃"]
    assert tags_of(regular) == ["活跃"]
    assert tags_of(sleeping) == ["沉睡"]
    assert tags_of(gone) == ["VIP", "流失"]
    assert tags_of(whale) == ["沉睡", "高价值"]
    assert tags_of(never) == []
    assert counts == {"新客": 1, "活跃": 2, "沉睡": 2, "流失": 1, "高价值": 1}
    assert member_scores(user_ids=[whale.user_id])[whale.user_id][2] == 5


def test_running_the_segments_again_replaces_old_tags_instead_of_adding(settings):
    store = StoreFactory()
    [variant] = products(1)
    someone = profile("someone")
    order = make_order(user=someone.user, store=store, variants=[variant], paid_at=timezone.now() - dt.timedelta(days=1))
    tag_member_segments()
    assert tags_of(someone) == ["新客", "活跃"]
    Order.objects.filter(pk=order.pk).update(paid_at=timezone.now() - dt.timedelta(days=400))
    tag_member_segments()
    tag_member_segments()
    assert tags_of(someone) == ["流失"]
    assert segment_counts()["流失"] == 1


def test_the_back_office_shows_the_thresholds_and_tag_counts_to_staff_who_may_see_members(client, settings):
    from django.contrib.auth.models import Permission

    staff = member("analyst")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    client.force_login(staff)
    assert client.get("/admin/member-segments/").status_code == 403
    staff.user_permissions.add(Permission.objects.get(codename="view_memberprofile"))
    response = client.get("/admin/member-segments/")
    assert response.status_code == 200
    assert "高价值" in response.content.decode() and str(settings.ANALYTICS_RFM_LOST_DAYS) in response.content.decode()
