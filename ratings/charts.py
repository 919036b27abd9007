"""Server-side SVG charts (the network is closed: no JS chart library, no CDN).

`level_distribution_svg` draws the level distribution run by run (month by month):
one stacked bar per run date, green at the bottom, red on top, with the total above it.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import LEVEL_ORDER, Level

# Bootstrap 5.3's success / primary / warning / danger, like the badges.
COLOURS = {
    Level.GREEN.value: "#198754",
    Level.BLUE.value: "#0d6efd",
    Level.YELLOW.value: "#ffc107",
    Level.RED.value: "#dc3545",
}
LABELS = dict(Level.choices)


@dataclass(frozen=True)
class Column:
    """One bar: a run date and its count per level."""

    as_of: datetime.date
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.get(level, 0) for level in LEVEL_ORDER)


def _nice_ceiling(value: int) -> int:
    """The smallest 1/2/5 × 10^k at or above `value` (at least 1), for the y-axis top."""
    if value <= 1:
        return 1
    magnitude = 1
    while True:
        for step in (1, 2, 5):
            if step * magnitude >= value:
                return step * magnitude
        magnitude *= 10


def level_distribution_svg(columns: Sequence[Column], *, width: int = 900, height: int = 300) -> SafeString:
    """An inline <svg>: one <g class="run" data-as-of data-total> per column, oldest on the left."""
    columns = sorted(columns, key=lambda c: c.as_of)
    y_max = _nice_ceiling(max((c.total for c in columns), default=0))
    # room for the widest y label ("1,000,000" at a million customers) left of the axis
    left, right, top, bottom = max(56, 14 + 7 * len(f"{y_max:,}")), 16, 24, 56
    plot_w, plot_h = width - left - right, height - top - bottom
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="level-chart" role="img" viewBox="0 0 {width} {height}" '
        'data-testid="level-chart" '
        'font-family="inherit" font-size="12">',
        "<title>各等级户数分布（按评定基准日）</title>",
    ]
    # y axis: 0, half (when it is a whole number), top
    for fraction in (0, 0.5, 1) if y_max % 2 == 0 else (0, 1):
        y = top + plot_h - fraction * plot_h
        value = f"{int(y_max * fraction):,}"
        parts.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#dee2e6" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#6c757d">{value}</text>'
        )
    if not columns:
        parts.append(
            f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h / 2:.1f}" text-anchor="middle" fill="#6c757d">'
            "暂无已完成的评级批次</text>"
        )
    slot = plot_w / max(len(columns), 1)
    bar_w = min(48.0, slot * 0.6)
    for i, column in enumerate(columns):
        x = left + i * slot + (slot - bar_w) / 2
        y = top + plot_h
        label = column.as_of.isoformat()
        parts.append(f'<g class="run" data-as-of="{label}" data-total="{column.total}">')
        for level in LEVEL_ORDER:
            count = column.counts.get(level, 0)
            if not count:
                continue
            h = count / y_max * plot_h
            y -= h
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{COLOURS[level]}" '
                f'data-level="{level}" data-count="{count}"><title>{escape(label)} {escape(LABELS[level])} '
                f"{count} 户</title></rect>"
            )
        cx = x + bar_w / 2
        parts.append(
            f'<text x="{cx:.1f}" y="{y - 5:.1f}" text-anchor="middle" fill="#212529">{column.total:,}</text>'
            f'<text x="{cx:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#495057">{label[:7]}</text>'
            f'<text x="{cx:.1f}" y="{top + plot_h + 30}" text-anchor="middle" fill="#adb5bd" font-size="10">'
            f"{label[8:]}日</text>"
        )
        parts.append("</g>")
    # legend
    lx = left
    for level in LEVEL_ORDER:
        parts.append(
            f'<rect x="{lx}" y="{height - 14}" width="12" height="12" fill="{COLOURS[level]}"/>'
            f'<text x="{lx + 16}" y="{height - 4}" fill="#495057">{escape(LABELS[level])}</text>'
        )
        lx += 64
    parts.append("</svg>")
    return mark_safe("".join(parts))
