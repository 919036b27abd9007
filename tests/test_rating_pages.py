"""Run pages, level lists and the chart: counts per level and company, movers, scoping, personas.

Runs and results are created directly (the engine is tested on its own); starting a run from
the app goes through the engine with eager Celery.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from customers.models import AuditEntry
from ratings import summary
from ratings.charts import Column, level_distribution_svg
from ratings.models import LevelOverride, RatingResult, RatingRun
from tests import factories

SUCCEEDED = RatingRun.Status.SUCCEEDED


def make_run(as_of: dt.date, results: dict, status=SUCCEEDED, **kw) -> RatingRun:
    """A run with one result per customer: {customer: level} or {customer: (level, criteria)},
    and its persisted summary (counts; movers against the previous succeeded run), as a run leaves them."""
    run = RatingRun.objects.create(as_of=as_of, status=status, total=len(results), done=len(results), **kw)
    RatingResult.objects.bulk_create(
        RatingResult(
            run=run, customer=c, level=v if isinstance(v, str) else v[0], criteria="" if isinstance(v, str) else v[1]
        )
        for c, v in results.items()
    )
    summary.rebuild([run])
    return run


@pytest.fixture
def two_runs(db):
    """Four city and two county customers rated at two month ends; some move up, some down."""
    city = [factories.customer("city", account_no=f"C{i}") for i in range(4)]
    county = [factories.customer("county", account_no=f"X{i}") for i in range(2)]
    oct_run = make_run(
        dt.date(2026, 10, 31),
        {city[0]: "blue", city[1]: "blue", city[2]: "red", city[3]: "green", county[0]: "blue", county[1]: "yellow"},
    )
    nov_run = make_run(
        dt.date(2026, 11, 30),
        {
            city[0]: ("green", "G1;G2;G3;G4"),  # up
            city[1]: ("red", "R1"),  # down
            city[2]: ("yellow", "Y4"),  # up
            city[3]: ("green", "G1;G2;G3;G4"),  # same
            county[0]: ("red", "R3;R10"),  # down
            county[1]: ("blue", "B2;B3;B4"),  # up
        },
    )
    return {"city": city, "county": county, "oct": oct_run, "nov": nov_run}


def run_url(run) -> str:
    return reverse("ratings:run", args=[run.pk])


# --- the run page --------------------------------------------------------------------------


def test_run_page_counts_per_level_and_company_for_supervisor(login, supervisor, two_runs):
    response = login(supervisor).get(run_url(two_runs["nov"]))
    assert response.status_code == 200
    assert dict(response.context["level_counts"]) == {"green": 2, "blue": 1, "yellow": 1, "red": 2}
    assert response.context["total"] == 6
    rows = {r["name"]: r["counts"] for r in response.context["company_rows"]}
    assert rows == {"城市供水公司": [2, 0, 1, 1], "随县供水公司": [0, 1, 0, 1]}
    html = response.content.decode()
    assert "已完成" in html and "已评定 6 / 6 户" in html
    # the level counts link to the level lists of this run
    assert f"{reverse('ratings:level', args=['red'])}?run={two_runs['nov'].pk}" in html


def test_run_page_is_scoped_for_a_clerk(login, clerk_county, two_runs):
    response = login(clerk_county).get(run_url(two_runs["nov"]))
    assert dict(response.context["level_counts"]) == {"green": 0, "blue": 1, "yellow": 0, "red": 1}
    assert [r["name"] for r in response.context["company_rows"]] == ["随县供水公司"]
    html = response.content.decode()
    assert "城市供水公司" not in html
    for customer in two_runs["city"]:  # not "C0" in html: the CSRF token may hold any two characters
        assert customer.get_absolute_url() not in html and f">{customer.account_no}<" not in html


def test_movers_up_and_down_since_the_previous_run(login, supervisor, two_runs):
    client = login(supervisor)
    response = client.get(run_url(two_runs["nov"]))
    assert response.context["previous"] == two_runs["oct"]
    assert response.context["mover_counts"] == {"up": 3, "down": 2}
    up = [(r.customer.account_no, r.from_level, r.to_level) for r in response.context["mover_page"]]
    assert up == [("C0", "blue", "green"), ("C2", "red", "yellow"), ("X1", "yellow", "blue")]
    html = response.content.decode()
    assert reverse("customers:detail", args=["C0"]) in html
    down = client.get(run_url(two_runs["nov"]), {"move": "down"})
    assert [(r.customer.account_no, r.from_level, r.to_level) for r in down.context["mover_page"]] == [
        ("C1", "blue", "red"),
        ("X0", "blue", "red"),
    ]


def test_movers_open_on_the_tab_that_has_rows(login, supervisor):
    """Only customers that went down: the page opens on 等级下降, not on an empty 等级上升 tab."""
    worse = [factories.customer("city", account_no=f"W{i}") for i in range(2)]
    make_run(dt.date(2026, 10, 31), {c: "green" for c in worse})
    nov = make_run(dt.date(2026, 11, 30), {c: "yellow" for c in worse})
    response = login(supervisor).get(run_url(nov))
    assert response.context["mover_counts"] == {"up": 0, "down": 2}
    assert response.context["direction"] == "down"
    assert [r.customer.account_no for r in response.context["mover_page"]] == ["W0", "W1"]
    assert login(supervisor).get(run_url(nov), {"move": "up"}).context["direction"] == "up"  # asked for: kept


def test_movers_are_scoped_and_paginated(login, clerk_city, two_runs):
    extra = [factories.customer("city", account_no=f"P{i:03d}") for i in range(30)]
    RatingResult.objects.bulk_create(RatingResult(run=two_runs["oct"], customer=c, level="red") for c in extra)
    RatingResult.objects.bulk_create(RatingResult(run=two_runs["nov"], customer=c, level="blue") for c in extra)
    summary.rebuild([two_runs["oct"], two_runs["nov"]])
    client = login(clerk_city)
    response = client.get(run_url(two_runs["nov"]))
    assert response.context["mover_counts"] == {"up": 32, "down": 1}
    page1 = [r.customer.account_no for r in response.context["mover_page"]]
    assert len(page1) == 25 and "X1" not in page1
    page2 = client.get(run_url(two_runs["nov"]), {"move": "up", "page": 2})
    assert len(page2.context["mover_page"]) == 7
    assert "X1" not in [r.customer.account_no for r in page2.context["mover_page"]]


def test_movers_compare_with_the_previous_succeeded_run_only(login, supervisor, two_runs):
    """A failed run in between is skipped; the first run has nothing to compare with."""
    make_run(dt.date(2026, 11, 15), {c: "red" for c in two_runs["city"]}, status=RatingRun.Status.FAILED)
    client = login(supervisor)
    assert client.get(run_url(two_runs["nov"])).context["previous"] == two_runs["oct"]
    first = client.get(run_url(two_runs["oct"]))
    assert first.context["previous"] is None and first.context["mover_page"] is None
    assert "无更早的已完成批次可比较" in first.content.decode()


def test_failed_run_shows_its_error(login, clerk_city, db):
    run = make_run(dt.date(2026, 9, 30), {}, status=RatingRun.Status.FAILED, error="Traceback: division by zero")
    html = login(clerk_city).get(run_url(run)).content.decode()
    assert "失败" in html and "division by zero" in html


def test_running_run_polls_its_progress(login, clerk_city, db):
    run = RatingRun.objects.create(
        as_of=dt.date(2026, 11, 30),
        status=RatingRun.Status.RUNNING,
        total=1000,
        done=250,
        chunks_total=4,
        chunks_done=1,
    )
    client = login(clerk_city)
    html = client.get(run_url(run)).content.decode()
    assert "已评定 250 / 1,000 户" in html and 'data-width="25"' in html
    assert "批次完成后计算等级变动" in html  # movers come when it has finished
    assert reverse("ratings:run_progress", args=[run.pk]) in html and "js/run_progress." in html
    data = client.get(reverse("ratings:run_progress", args=[run.pk])).json()
    assert data == {
        "id": run.pk,
        "as_of": "2026-11-30",
        "status": "running",
        "status_label": "进行中",
        "active": True,
        "done": 250,
        "total": 1000,
        "chunks_done": 1,
        "chunks_total": 4,
        "percent": 25,
        "error": "",
    }


def test_finished_run_does_not_poll(login, clerk_city, two_runs):
    html = login(clerk_city).get(run_url(two_runs["nov"])).content.decode()
    assert "setTimeout(poll" not in html


def test_overrides_in_force_on_the_run_date_are_counted(login, supervisor, two_runs):
    c0 = two_runs["city"][0]
    LevelOverride.objects.create(
        customer=c0, level="yellow", reason="x", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    response = login(supervisor).get(run_url(two_runs["nov"]))
    assert response.context["overridden"] == 1
    assert "其中 1 户在基准日 2026-11-30 有生效的人工调整" in response.content.decode()


# --- the runs list and the chart -----------------------------------------------------------


def test_run_list_shows_each_run_with_scoped_counts(login, clerk_city, supervisor, two_runs):
    response = login(clerk_city).get(reverse("ratings:runs"))
    assert response.status_code == 200
    rows = {r["run"].as_of: (r["counts"], r["total"]) for r in response.context["rows"]}
    assert rows == {dt.date(2026, 11, 30): ([2, 0, 1, 1], 4), dt.date(2026, 10, 31): ([1, 2, 0, 1], 4)}
    html = response.content.decode()
    assert 'data-testid="start-run"' not in html  # clerks cannot start runs
    assert 'data-testid="level-chart"' in html
    supervisor_html = login(supervisor).get(reverse("ratings:runs")).content.decode()
    assert 'data-testid="start-run"' in supervisor_html


def test_chart_has_one_group_per_run_date_with_its_total(login, supervisor, two_runs):
    make_run(dt.date(2026, 12, 31), {c: "red" for c in two_runs["city"]}, status=RatingRun.Status.FAILED)
    html = login(supervisor).get(run_url(two_runs["nov"])).content.decode()
    groups = re.findall(r'<g class="run" data-as-of="([\d-]+)" data-total="(\d+)">', html)
    assert groups == [("2026-10-31", "6"), ("2026-11-30", "6")]  # the failed and later runs are not drawn
    # the November bar: green 2, blue 1, yellow 1, red 2
    nov = html.split('data-as-of="2026-11-30"')[1].split("</g>")[0]
    assert re.findall(r'data-level="(\w+)" data-count="(\d+)"', nov) == [
        ("green", "2"),
        ("blue", "1"),
        ("yellow", "1"),
        ("red", "2"),
    ]


def test_chart_for_a_clerk_counts_their_customers_only(login, clerk_county, two_runs):
    html = login(clerk_county).get(reverse("ratings:runs")).content.decode()
    assert re.findall(r'<g class="run" data-as-of="([\d-]+)" data-total="(\d+)">', html) == [
        ("2026-10-31", "2"),
        ("2026-11-30", "2"),
    ]


def test_chart_svg_unit():
    svg = level_distribution_svg(
        [Column(dt.date(2026, 11, 30), {"green": 3, "red": 1}), Column(dt.date(2026, 10, 31), {"blue": 5})]
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert re.findall(r'data-as-of="([\d-]+)" data-total="(\d+)"', svg) == [("2026-10-31", "5"), ("2026-11-30", "4")]
    assert "http://" not in svg.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert "暂无已完成的评级批次" in level_distribution_svg([])


# --- level lists ----------------------------------------------------------------------------


def test_level_list_uses_the_latest_run_and_effective_levels(login, supervisor, two_runs):
    c0, c3 = two_runs["city"][0], two_runs["city"][3]
    # c3 computed green, overridden red on the run date; c0 green, override expired before the date
    LevelOverride.objects.create(
        customer=c3, level="red", reason="x", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    LevelOverride.objects.create(
        customer=c0,
        level="red",
        reason="x",
        starts_on=dt.date(2026, 10, 1),
        ends_on=dt.date(2026, 11, 29),
        created_by=supervisor,
    )
    client = login(supervisor)
    red = client.get(reverse("ratings:level", args=["red"]))
    assert red.context["run"] == two_runs["nov"]
    rows = {r.customer.account_no: (r.level, r.overridden, r.codes) for r in red.context["page"]}
    assert rows == {
        "C1": ("red", False, ("R1",)),
        "C3": ("green", True, ("G1", "G2", "G3", "G4")),
        "X0": ("red", False, ("R3", "R10")),
    }
    green = client.get(reverse("ratings:level", args=["green"]))
    assert [r.customer.account_no for r in green.context["page"]] == ["C0"]
    html = red.content.decode()
    assert "人工调整" in html and "从严审核" in html and "依法依规实施联合惩戒" in html  # the red measures


def test_level_list_of_an_older_run_and_scoped(login, clerk_city, two_runs):
    response = login(clerk_city).get(reverse("ratings:level", args=["blue"]), {"run": two_runs["oct"].pk})
    assert [r.customer.account_no for r in response.context["page"]] == ["C0", "C1"]  # X0 is the county's


def test_level_list_bad_level_or_run_is_404(login, clerk_city, two_runs):
    client = login(clerk_city)
    assert client.get(reverse("ratings:level", args=["purple"])).status_code == 404
    assert client.get(reverse("ratings:level", args=["red"]), {"run": "x"}).status_code == 404
    assert client.get(reverse("ratings:level", args=["red"]), {"run": 99999}).status_code == 404


def test_level_list_without_runs(login, clerk_city):
    response = login(clerk_city).get(reverse("ratings:level", args=["green"]))
    assert response.status_code == 200 and "尚无已完成的评级批次" in response.content.decode()
    assert "业务办理绿色通道" in response.content.decode()


# --- starting a run -----------------------------------------------------------------------


def test_clerk_cannot_start_a_run(login, clerk_city, city_customer):
    response = login(clerk_city).post(reverse("ratings:run_start"), {"as_of": "2026-10-31"})
    assert response.status_code == 403
    assert not RatingRun.objects.exists()


def test_start_run_rejects_a_bad_or_future_date(login, supervisor):
    client = login(supervisor)
    for value in ("", "2026-13-01", "2999-01-01"):
        response = client.post(reverse("ratings:run_start"), {"as_of": value}, follow=True)
        assert response.status_code == 200
        assert "无法发起评级" in response.content.decode()
    assert not RatingRun.objects.exists()


def test_start_run_get_is_not_allowed(login, supervisor):
    assert login(supervisor).get(reverse("ratings:run_start")).status_code == 405


def test_supervisor_starts_a_run_and_it_completes(login, supervisor, django_capture_on_commit_callbacks, eager_celery):
    green = factories.customer("city", account_no="G1", payment_mode="prepaid")
    factories.bill(green, "2026-09", due_on=dt.date(2026, 9, 25), paid_on=dt.date(2026, 9, 20))
    red = factories.customer("county", account_no="R1", payment_mode="postpaid")
    factories.bill(red, "2026-03", due_on=dt.date(2026, 3, 31))  # unpaid seven months by 2026-10-31
    client = login(supervisor)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("ratings:run_start"), {"as_of": "2026-10-31"})
    run = RatingRun.objects.get(as_of=dt.date(2026, 10, 31))
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert run.trigger == "manual" and run.started_by == supervisor
    page = client.get(run_url(run))
    html = page.content.decode()
    assert "已完成" in html and "已评定 2 / 2 户" in html
    assert dict(page.context["level_counts"]) == {"green": 1, "blue": 0, "yellow": 0, "red": 1}
    # queued after the view's transaction commits: the message says so, the page shows the outcome
    assert [str(m) for m in page.context["messages"]] == ["已发起 2026-10-31 的评级，正在后台执行。"]


def test_starting_a_run_while_one_is_going_says_so(login, supervisor, db):
    from django.utils import timezone

    run = RatingRun.objects.create(
        as_of=dt.date(2026, 10, 31), status=RatingRun.Status.RUNNING, attempt=1, started_at=timezone.now()
    )
    response = login(supervisor).post(reverse("ratings:run_start"), {"as_of": "2026-10-31"}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == run_url(run)
    assert "正在进行" in response.content.decode()
    run.refresh_from_db()
    assert run.attempt == 1


# --- every rating URL as every persona ------------------------------------------------------

PERSONAS = ["anonymous", "clerk_city", "clerk_county", "supervisor"]


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize(
    "name, method, expect",
    [
        ("runs", "get", {"clerk_city": 200, "clerk_county": 200, "supervisor": 200}),
        ("run", "get", {"clerk_city": 200, "clerk_county": 200, "supervisor": 200}),
        ("run_progress", "get", {"clerk_city": 200, "clerk_county": 200, "supervisor": 200}),
        ("level", "get", {"clerk_city": 200, "clerk_county": 200, "supervisor": 200}),
        ("run_start", "post", {"clerk_city": 403, "clerk_county": 403, "supervisor": 302}),
        ("override_set", "get", {"clerk_city": 403, "clerk_county": 404, "supervisor": 200}),
        ("override_set", "post", {"clerk_city": 403, "clerk_county": 404, "supervisor": 302}),
        ("override_revoke", "get", {"clerk_city": 403, "clerk_county": 404, "supervisor": 200}),
        ("override_revoke", "post", {"clerk_city": 403, "clerk_county": 404, "supervisor": 302}),
    ],
)
def test_every_rating_url_as_every_persona(request, client, persona, name, method, expect, city_customer, supervisor):
    run = make_run(dt.date(2026, 10, 31), {city_customer: "blue"})
    override = LevelOverride.objects.create(
        customer=city_customer, level="red", reason="x", starts_on=dt.date(2020, 1, 1), created_by=supervisor
    )
    args = {
        "runs": [],
        "run": [run.pk],
        "run_progress": [run.pk],
        "level": ["blue"],
        "run_start": [],
        "override_set": [city_customer.account_no],
        "override_revoke": [city_customer.account_no, override.pk],
    }[name]
    data = {
        "run_start": {"as_of": "2999-01-01"},  # refused by the form: nothing written even for a supervisor
        "override_set": {"level": "green", "reason": "核查无误"},
        "override_revoke": {"revoke-reason": "已整改"},
    }.get(name, {})
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    before = (LevelOverride.objects.count(), AuditEntry.objects.count(), RatingRun.objects.count())
    url = reverse(f"ratings:{name}", args=args)
    response = client.get(url) if method == "get" else client.post(url, data)
    if persona == "anonymous":
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    else:
        assert response.status_code == expect[persona], response.content[:300]
    after = (LevelOverride.objects.count(), AuditEntry.objects.count(), RatingRun.objects.count())
    wrote = name.startswith("override") and method == "post" and persona == "supervisor"
    assert (after != before) == wrote
    if name == "level" and persona == "clerk_county":
        assert len(response.context["page"]) == 0
