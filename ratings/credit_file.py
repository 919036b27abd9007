"""The ratings app's part of the credit file (`customers.cards`): the 信用等级 card and the PDF's section.

Registered in `RatingsConfig.ready()`; `customers` shows them without importing this app.
"""

from __future__ import annotations

import copy

from django.http import HttpRequest, QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Level, LevelOverride, RatingResult
from .views.customer import rating_card_context

LEVEL_LABELS = dict(Level.choices)


def rating_card(request: HttpRequest, customer) -> dict:
    """The card's context (templates/ratings/_rating_card.html)."""
    return rating_card_context(request, customer, timezone.localdate())


def rating_print_section(request: HttpRequest, customer) -> dict:
    """The PDF's 信用等级 (templates/ratings/pdf/_file_print.html): the rating card's own context, so the paper never
    says something the card does not — the stored result of the latest succeeded run, its criteria in
    Annex 4's words, the effective level when overridden, and the measures."""
    # The printout is the stored state: a `?as_of=` on the URL does not change what is printed.
    plain = copy.copy(request)
    plain.GET = QueryDict()
    card = rating_card_context(plain, customer, timezone.localdate())["rating"]
    return {
        "rating": card,
        "computed_label": LEVEL_LABELS.get(card.computed, ""),
        "effective_label": LEVEL_LABELS.get(card.effective, ""),
        "live_label": LEVEL_LABELS.get(card.live.level, "") if card.live else "",
        "level_labels": LEVEL_LABELS,
    }


def override_label(obj: LevelOverride) -> str:
    """An override as the change history names it: 调整为红色（2026-12-01 起）."""
    return str(
        _("调整为%(level)s（%(day)s 起）") % {"level": obj.get_level_display(), "day": obj.starts_on.isoformat()}
    )


def result_label(obj: RatingResult) -> str:
    """A rating result as the change history names it: 评定基准日 2026-11-30."""
    return str(_("评定基准日 %(day)s") % {"day": obj.run.as_of.isoformat()})
