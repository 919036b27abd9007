"""The level badge: one colour per level, with its Chinese name."""

from __future__ import annotations

from django import template
from django.utils.html import format_html

from ..models import Level

register = template.Library()

BADGE_CLASSES = {
    Level.GREEN.value: "text-bg-success",
    Level.BLUE.value: "text-bg-primary",
    Level.YELLOW.value: "text-bg-warning",  # Bootstrap 5.3: dark text on yellow
    Level.RED.value: "text-bg-danger",
}
LEVEL_LABELS = dict(Level.choices)


@register.filter
def level_label(level: str | None) -> str:
    return str(LEVEL_LABELS.get(level, "—")) if level else "—"


@register.simple_tag
def level_badge(level: str | None, size: str = "") -> str:
    """<span class="badge text-bg-…">绿色</span>; "—" for no level. `size="lg"` for the file's headline."""
    if not level:
        return format_html('<span class="badge text-bg-light border" data-level="">{}</span>', "未评级")
    extra = " fs-5 px-3 py-2" if size == "lg" else ""
    return format_html(
        '<span class="badge {}{}" data-level="{}">{}</span>',
        BADGE_CLASSES.get(level, "text-bg-secondary"),
        extra,
        level,
        LEVEL_LABELS.get(level, level),
    )


@register.filter
def grouped(value) -> str:
    """A count with thousands separators, 1,000,000, whatever the language (humanize's intcomma
    follows the locale, which for zh-hans groups nothing)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return str(value)
