"""The credit file's rating card (its context is built here, rendered by customers' detail page).

What the card shows, in order of precedence:

* a date asked for in the "按日期评定" box (`?as_of=YYYY-MM-DD`): the rating as of that day,
  computed live by `explain_customer` and not stored; the override in force on that day;
* otherwise the customer's result in the latest succeeded run that includes it, with the
  records behind each criterion listed by `explain_customer` for the run's date;
* otherwise (never rated in a run) the rating as of today, computed live ("实时计算").

In the last two cases the override in force today decides the effective level.
A fixed number of queries: the history, the overrides, the measures, and the explanation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.http import HttpRequest

from customers.roles import is_supervisor

from ..explain import Explanation, explain_customer
from ..forms import OverrideForm, RateAsOfForm, RevokeOverrideForm
from ..measures import measures_for
from ..models import LevelOverride, RatingResult, RatingRun
from ..overrides import in_force_override

HISTORY_LENGTH = 12

ASKED = "asked"  # the date in the box, computed live
RUN = "run"  # the latest stored run
LIVE = "live"  # no run includes the customer: computed live as of today


@dataclass
class HistoryRow:
    result: RatingResult
    override: LevelOverride | None

    @property
    def effective(self) -> str:
        return self.override.level if self.override else self.result.level


@dataclass
class RatingCard:
    source: str
    as_of: datetime.date
    computed: str | None
    criteria: tuple[str, ...]
    explanation: Explanation
    override: LevelOverride | None
    override_day: datetime.date
    run: RatingRun | None = None
    # the stored result no longer matches a fresh computation for its date (records changed since)
    recomputed_differs: bool = False
    measures: list = field(default_factory=list)

    @property
    def effective(self) -> str | None:
        return self.override.level if self.override else self.computed

    @property
    def rated(self) -> bool:
        return self.computed is not None


def rating_card_context(request: HttpRequest, customer, today: datetime.date) -> dict:
    """Context for templates/ratings/_rating_card.html, included in the credit file."""
    form = RateAsOfForm(request.GET if "as_of" in request.GET else None)
    history = list(
        RatingResult.objects.filter(customer=customer, run__status=RatingRun.Status.SUCCEEDED)
        .select_related("run")
        .order_by("-run__as_of")[:HISTORY_LENGTH]
    )
    overrides = list(
        LevelOverride.objects.filter(customer=customer)
        .select_related("created_by", "revoked_by")
        .order_by("-starts_on", "-created_at", "-id")
    )

    if form.is_bound and form.is_valid():
        day = form.cleaned_data["as_of"]
        explanation = explain_customer(customer, day)
        card = RatingCard(
            source=ASKED,
            as_of=day,
            computed=explanation.level,
            criteria=tuple(explanation.criteria),
            explanation=explanation,
            override=in_force_override(customer, day, overrides),
            override_day=day,
        )
    elif history:
        latest = history[0]
        explanation = explain_customer(customer, latest.run.as_of)
        stored_criteria = tuple(c for c in latest.criteria.split(";") if c)
        card = RatingCard(
            source=RUN,
            as_of=latest.run.as_of,
            computed=latest.level,
            criteria=stored_criteria,
            explanation=explanation,
            override=in_force_override(customer, today, overrides),
            override_day=today,
            run=latest.run,
            recomputed_differs=(explanation.level, tuple(explanation.criteria)) != (latest.level, stored_criteria),
        )
    else:
        explanation = explain_customer(customer, today)
        card = RatingCard(
            source=LIVE,
            as_of=today,
            computed=explanation.level,
            criteria=tuple(explanation.criteria),
            explanation=explanation,
            override=in_force_override(customer, today, overrides),
            override_day=today,
        )
    card.measures = measures_for(card.effective)

    supervisor = is_supervisor(request.user)
    current_override = in_force_override(customer, today, overrides)
    return {
        "rating": card,
        "rating_form": form if form.is_bound else RateAsOfForm(),
        "rating_history": [HistoryRow(r, in_force_override(customer, r.run.as_of, overrides)) for r in history],
        "current_override": current_override,
        "can_override": supervisor,
        "override_form": OverrideForm() if supervisor else None,
        "revoke_form": RevokeOverrideForm() if supervisor and current_override else None,
    }
