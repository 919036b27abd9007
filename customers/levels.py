"""The credit levels as the ground floor knows them, and the extension point that fills the customer list's
当前等级 column, filter and sort.

The levels' codes and names are the ratings app's (`ratings.models.Level`), repeated here so that
`customers` imports no app above it (tests/test_layering.py checks both that and that the names agree).

The customer list (`customers.views.files.customer_list`, `customers.tables`, `customers.filters`) reads
each row's level through the registered `LevelProvider`: ratings registers one in its `AppConfig.ready()`
(ratings/customer_list.py) that supplies the latest succeeded run, the SQL annotations of a row's
stored and effective level in that run, the level filter's condition and the badge. Without one (ratings
not installed) the list shows every customer as 未评级.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import CharField, QuerySet
from django.db.models import Value as V
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

LEVEL_LABELS = {"green": _("绿色"), "blue": _("蓝色"), "yellow": _("黄色"), "red": _("红色")}
LEVEL_RANK = {"green": 0, "blue": 1, "yellow": 2, "red": 3}
NO_LEVEL_TEXT = "未评级"
NO_LEVEL = "none"  # the level filter's value for 未评级 (no result in the run)


@dataclass(frozen=True)
class LevelProvider:
    """What the customer list asks of the app that rates customers.

    - `latest_run()`: the run whose levels the list shows (None: nobody rated yet);
    - `annotate(queryset, run)`: `result_level` (the stored level, NULL when not rated in `run`),
      `override_level` (the override in force on the run's date, else NULL) and `current_level` (the
      effective level, NULL when not rated);
    - `filter(queryset, run, value)`: the customers whose effective level in `run` is `value`;
    - `badge(level)`: the level as the list shows it (HTML).
    """

    latest_run: Callable[[], object | None]
    annotate: Callable[[QuerySet, object], QuerySet]
    filter: Callable[[QuerySet, object, str], QuerySet]
    badge: Callable[[str | None], SafeString]


def _no_run() -> None:
    return None


def _unrated(queryset: QuerySet, run) -> QuerySet:
    return queryset.annotate(
        result_level=V(None, output_field=CharField()),
        override_level=V(None, output_field=CharField()),
        current_level=V(None, output_field=CharField()),
    )


def _none_rated(queryset: QuerySet, run, value: str) -> QuerySet:
    return queryset.none()


def _plain_badge(level: str | None) -> SafeString:
    return format_html("{}", LEVEL_LABELS.get(level, NO_LEVEL_TEXT) if level else NO_LEVEL_TEXT)


UNRATED = LevelProvider(latest_run=_no_run, annotate=_unrated, filter=_none_rated, badge=_plain_badge)
_provider: LevelProvider = UNRATED


def register_provider(provider: LevelProvider) -> None:
    """Set the provider of the list's levels (the ratings app, in its ready())."""
    global _provider
    _provider = provider


def provider() -> LevelProvider:
    return _provider
