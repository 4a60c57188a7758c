"""RFM segments from the orders, written nightly as member tags (新客 / 活跃 / 沉睡 / 流失 / 高价值).

Read from the orders themselves (a sale as in analytics/services/facts.py:
paid, or completed for cash on delivery), not from the member's counters.
For each member with a sale: recency (days since the last), frequency (sales
in the window) and monetary (net of goods in the window, less what was
refunded on them), each scored 1–5 against the ANALYTICS_RFM_* cut-offs in
settings. The segment tags are replaced in one transaction, set-based (one
DELETE and one INSERT … SELECT); other tags on members are left alone. Tag
names are data, stored in Chinese as the member admin and coupon targeting
show them.
"""

from __future__ import annotations

import zlib

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext_lazy as _

from analytics.services.facts import SALE_AT, day_bounds, shop_today
from members.models import MemberProfile, MemberTag

LOCK_KEY = zlib.crc32(b"analytics.segments")

NEW, ACTIVE, DORMANT, LOST, HIGH_VALUE = "新客", "活跃", "沉睡", "流失", "高价值"
SEGMENT_TAGS = (NEW, ACTIVE, DORMANT, LOST, HIGH_VALUE)


def thresholds() -> dict:
    """The settings the segments follow, labelled for the admin page that shows them."""
    return {
        "window_days": (_("Orders counted from the last (days)"), settings.ANALYTICS_RFM_WINDOW_DAYS),
        "recency": (_("Recency cut-offs, days since the last order (score 5 … 2)"), settings.ANALYTICS_RFM_RECENCY_DAYS),
        "frequency": (_("Frequency cut-offs, orders (score 2 … 5)"), settings.ANALYTICS_RFM_FREQUENCY_ORDERS),
        "monetary": (_("Monetary cut-offs, net spent (score 2 … 5)"), settings.ANALYTICS_RFM_MONETARY_CNY),
        "new_days": (_("New customer tag: first order within (days)"), settings.ANALYTICS_RFM_NEW_DAYS),
        "active_days": (_("Active tag: last order within (days)"), settings.ANALYTICS_RFM_ACTIVE_DAYS),
        "lost_days": (_("Dormant tag until, lost tag after (days since the last order)"),
                      settings.ANALYTICS_RFM_LOST_DAYS),
        "high_value_score": (_("High-value tag: monetary score at least"), settings.ANALYTICS_RFM_HIGH_VALUE_SCORE),
    }


def _score(expression: str, cuts: list, *, descending: bool = False) -> str:
    """A CASE giving 1–5: ascending cut-offs; for recency a smaller value is better (descending)."""
    cuts = [int(cut) for cut in cuts][:4]
    if descending:
        parts = [f"WHEN {expression} <= {cut} THEN {5 - i}" for i, cut in enumerate(cuts)]
    else:
        parts = [f"WHEN {expression} >= {cut} THEN {5 - i}" for i, cut in enumerate(reversed(cuts))]
    return f"CASE {' '.join(parts)} ELSE 1 END"


def tag_member_segments() -> dict[str, int]:
    """Recompute every member's segment tags from the orders; returns how many members carry each tag."""
    today = shop_today()
    _, end = day_bounds(today, today)
    window_start, _ = day_bounds(today.fromordinal(today.toordinal() - settings.ANALYTICS_RFM_WINDOW_DAYS + 1), today)
    tags = {name: MemberTag.objects.get_or_create(name=name)[0].pk for name in SEGMENT_TAGS}
    through = MemberProfile.tags.through._meta.db_table
    recency = "EXTRACT(DAY FROM %(end)s - r.last_sale)"
    sql = f"""
        WITH sale AS (
            SELECT o.id, o.user_id, {SALE_AT} AS sale_at FROM orders_order o
            WHERE {SALE_AT} IS NOT NULL AND {SALE_AT} < %(end)s
        ),
        spend AS (
            SELECT s.user_id, SUM(l.net_total - l.refunded_amount) AS net
            FROM sale s JOIN orders_orderline l ON l.order_id = s.id
            WHERE s.sale_at >= %(window)s GROUP BY s.user_id
        ),
        rfm AS (
            SELECT s.user_id, MIN(s.sale_at) AS first_sale, MAX(s.sale_at) AS last_sale,
                   COUNT(*) FILTER (WHERE s.sale_at >= %(window)s) AS frequency
            FROM sale s GROUP BY s.user_id
        ),
        scored AS (
            SELECT r.user_id, r.first_sale, r.last_sale, {recency} AS recency_days,
                   {_score("COALESCE(sp.net, 0)", settings.ANALYTICS_RFM_MONETARY_CNY)} AS m_score
            FROM rfm r LEFT JOIN spend sp ON sp.user_id = r.user_id
        ),
        tagged AS (
            SELECT user_id, %(new)s AS tag FROM scored WHERE first_sale >= %(end)s - make_interval(days => %(new_days)s)
            UNION ALL
            SELECT user_id, %(active)s FROM scored WHERE recency_days < %(active_days)s
            UNION ALL
            SELECT user_id, %(dormant)s FROM scored WHERE recency_days >= %(active_days)s AND recency_days < %(lost_days)s
            UNION ALL
            SELECT user_id, %(lost)s FROM scored WHERE recency_days >= %(lost_days)s
            UNION ALL
            SELECT user_id, %(high)s FROM scored WHERE m_score >= %(high_score)s
        )
        INSERT INTO {through} (memberprofile_id, membertag_id)
        SELECT p.id, t.tag FROM tagged t JOIN members_memberprofile p ON p.user_id = t.user_id
    """
    params = {
        "end": end, "window": window_start, "new_days": settings.ANALYTICS_RFM_NEW_DAYS,
        "active_days": settings.ANALYTICS_RFM_ACTIVE_DAYS, "lost_days": settings.ANALYTICS_RFM_LOST_DAYS,
        "high_score": settings.ANALYTICS_RFM_HIGH_VALUE_SCORE, "tag_ids": list(tags.values()),
        "new": tags[NEW], "active": tags[ACTIVE], "dormant": tags[DORMANT], "lost": tags[LOST],
        "high": tags[HIGH_VALUE],
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        cursor.execute(f"DELETE FROM {through} WHERE membertag_id = ANY(%(tag_ids)s)", params)
        cursor.execute(sql, params)
    return segment_counts()


def segment_counts() -> dict[str, int]:
    counts = dict.fromkeys(SEGMENT_TAGS, 0)
    through = MemberProfile.tags.through
    for name, count in _count_rows(through):
        counts[name] = count
    return counts


def _count_rows(through):
    from django.db.models import Count

    rows = (through.objects.filter(membertag__name__in=SEGMENT_TAGS).values("membertag__name")
            .annotate(n=Count("id")).values_list("membertag__name", "n"))
    return list(rows)


def member_scores(*, user_ids=None) -> dict[int, tuple[int, int, int]]:
    """(R, F, M) scores per user, for the admin page and tests (the tags above use the same cut-offs)."""
    today = shop_today()
    _, end = day_bounds(today, today)
    window_start, _ = day_bounds(today.fromordinal(today.toordinal() - settings.ANALYTICS_RFM_WINDOW_DAYS + 1), today)
    sql = f"""
        WITH sale AS (
            SELECT o.id, o.user_id, {SALE_AT} AS sale_at FROM orders_order o
            WHERE {SALE_AT} IS NOT NULL AND {SALE_AT} < %(end)s {"AND o.user_id = ANY(%(users)s)" if user_ids else ""}
        ),
        spend AS (
            SELECT s.user_id, SUM(l.net_total - l.refunded_amount) AS net FROM sale s
            JOIN orders_orderline l ON l.order_id = s.id WHERE s.sale_at >= %(window)s GROUP BY s.user_id
        ),
        r AS (
            SELECT user_id, MAX(sale_at) AS last_sale, COUNT(*) FILTER (WHERE sale_at >= %(window)s) AS frequency
            FROM sale GROUP BY user_id
        )
        SELECT r.user_id,
               {_score("EXTRACT(DAY FROM %(end)s - r.last_sale)", settings.ANALYTICS_RFM_RECENCY_DAYS, descending=True)},
               {_score("r.frequency", settings.ANALYTICS_RFM_FREQUENCY_ORDERS)},
               {_score("COALESCE(sp.net, 0)", settings.ANALYTICS_RFM_MONETARY_CNY)}
        FROM r LEFT JOIN spend sp ON sp.user_id = r.user_id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"end": end, "window": window_start, "users": list(user_ids or [])})
        return {row[0]: (int(row[1]), int(row[2]), int(row[3])) for row in cursor.fetchall()}
