"""The nightly points expiry task: thin, and harmless when run twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from members.models import PointsEntry
from members.services import award_points_for_order
from members.tasks import expire_points_task
from tests.members.conftest import points_of

pytestmark = pytest.mark.django_db


def test_the_expiry_task_expires_yesterdays_points_once_however_often_it_runs(member):
    entry = award_points_for_order(user_id=member.user_id, order_number="SO-1", amount=Decimal("80.00"))
    PointsEntry.objects.filter(pk=entry.pk).update(expires_on=timezone.localdate() - timedelta(days=1))

    assert expire_points_task.delay().get() == 80
    assert expire_points_task.delay().get() == 0
    assert points_of(member) == 0
