"""The one way templates show money: ``{{ amount|money }}`` → ``¥1,234.50``."""

from django import template

from shop.money import format_money

register = template.Library()


@register.filter
def money(value) -> str:
    return format_money(value)
