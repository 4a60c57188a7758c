"""Coupon words for templates: what a coupon takes off and what it needs, and the member centre's counts.

The member centre (members app) shows the coupon tile through these tags, so
members' Python never imports marketing (ARCHITECTURE.md, import direction).
"""

from django import template
from django.utils.translation import gettext as _

from shop.money import format_money

register = template.Library()


@register.filter
def coupon_value(template_obj) -> str:
    """The big figure on a coupon card: ¥20, 9折, 包邮."""
    kind = template_obj.kind
    if kind in ("cash_off", "threshold"):
        return format_money(template_obj.amount)
    if kind == "percent":
        return _("%(percent)s%% off") % {"percent": f"{template_obj.percent.normalize():f}"}
    return _("Free shipping")


@register.filter
def coupon_terms(template_obj) -> str:
    """What it needs to apply: 满199可用, no threshold, the cap, tiers, new customers, stacking."""
    parts = []
    if template_obj.threshold and template_obj.threshold > 0:
        parts.append(_("Spend %(amount)s or more") % {"amount": format_money(template_obj.threshold)})
    else:
        parts.append(_("No minimum spend"))
    if template_obj.kind == "percent" and template_obj.max_discount:
        parts.append(_("at most %(amount)s off") % {"amount": format_money(template_obj.max_discount)})
    if not template_obj.applies_to_all:
        parts.append(_("selected goods only"))
    if template_obj.new_customers_only:
        parts.append(_("new customers only"))
    if not template_obj.stackable_with_promotions:
        parts.append(_("not with promotions"))
    return " · ".join(parts)


@register.simple_tag
def usable_coupon_count(user) -> int:
    from marketing.coupon_selectors import usable_coupon_count as count

    return count(user.pk) if user.is_authenticated else 0


@register.simple_tag
def unread_notification_count(user) -> int:
    from marketing.models import Notification

    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@register.filter
def notification_text(notification) -> str:
    params = notification.params or {}
    if notification.kind == "coupon_birthday":
        return _("Happy birthday! %(name)s is in your coupons, valid until %(until)s.") % {
            "name": params.get("name", ""), "until": params.get("until", "")}
    if notification.kind in ("coupon_first_order", "coupon_referral"):
        return _("A coupon for you: %(name)s, valid until %(until)s.") % {
            "name": params.get("name", ""), "until": params.get("until", "")}
    return params.get("text") or notification.kind
