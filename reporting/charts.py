"""Server-side SVG charts of the monthly work report (no JS library, no CDN; WeasyPrint draws them too):
`monthly_bars_svg` draws a few monthly counts side by side, one group of bars per month. The level
distribution month by month is ratings.charts.level_distribution_svg. Colours by attribute (no style=, CSP)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from ratings.charts import _nice_ceiling

PALETTE = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#20c997"]


def monthly_bars_svg(
    months: Sequence[datetime.date],
    series: Sequence[tuple[str, Mapping[datetime.date, int]]],
    *,
    title: str,
    width: int = 900,
    height: int = 260,
) -> SafeString:
    """An inline <svg>: per month a <g class="month" data-month> of one bar per series (label, month -> n)."""
    y_max = _nice_ceiling(max((s.get(m, 0) for _l, s in series for m in months), default=0))
    left, right, top, bottom = max(48, 14 + 7 * len(f"{y_max:,}")), 16, 20, 46
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="monthly-chart" role="img" viewBox="0 0 {width} {height}" '
        f'data-testid="monthly-chart" font-family="inherit" font-size="12"><title>{escape(title)}</title>'
    ]
    for fraction in (0, 0.5, 1) if y_max % 2 == 0 else (0, 1):
        y = top + plot_h - fraction * plot_h
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#6c757d">{int(y_max * fraction):,}</text>'
        )
    slot = plot_w / max(len(months), 1)
    bar_w = min(14.0, slot * 0.8 / max(len(series), 1))
    for i, month in enumerate(months):
        x0 = left + i * slot + (slot - bar_w * len(series)) / 2
        parts.append(f'<g class="month" data-month="{month:%Y-%m}">')
        for j, (label, values) in enumerate(series):
            n = values.get(month, 0)
            h = n / y_max * plot_h
            x = x0 + j * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar_w - 1:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}" data-series="{escape(label)}" data-count="{n}">'
                f"<title>{month:%Y-%m} {escape(label)} {n}</title></rect>"
            )
            if n:
                parts.append(
                    f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h - h - 3:.1f}" text-anchor="middle" '
                    f'fill="#495057" font-size="9">{n}</text>'
                )
        parts.append(
            f'<text x="{left + i * slot + slot / 2:.1f}" y="{top + plot_h + 16}" text-anchor="middle" '
            f'fill="#495057">{month.month}月</text></g>'
        )
    lx = left
    for j, (label, _values) in enumerate(series):
        parts.append(
            f'<rect x="{lx}" y="{height - 14}" width="12" height="12" fill="{PALETTE[j % len(PALETTE)]}"/>'
            f'<text x="{lx + 16}" y="{height - 4}" fill="#495057">{escape(label)}</text>'
        )
        lx += 20 + 13 * len(label)
    parts.append("</svg>")
    return mark_safe("".join(parts))
