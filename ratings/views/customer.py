"""The credit file's rating card (its context is built here, rendered by customers' detail page).

What the card shows, in order of precedence:

* a date asked for in the "按日期评定" box (`?as_of=YYYY-MM-DD`): the rating as of that day,
  computed live by `explain_customer` and not stored; the override in force on that day;
* otherwise the customer's result in the latest succeeded run that includes it, with the
  records behind each criterion listed by `explain_customer` for the run's date;
* otherwise (never rated in a run) the rating as of today, computed live ("实时计算").

The effective level is the one rule of `ratings.overrides`: the override in force on the
card's date (the run's as-of date for a stored run, the asked day, or today), else the
computed level. So the file says what the level lists and counts of that run say. An override
in force today that does not cover the run's date is shown apart, as applying from its start.

A stored run's card shows the stored result only: its level, its criteria, the measures of
its effective level, the run's date. When the records have changed since (the same date
recomputed now gives another level or other criteria), the fresh reading is shown apart,
as not in force until the next run; nothing on the card mixes the two.

A fixed number of queries: the history, the overrides, the measures, and the explanation.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.http import HttpRequest

from customers.roles import is_supervisor

from ..criteria import criterion_text
from ..explain import CriterionHit, Explanation, explain_customer
from ..forms import OverrideForm, RateAsOfForm, RevokeOverrideForm
from ..measures import measures_for
from ..models import LevelOverride, RatingResult, RatingRun
from ..overrides import applies_to_runs_text, in_force_override

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
    # the criteria behind `computed` (for a stored run: the stored codes, with records only when
    # the records still give that result)
    hits: tuple[CriterionHit, ...] = ()
    # an override in force today that does not cover this card's date (set after the run's date)
    pending_override: LevelOverride | None = None

    @property
    def live(self) -> Explanation | None:
        """The reading of the current records for the run's date, when it differs from the stored result."""
        return self.explanation if self.recomputed_differs else None

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
            hits=explanation.hits,
        )
    elif history:
        latest = history[0]
        explanation = explain_customer(customer, latest.run.as_of)
        stored_criteria = tuple(c for c in latest.criteria.split(";") if c)
        differs = (explanation.level, tuple(explanation.criteria)) != (latest.level, stored_criteria)
        card = RatingCard(
            source=RUN,
            as_of=latest.run.as_of,
            computed=latest.level,
            criteria=stored_criteria,
            explanation=explanation,
            override=in_force_override(customer, latest.run.as_of, overrides),
            override_day=latest.run.as_of,
            run=latest.run,
            recomputed_differs=differs,
            hits=(
                tuple(CriterionHit(code, criterion_text(code), ()) for code in stored_criteria)
                if differs
                else explanation.hits
            ),
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
            hits=explanation.hits,
        )
    card.measures = measures_for(card.effective)

    supervisor = is_supervisor(request.user)
    current_override = in_force_override(customer, today, overrides)
    if card.source == RUN and current_override is not None and current_override != card.override:
        card.pending_override = current_override
    latest_run = history[0].run if history else None
    return {
        "rating": card,
        "rating_form": form if form.is_bound else RateAsOfForm(),
        "rating_history": [HistoryRow(r, in_force_override(customer, r.run.as_of, overrides)) for r in history],
        "current_override": current_override,
        "can_override": supervisor,
        "override_form": OverrideForm() if supervisor else None,
        "override_applies": applies_to_runs_text(today, latest_run) if supervisor else "",
        "revoke_form": RevokeOverrideForm() if supervisor and current_override else None,
    }
