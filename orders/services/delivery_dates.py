"""When a parcel is expected: the dates a shipping method's day range means for a shopper ordering now.

A method says how many days delivery takes (``delivery_days_min`` to ``delivery_days_max``); a shopper
wants dates ("预计 12月3日–12月5日 送达"), so the days are counted from today *in the shop's time zone*:
just after midnight in Shanghai is still the previous day in UTC, and counting from the UTC date would
promise a day too early.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.utils import timezone


@dataclass(frozen=True)
class ArrivalWindow:
    first_on: date
    last_on: date
    today: date

    @property
    def is_one_day(self) -> bool:
        return self.first_on == self.last_on

    @property
    def is_today(self) -> bool:
        return self.is_one_day and self.first_on == self.today

    @property
    def is_tomorrow(self) -> bool:
        return self.is_one_day and self.first_on == self.today + timedelta(days=1)


def arrival_window(*, days_min: int, days_max: int, now: datetime | None = None) -> ArrivalWindow:
    """The first and last expected arrival date for an order placed at ``now`` (default: this moment).

    Raises ValueError for a range the database would refuse (negative, or min above max).
    """
    if days_min < 0 or days_max < days_min:
        raise ValueError(f"delivery days must satisfy 0 <= min <= max, not {days_min}..{days_max}")
    today = timezone.localdate(now or timezone.now())
    return ArrivalWindow(
        first_on=today + timedelta(days=days_min), last_on=today + timedelta(days=days_max), today=today
    )


def arrival_window_for(method, *, now: datetime | None = None) -> ArrivalWindow:
    """The arrival window of a ShippingMethod (see ``arrival_window``)."""
    return arrival_window(days_min=method.delivery_days_min, days_max=method.delivery_days_max, now=now)
