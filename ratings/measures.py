"""Supervision measures (分级分类监管) per level, as administrators keep them in the admin."""

from __future__ import annotations

from .models import LEVEL_ORDER, SupervisionMeasure


def measures_for(level: str | None) -> list[SupervisionMeasure]:
    """The active measures of one level, in their set order; none for an unrated customer."""
    if not level:
        return []
    return list(SupervisionMeasure.objects.filter(level=level, active=True).order_by("position", "id"))


def measures_by_level() -> dict[str, list[SupervisionMeasure]]:
    """Every level's active measures (one query), green first; a level without measures maps to []."""
    out: dict[str, list[SupervisionMeasure]] = {level: [] for level in LEVEL_ORDER}
    for measure in SupervisionMeasure.objects.filter(active=True).order_by("position", "id"):
        out.setdefault(measure.level, []).append(measure)
    return out
