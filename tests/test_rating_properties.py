"""Property tests (hypothesis): monotonicity of the rules through the database, and runs equal explanations."""

import datetime

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from customers.models import EventType
from ratings import runs
from ratings.explain import explain_customer
from ratings.models import LEVEL_ORDER, RatingResult, RatingRun
from tests import factories

D = datetime.date(2026, 11, 30)
START = datetime.date(2022, 1, 1)
pytestmark = pytest.mark.django_db
PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)

days = st.integers(min_value=0, max_value=(D - START).days + 60).map(lambda n: START + datetime.timedelta(days=n))
event_st = st.fixed_dictionaries(
    {
        "type": st.sampled_from([t.value for t in EventType]),
        "occurred_on": days,
        "amount": st.sampled_from(["9999.99", "10000.00", "50.00"]),
        "pipe_diameter_mm": st.sampled_from([100, 160, 161]),
        "force_majeure": st.booleans(),
        "severity": st.sampled_from(["minor", "serious"]),
        "voided": st.booleans(),
    }
)
bill_st = st.tuples(days, st.one_of(st.none(), st.integers(min_value=-10, max_value=200)))
customer_st = st.fixed_dictionaries(
    {
        "prepaid": st.booleans(),
        "bills": st.lists(bill_st, max_size=6),
        "events": st.lists(event_st, max_size=5),
    }
)


def make_event(customer, spec: dict):
    t = spec["type"]
    kw = {"occurred_on": spec["occurred_on"]}
    if t == EventType.WATER_THEFT:
        kw["amount"] = spec["amount"]
    if t == EventType.PIPE_OUTAGE:
        kw.update(pipe_diameter_mm=spec["pipe_diameter_mm"], force_majeure=spec["force_majeure"])
    if t == EventType.FACILITY_DAMAGE:
        kw["severity"] = spec["severity"]
    if spec.get("voided"):
        kw["voided_at"] = timezone.now()
    return factories.event(customer, t, **kw)


def make_customer(spec: dict):
    c = factories.customer(payment_mode="prepaid" if spec["prepaid"] else "postpaid", opened_on=START)
    for i, (due, paid_after) in enumerate(spec["bills"]):
        paid = None if paid_after is None else due + datetime.timedelta(days=paid_after)
        factories.bill(c, f"{2000 + i}-01", due_on=due, paid_on=paid)
    for e in spec["events"]:
        make_event(c, e)
    return c


def rank(customer, day=D) -> int:
    return LEVEL_ORDER.index(explain_customer(customer, day).level)


@PROPERTY
@given(customer_st, event_st)
def test_adding_a_counting_event_never_improves_the_level(spec, extra):
    c = make_customer(spec)
    before = rank(c)
    make_event(c, {**extra, "voided": False, "force_majeure": False, "occurred_on": min(extra["occurred_on"], D)})
    assert rank(c) >= before


@PROPERTY
@given(customer_st, st.integers(min_value=0, max_value=4))
def test_voiding_an_event_never_worsens_the_level(spec, which):
    c = make_customer(spec)
    events = list(c.events.filter(voided_at__isnull=True).order_by("id"))
    if not events:
        return
    before = rank(c)
    event = events[which % len(events)]
    event.voided_at = timezone.now()
    event.save()
    assert rank(c) <= before


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(st.lists(customer_st, min_size=1, max_size=6), st.sampled_from(["2025-02-28", "2026-11-30", "2028-02-29"]))
def test_a_run_stores_what_explain_customer_says(django_settings_override, specs, as_of):
    day = datetime.date.fromisoformat(as_of)
    customers = [make_customer(spec) for spec in specs]
    run = runs.run_rating(day)
    stored = {r.customer_id: (r.level, r.criteria) for r in RatingResult.objects.filter(run=run)}
    for c in customers:
        e = explain_customer(c, day)
        assert stored.get(c.pk) == ((e.level, ";".join(e.criteria)) if e.rated else None)
    RatingRun.objects.filter(pk=run.pk).delete()


@pytest.fixture
def django_settings_override(settings):
    settings.RATING_CHUNK_SIZE = 2
    return settings


@PROPERTY
@given(customer_st, st.sampled_from(["2026-11-30", "2028-02-29", "2024-06-30"]))
def test_evidence_lists_exactly_the_records_the_facts_count(spec, as_of):
    """The per-customer evidence listing (Python) and the facts query (SQL) define the same records."""
    from ratings.explain import evidence
    from ratings.facts import EVENT_FACTS, facts_for

    day = datetime.date.fromisoformat(as_of)
    c = make_customer(spec)
    facts = facts_for(c.pk, day)
    if facts is None:
        return
    records = evidence(c, day)
    assert bool(records["overdue"]) == (facts.oldest_overdue_due_on is not None)
    assert len(records["late_1y"]) == facts.late_payments_1y
    for fact in EVENT_FACTS:
        assert len(records[fact.column]) == getattr(facts, fact.column), fact.column
