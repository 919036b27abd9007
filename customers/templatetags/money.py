"""`{{ bill.amount|yuan }}` → 12,000.50."""

from __future__ import annotations

from django import template

from ..money import format_yuan

register = template.Library()


@register.filter
def yuan(value) -> str:
    return format_yuan(value)
