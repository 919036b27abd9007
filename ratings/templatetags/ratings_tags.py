"""The level badge: one colour per level, with its Chinese name; criterion codes with Annex 4's words."""

from __future__ import annotations

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..criteria import CODES_BY_LEVEL, CRITERIA, code_key
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


def _codes(codes) -> list[str]:
    """A flat list of codes from "R1;R3", "R1,R3", ("R1", "R3"), ["R1;R3", "Y2"] or None."""
    if not codes:
        return []
    if isinstance(codes, str):
        return [c.strip() for c in codes.replace(",", ";").replace("；", ";").split(";") if c.strip()]
    return [code for item in codes for code in _codes(str(item))]


@register.simple_tag
def criterion_code(code: str, css: str = "badge text-bg-light border font-monospace") -> str:
    """<abbr title="拖欠水费6个月及以上">R1</abbr>: the code with Annex 4's words as its tooltip."""
    text = CRITERIA.get(code)
    if text is None:
        return format_html('<span class="{}">{}</span>', css, code)
    return format_html(
        '<abbr class="criterion-code {}" title="{}" data-criterion="{}">{}</abbr>', css, str(text), code, code
    )


@register.simple_tag
def criterion_codes(codes, css: str = "badge text-bg-light border font-monospace", empty: str = "—") -> str:
    """Each of `codes` ("R1;R3" or a list) as `criterion_code`, separated by spaces; `empty` when none."""
    items = _codes(codes)
    if not items:
        return empty
    return mark_safe(" ".join(criterion_code(code, css) for code in items))


@register.simple_tag
def criteria_legend(*code_lists, level: str = "") -> str:
    """A small legend (<dl>) of the codes appearing in `code_lists` (and all of `level`'s codes), each with
    Annex 4's words, in Annex 4's order."""
    seen: set[str] = set(CODES_BY_LEVEL.get(level, ()))
    for codes in code_lists:
        for code in _codes(codes):
            if code in CRITERIA:
                seen.add(code)
    if not seen:
        return ""
    rows = format_html_join(
        "",
        '<dt class="col-auto font-monospace">{}</dt><dd class="col-11 mb-1">{}</dd>',
        ((code, str(CRITERIA[code])) for code in sorted(seen, key=code_key)),
    )
    return format_html(
        '<details class="small criteria-legend" data-testid="criteria-legend"><summary class="text-body-secondary">{}</summary>'
        '<dl class="row mb-0 mt-1">{}</dl></details>',
        _("条款说明（附件4）"),
        rows,
    )
