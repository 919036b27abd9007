"""A run's persisted summary: counts per company and level and the movers are stored when the run
finishes, the run pages read them (not the results), and they stay right across reruns,
runs added out of order, failed reruns and killed runs."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Event
from ratings import runs
from ratings.models import RatingResult, RatingRun, RunLevelCount, RunMove
from tests import factories

OCT, NOV = dt.date(2026, 10, 31), dt.date(2026, 11, 30)
pytestmark = pytest.mark.django_db


@pytest.fixture
def people(settings):
    """Three city and two county customers (all postpaid: blue when clean); runs take chunks of two."""
    settings.RATING_CHUNK_SIZE = 2
    city = [factories.customer("city", account_no=f"C{i}", payment_mode="postpaid") for i in range(3)]
    county = [factories.customer("county", account_no=f"X{i}", payment_mode="postpaid") for i in range(2)]
    return {"city": city, "county": county}


def rate(day: dt.date, *extra) -> RatingRun:
    call_command("run_rating", "--as-of", day.isoformat(), *extra, stdout=io.StringIO())
    return RatingRun.objects.get(as_of=day)


def stored_counts(run) -> dict:
    return {
        (company, level): n
        for company, level, n in RunLevelCount.objects.filter(run=run, n__gt=0).values_list(
            "company__code", "level", "n"
        )
    }


def stored_moves(run) -> set:
    return set(
        RunMove.objects.filter(run=run).values_list("customer__account_no", "from_level", "to_level", "direction")
    )


def disrupt(customer, day=dt.date(2026, 10, 15)):
    """An order disruption within the year: red (R-criterion) as of any later month end."""
    return factories.event(customer, "order_disruption", occurred_on=day)


def test_a_run_stores_counts_per_company_and_level_from_its_chunks(people):
    disrupt(people["city"][0])
    run = rate(OCT)
    assert run.chunks_total == 3
    assert stored_counts(run) == {("city", "red"): 1, ("city", "blue"): 2, ("county", "blue"): 2}
    assert run.moves_from is None and not RunMove.objects.filter(run=run).exists()


def test_movers_against_the_previous_run_are_stored_when_the_run_finishes(people):
    disrupt(people["city"][0])  # red in October and November
    rate(OCT)
    disrupt(people["county"][1], dt.date(2026, 11, 2))  # blue -> red
    nov = rate(NOV)
    assert nov.moves_from.as_of == OCT
    assert stored_moves(nov) == {("X1", "blue", "red", "down")}


def test_the_run_page_reads_the_summary_not_the_results(people, login, supervisor):
    disrupt(people["county"][1], dt.date(2026, 11, 2))
    rate(OCT)
    nov = rate(NOV)
    # what the pages show was stored when the run finished: drop the result rows behind the pages' back
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {RatingResult._meta.db_table}")
    client = login(supervisor)
    page = client.get(reverse("ratings:run", args=[nov.pk]), {"move": "down"})
    assert dict(page.context["level_counts"]) == {"green": 0, "blue": 4, "yellow": 0, "red": 1}
    assert page.context["mover_counts"] == {"up": 0, "down": 1}
    assert [m.customer.account_no for m in page.context["mover_page"]] == ["X1"]
    listing = client.get(reverse("ratings:runs"))
    assert {r["run"].as_of: r["total"] for r in listing.context["rows"]} == {OCT: 5, NOV: 5}


def test_run_page_query_count_does_not_grow_with_movers_or_runs(people, login, supervisor):
    rate(OCT)
    for c in people["city"][:1]:
        disrupt(c, dt.date(2026, 11, 2))
    nov = rate(NOV)
    client = login(supervisor)
    url = reverse("ratings:run", args=[nov.pk])
    client.get(url)  # session, user and other one-off lookups
    with CaptureQueriesContext(connection) as few:
        assert len(client.get(url, {"move": "down"}).context["mover_page"]) == 1
    # more customers moving, more runs in the chart
    more = [factories.customer("city", payment_mode="postpaid") for _ in range(6)]
    rate(OCT)
    for c in [*people["city"], *people["county"], *more]:
        disrupt(c, dt.date(2026, 11, 2))
    rate(dt.date(2026, 9, 30))
    nov = rate(NOV)
    assert RunMove.objects.filter(run=nov).count() == 11
    with CaptureQueriesContext(connection) as many:
        page = client.get(url, {"move": "down"})
    assert len(page.context["mover_page"]) == 11
    assert len(many) == len(few)


def test_rerun_replaces_the_counts_and_movers(people):
    rate(OCT)
    nov = rate(NOV)
    assert stored_moves(nov) == set()
    disrupt(people["city"][2], dt.date(2026, 11, 3))
    nov = rate(NOV)
    assert nov.attempt == 2
    assert stored_counts(nov) == {("city", "blue"): 2, ("city", "red"): 1, ("county", "blue"): 2}
    assert stored_moves(nov) == {("C2", "blue", "red", "down")}


def test_rerunning_the_previous_run_recomputes_the_next_runs_movers(people):
    oct_event = disrupt(people["city"][0])
    rate(OCT)
    nov = rate(NOV)  # red in both: no move
    assert stored_moves(nov) == set()
    Event.objects.filter(pk=oct_event.pk).update(voided_at=timezone.now())  # voided: counts on no date …
    disrupt(people["city"][0], dt.date(2026, 11, 5))  # … but November's order disruption stands
    rate(OCT)  # October is rerun: C0 blue there now
    assert stored_moves(RatingRun.objects.get(as_of=NOV)) == {("C0", "blue", "red", "down")}


def test_a_run_added_for_an_earlier_date_becomes_the_next_runs_comparison(people):
    disrupt(people["city"][1], dt.date(2026, 10, 20))
    rate(dt.date(2026, 9, 30))
    nov = rate(NOV)
    assert nov.moves_from.as_of == dt.date(2026, 9, 30)
    assert stored_moves(nov) == {("C1", "blue", "red", "down")}
    rate(OCT)  # between the two: November now compares with October, where C1 is already red
    nov.refresh_from_db()
    assert nov.moves_from.as_of == OCT
    assert stored_moves(nov) == set()
    assert stored_moves(RatingRun.objects.get(as_of=OCT)) == {("C1", "blue", "red", "down")}


def test_a_failed_rerun_leaves_the_next_run_compared_with_the_run_before(people, monkeypatch):
    disrupt(people["county"][0], dt.date(2026, 10, 20))
    rate(dt.date(2026, 9, 30))
    rate(OCT)
    nov = rate(NOV)
    assert nov.moves_from.as_of == OCT and stored_moves(nov) == set()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(runs, "rated_rows", broken)
    with pytest.raises(Exception, match="database went away"):
        rate(OCT)
    assert RatingRun.objects.get(as_of=OCT).status == "failed"
    nov.refresh_from_db()
    assert nov.moves_from.as_of == dt.date(2026, 9, 30)
    assert stored_moves(nov) == {("X0", "blue", "red", "down")}


def test_a_killed_run_run_again_counts_every_customer_once(people):
    run = runs.claim_run(NOV, RatingRun.Trigger.SCHEDULE)
    ranges = runs.plan_run(run, run.attempt)
    runs.rate_chunk(run.pk, run.attempt, *ranges[0])  # then the worker died
    assert sum(stored_counts(run).values()) == 2
    done = rate(NOV, "--restart")
    assert done.status == "succeeded"
    assert stored_counts(done) == {("city", "blue"): 3, ("county", "blue"): 2}


def test_a_superseded_chunk_adds_no_counts(people):
    old = runs.claim_run(NOV, RatingRun.Trigger.SCHEDULE)
    ranges = runs.plan_run(old, old.attempt)
    runs.claim_run(NOV, RatingRun.Trigger.COMMAND, restart=True)
    with pytest.raises(runs.Superseded):
        runs.rate_chunk(old.pk, old.attempt, *ranges[0])
    assert stored_counts(old) == {}


def test_run_list_query_count_does_not_grow_with_runs(people, login, clerk_city):
    rate(OCT)
    client = login(clerk_city)
    url = reverse("ratings:runs")
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(url).context["rows"]) == 1
    rate(dt.date(2026, 9, 30))
    rate(NOV)
    with CaptureQueriesContext(connection) as three:
        page = client.get(url)
    assert [r["total"] for r in page.context["rows"]] == [3, 3, 3]  # the clerk's city customers only
    assert len(three) == len(one)
