"""One effective level everywhere (issue 10, items 2 and 3).

The rule (`ratings.overrides`): a run's effective level for a customer is the level of the
override in force on the run's as-of date (the newest by starts_on, created_at, id), else the
stored result. The level lists, their counts, the run pages' counts and the credit file all
follow it; an override set today covers runs as of today or later only. The rating card shows
the stored result, and the reading of the current records apart.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from ratings import summary
from ratings.models import LevelOverride, RatingResult, RatingRun
from ratings.overrides import overrides_on, set_override
from tests import factories

RUN_DAY = dt.date(2026, 11, 30)


def at(day: dt.date):
    return time_machine.travel(dt.datetime(day.year, day.month, day.day, 10, 0, tzinfo=dt.UTC), tick=False)


def make_run(as_of: dt.date, results: dict) -> RatingRun:
    run = RatingRun.objects.create(
        as_of=as_of, status=RatingRun.Status.SUCCEEDED, total=len(results), done=len(results)
    )
    RatingResult.objects.bulk_create(
        RatingResult(run=run, customer=c, level=level, criteria=criteria) for c, (level, criteria) in results.items()
    )
    summary.rebuild([run])
    return run


@pytest.fixture
def rated(db):
    """Three city customers and one county customer rated at the end of November."""
    city = [factories.customer("city", account_no=f"E{i}") for i in range(3)]
    county = factories.customer("county", account_no="EX0")
    run = make_run(
        RUN_DAY,
        {
            city[0]: ("yellow", "Y2"),
            city[1]: ("yellow", "Y4"),
            city[2]: ("green", "G1;G2;G3;G4"),
            county: ("yellow", "Y2"),
        },
    )
    return {"city": city, "county": county, "run": run}


def accounts(client, level: str, run: RatingRun) -> tuple[list[str], int]:
    response = client.get(reverse("ratings:level", args=[level]), {"run": run.pk})
    page = response.context["page"]
    return [r.customer.account_no for r in page], page.paginator.count


def run_counts(client, run: RatingRun) -> dict[str, int]:
    return dict(client.get(reverse("ratings:run", args=[run.pk])).context["level_counts"])


def test_override_to_green_on_the_run_date_moves_the_customer_in_lists_counts_and_file(login, supervisor, rated):
    run, e0 = rated["run"], rated["city"][0]
    client = login(supervisor)
    with at(RUN_DAY):  # today is the run's date: an override set today covers this run
        set_override(e0, "green", "经核实已整改", None, supervisor)
        green, green_n = accounts(client, "green", run)
        yellow, yellow_n = accounts(client, "yellow", run)
        assert (green, green_n) == (["E0", "E2"], 2)
        assert (yellow, yellow_n) == (["E1", "EX0"], 2)
        assert run_counts(client, run) == {"green": 2, "blue": 0, "yellow": 2, "red": 0}
        detail = client.get(reverse("ratings:run", args=[run.pk]))
        assert dict(detail.context["computed_counts"]) == {"green": 1, "blue": 0, "yellow": 3, "red": 0}
        assert "其中 1 户在基准日 2026-11-30 有生效的人工调整（1 户因此改变等级）" in detail.content.decode()
        rows = {r["run"].pk: r["counts"] for r in client.get(reverse("ratings:runs")).context["rows"]}
        assert rows[run.pk] == [2, 0, 2, 0]
        rating = client.get(reverse("customers:detail", args=["E0"])).context["rating"]
        assert (rating.source, rating.as_of, rating.computed, rating.effective) == ("run", RUN_DAY, "yellow", "green")
        assert [m.text for m in rating.measures][0] == "业务办理绿色通道"
    assert overrides_on(RUN_DAY) == {e0.pk: "green"}


def test_a_clerk_counts_and_lists_only_their_companies_overrides(login, supervisor, clerk_city, rated):
    run = rated["run"]
    with at(RUN_DAY):
        set_override(rated["county"], "red", "拒不整改", None, supervisor)
        client = login(clerk_city)
        assert accounts(client, "red", run) == ([], 0)
        assert accounts(client, "yellow", run) == (["E0", "E1"], 2)
        assert run_counts(client, run) == {"green": 1, "blue": 0, "yellow": 2, "red": 0}


def test_override_set_after_the_run_date_leaves_that_run_alone_and_the_form_says_so(login, supervisor, rated):
    run, e0 = rated["run"], rated["city"][0]
    client = login(supervisor)
    with at(dt.date(2026, 12, 3)):
        form = client.get(reverse("ratings:override_set", args=["E0"])).content.decode()
        assert "自 2026-12-03 起生效，适用于评定基准日为 2026-12-03 及以后的评级批次" in form
        assert "已完成的批次（最近一次基准日 2026-11-30）不受影响" in form
        set_override(e0, "green", "经核实已整改", None, supervisor)
        assert accounts(client, "green", run) == (["E2"], 1)
        assert accounts(client, "yellow", run) == (["E0", "E1", "EX0"], 3)
        assert run_counts(client, run) == {"green": 1, "blue": 0, "yellow": 3, "red": 0}
        response = client.get(reverse("customers:detail", args=["E0"]))
        rating = response.context["rating"]
        assert (rating.computed, rating.effective, rating.override) == ("yellow", "yellow", None)
        assert rating.pending_override.level == "green"
        html = response.content.decode()
        assert "已调整为绿色，自 2026-12-03 起生效" in html and "本批次（基准日 2026-11-30）不受影响" in html
        assert "override-applies" in html  # the card's form says it too


def test_the_newest_override_in_force_decides_everywhere(login, supervisor, rated):
    run, e1 = rated["run"], rated["city"][1]
    kw = dict(customer=e1, reason="x", created_by=supervisor)
    LevelOverride.objects.create(level="red", starts_on=dt.date(2026, 11, 1), **kw)
    LevelOverride.objects.create(level="blue", starts_on=dt.date(2026, 11, 15), **kw)  # newer start
    client = login(supervisor)
    with at(dt.date(2026, 12, 3)):
        assert accounts(client, "blue", run) == (["E1"], 1)
        assert accounts(client, "red", run) == ([], 0)
        assert accounts(client, "yellow", run) == (["E0", "EX0"], 2)
        assert run_counts(client, run) == {"green": 1, "blue": 1, "yellow": 2, "red": 0}
        assert client.get(reverse("customers:detail", args=["E1"])).context["rating"].effective == "blue"
    assert overrides_on(RUN_DAY) == {e1.pk: "blue"}


def test_level_list_and_run_page_queries_do_not_grow_with_overrides(
    login, supervisor, rated, django_assert_max_num_queries
):
    run = rated["run"]
    client = login(supervisor)
    with at(RUN_DAY):
        client.get(reverse("ratings:level", args=["green"]), {"run": run.pk})
        client.get(reverse("ratings:run", args=[run.pk]))
        for c in [*rated["city"], rated["county"]]:
            set_override(c, "blue", "x", None, supervisor)
        with django_assert_max_num_queries(12):  # two read the overrides and their results, one the company buttons
            assert accounts(client, "blue", run)[1] == 4
        with django_assert_max_num_queries(16):
            assert run_counts(client, run)["blue"] == 4


# --- the card: the stored result, and the current records' reading apart -------------------------


def test_card_after_new_events_shows_the_stored_yellow_and_apart_the_live_red(login, supervisor):
    customer = factories.customer("city", account_no="Y0001")
    factories.event(customer, "water_theft", amount="9999.99", occurred_on=dt.date(2026, 3, 1))
    make_run(RUN_DAY, {customer: ("yellow", "Y2")})
    factories.event(customer, "water_theft", amount="12000.50", occurred_on=dt.date(2026, 11, 2))  # after the run
    with at(dt.date(2026, 12, 3)):
        response = login(supervisor).get(reverse("customers:detail", args=["Y0001"]))
    rating = response.context["rating"]
    assert (rating.computed, rating.effective, rating.criteria) == ("yellow", "yellow", ("Y2",))
    assert [h.code for h in rating.hits] == ["Y2"]
    assert rating.live.level == "red" and "R3" in rating.live.criteria
    html = response.content.decode()
    card = html[html.index('data-testid="rating-card"') : html.index('data-testid="live-reading"')]
    live = html[html.index('data-testid="live-reading"') : html.index('data-testid="override-actions"')]
    # the stored part: yellow badge, its criterion, yellow measures, nothing red
    assert 'data-testid="effective-level"><span class="badge text-bg-warning' in card
    assert 'data-code="Y2"' in card and 'data-code="R3"' not in card
    assert "监管措施（黄色）" in card and "从严审核" not in card
    # the live part, apart: red, R3 with its record, not in force until the next run
    assert "按当前记录评定（基准日 2026-11-30）" in live and 'data-level="red"' in live
    assert 'data-code="R3"' in live and "12,000.50" in live
    assert "尚未生效" in live and "下次评级批次" in live


def test_card_without_changes_has_no_live_reading(login, supervisor):
    customer = factories.customer("city", account_no="Y0002")
    factories.event(customer, "water_theft", amount="9999.99", occurred_on=dt.date(2026, 3, 1))
    make_run(RUN_DAY, {customer: ("yellow", "Y2")})
    with at(dt.date(2026, 12, 3)):
        response = login(supervisor).get(reverse("customers:detail", args=["Y0002"]))
    assert response.context["rating"].live is None
    assert 'data-testid="live-reading"' not in response.content.decode()
    assert response.context["rating"].hits[0].records  # the records behind Y2 are listed


def test_card_query_count_is_fixed_with_a_live_reading_and_overrides(login, supervisor):
    """The same queries with or without a live reading and overrides (the file's total is test_pages_detail's)."""
    customer = factories.customer("city", account_no="Y0003")
    factories.event(customer, "water_theft", amount="9999.99", occurred_on=dt.date(2026, 3, 1))
    make_run(RUN_DAY, {customer: ("yellow", "Y2")})
    client = login(supervisor)
    url = reverse("customers:detail", args=["Y0003"])
    with at(dt.date(2026, 12, 3)):
        client.get(url)
        with CaptureQueriesContext(connection) as before:
            client.get(url)
        factories.event(customer, "water_theft", amount="12000.50", occurred_on=dt.date(2026, 11, 2))
        set_override(customer, "blue", "x", None, supervisor)
        LevelOverride.objects.create(
            customer=customer,
            level="green",
            reason="y",
            starts_on=dt.date(2026, 11, 1),
            ends_on=RUN_DAY,
            created_by=supervisor,
        )
        with CaptureQueriesContext(connection) as after:
            response = client.get(url)
    # no more queries (the notice card skips one when the level is not yellow)
    assert len(after) <= len(before)
    rating = response.context["rating"]
    assert rating.live.level == "red" and rating.effective == "green" and rating.pending_override.level == "blue"
