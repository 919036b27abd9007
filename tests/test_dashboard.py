"""The staff dashboard (工作台): each persona's numbers for their own companies, links, landing page, queries."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pledges import services as pledge_services
from pledges.demo import tiny_scan_pdf
from ratings.models import LevelOverride, RatingRun, RunLevelCount
from repair import services
from repair.models import RepairRequest
from reporting import dashboard
from tests import factories
from tests.pledge_support import at
from tests.repair_support import lodge

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("reporting:dashboard")


def sign_pledge(customer, user):
    with at(dt.date(2026, 3, 2)):  # generated and printed on the day it is signed
        pledge = pledge_services.prepare_pledge(customer, user=user)
        pledge_services.mark_printed([pledge])
    pledge_services.sign_pledge(
        pledge, signed_on=dt.date(2026, 3, 2), received_by=user, scan=ContentFile(tiny_scan_pdf(), "s.pdf"), user=user
    )


def make_run(as_of, counts, status=RatingRun.Status.SUCCEEDED) -> RatingRun:
    """A run with its stored counts {(company code, level): n}, as a finished run leaves them."""
    run = RatingRun.objects.create(as_of=as_of, status=status)
    RunLevelCount.objects.bulk_create(
        RunLevelCount(run=run, company=factories.company(code), level=level, n=n) for (code, level), n in counts.items()
    )
    return run


@pytest.fixture
def work(clerk_city, clerk_county, supervisor):
    """City: a submitted repair, an overdue submitted repair, an accepted objection, a rejected repair
    (queued for the platform batch), 1 of 3 rateable customers signed. County: a submitted objection,
    0 of 1 signed. Runs: an older and the latest succeeded one."""
    today = timezone.localdate()
    city = [factories.customer("city") for _ in range(3)]
    county = factories.customer("county")
    lodge(city[0], clerk_city, events=[factories.event(city[0])])
    late = lodge(city[1], clerk_city, events=[factories.event(city[1])])
    RepairRequest.objects.filter(pk=late.pk).update(accept_by=today - dt.timedelta(days=2))
    objection = lodge(city[2], clerk_city, kind="objection", events=[factories.event(city[2])])
    services.accept(objection.pk, user=supervisor)
    rejected = lodge(city[0], clerk_city, events=[factories.event(city[0])])
    services.accept(rejected.pk, user=supervisor)
    services.reject(rejected.pk, user=supervisor, reason="整改未完成")
    lodge(county, clerk_county, kind="objection", events=[factories.event(county)])
    sign_pledge(city[0], clerk_city)
    make_run(dt.date(2026, 9, 30), {("city", "green"): 99, ("county", "green"): 99})
    latest = make_run(
        dt.date(2026, 10, 31),
        {("city", "green"): 2, ("city", "red"): 1, ("county", "blue"): 1},
    )
    return {"latest": latest}


def boards(response) -> dict:
    """company code -> its figures as shown: requests per kind, coverage, levels, queued."""
    out = {}
    for b in response.context["board"].companies:
        out[b.company.code] = {
            "requests": {k.kind: (k.submitted, k.accepted, k.overdue) for k in b.requests},
            "coverage": (b.coverage["signed"], b.coverage["rateable"]),
            "levels": dict(b.levels),
            "queued": b.queued,
        }
    return out


def section(html: str, code: str) -> str:
    match = re.search(rf'<section[^>]*data-company="{code}".*?</section>', html, re.DOTALL)
    return match.group(0) if match else ""


def test_supervisor_sees_both_companies_numbers(login, supervisor, work):
    response = login(supervisor).get(DASHBOARD)
    assert response.status_code == 200
    shown = boards(response)
    assert list(shown) == ["city", "county"]
    city, county = shown["city"], shown["county"]
    # (待受理, 待决定, 超期)
    assert city["requests"] == {"repair": (2, 0, 1), "objection": (0, 1, 0)}
    assert county["requests"] == {"repair": (0, 0, 0), "objection": (1, 0, 0)}
    assert city["coverage"] == (1, 3) and county["coverage"] == (0, 1)
    assert city["levels"] == {"green": 2, "blue": 0, "yellow": 0, "red": 1}  # the latest run, not the older one
    assert county["levels"] == {"green": 0, "blue": 1, "yellow": 0, "red": 0}
    assert city["queued"] == 1 and county["queued"] == 0
    html = response.content.decode()
    city_html = section(html, "city")
    assert 'data-testid="overdue-link"' in city_html and "超期" in city_html
    assert "2026-10-31" in html and "已完成" in html


def test_clerk_sees_only_their_company(login, clerk_city, clerk_county, work):
    response = login(clerk_city).get(DASHBOARD)
    shown = boards(response)
    assert list(shown) == ["city"]
    assert shown["city"]["requests"] == {"repair": (2, 0, 1), "objection": (0, 1, 0)}
    html = response.content.decode()
    assert "随县" not in section(html, "city") and section(html, "county") == ""
    assert shown["city"]["levels"]["blue"] == 0 and shown["city"]["queued"] == 1

    county = boards(login(clerk_county).get(DASHBOARD))
    assert list(county) == ["county"]
    assert county["county"]["requests"] == {"repair": (0, 0, 0), "objection": (1, 0, 0)}
    assert county["county"]["coverage"] == (0, 1) and county["county"]["queued"] == 0


def test_links_lead_to_the_filtered_pages(login, clerk_city, work):
    client = login(clerk_city)
    html = client.get(DASHBOARD).content.decode()
    city = factories.company("city")
    overdue = re.search(r'href="([^"]+)" data-testid="overdue-link"', html).group(1).replace("&amp;", "&")
    assert overdue == f"{reverse('repair:queue')}?company={city.pk}&kind=repair&state=overdue"
    rows = client.get(overdue).context["rows"]
    assert len(rows) == 1 and rows[0]["overdue"]
    queue_links = [h.replace("&amp;", "&") for h in re.findall(r'href="([^"]+)" data-testid="queue-link"', html)]
    objections = client.get(queue_links[1]).context["rows"]
    assert [r["req"].kind for r in objections] == ["objection"]
    coverage = re.search(r'href="([^"]+)" data-testid="coverage-link"', html).group(1)
    response = client.get(coverage)
    assert response.status_code == 200 and response.context["selected"] == city
    run = re.search(r'href="([^"]+)" data-testid="run-link"', html).group(1)
    assert run == reverse("ratings:run", args=[work["latest"].pk]) and client.get(run).status_code == 200


def test_a_newer_unfinished_run_is_named_and_the_last_finished_counts_are_shown(login, supervisor, work):
    running = make_run(dt.date(2026, 11, 30), {("city", "red"): 5}, status=RatingRun.Status.RUNNING)
    response = login(supervisor).get(DASHBOARD)
    assert response.context["board"].run == work["latest"]
    assert boards(response)["city"]["levels"]["red"] == 1
    html = response.content.decode()
    assert 'data-testid="newer-run"' in html and "2026-11-30" in html and "进行中" in html
    assert reverse("ratings:run", args=[running.pk]) in html


def test_no_run_yet_says_so(login, clerk_city):
    response = login(clerk_city).get(DASHBOARD)
    assert response.status_code == 200 and 'data-testid="no-run"' in response.content.decode()
    assert boards(response)["city"]["requests"]["repair"] == (0, 0, 0)


def test_anonymous_is_sent_to_log_in_and_staff_land_on_the_dashboard(client, clerk_city):
    response = client.get(DASHBOARD)
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))
    response = client.post(reverse("login"), {"username": "clerk_city", "password": "pw-clerk_city"})
    assert response.status_code == 302 and response["Location"] == DASHBOARD
    assert client.get("/")["Location"] == DASHBOARD
    html = client.get(DASHBOARD).content.decode()
    assert 'data-testid="nav-dashboard"' in html and "工作台" in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(DASHBOARD).status_code == 200
    return len(ctx.captured_queries)


def test_query_count_is_fixed_whatever_the_data(login, supervisor, clerk_city, work):
    client = login(supervisor)
    first = factories.customer("city")
    LevelOverride.objects.create(
        customer=first, level="red", reason="核实后调整", starts_on=dt.date(2020, 1, 1), created_by=supervisor
    )
    client.get(DASHBOARD)
    before = _queries(client)
    # session, user, groups (roles), companies, the open counts (companies + one grouped query), the coverage
    # (one aggregate per company), the latest run, the latest succeeded one, its counts, the queued ones, nav badge,
    # the platform batch (periods with batches, the first month-end run, the draft), the overrides in force on
    # the run's date and their customers' results (the effective levels)
    assert before <= 19
    for _ in range(5):
        c = factories.customer("city")
        lodge(c, clerk_city, events=[factories.event(c)])
        sign_pledge(factories.customer("county"), supervisor)
    make_run(dt.date(2026, 11, 30), {("county", "red"): 3}, status=RatingRun.Status.FAILED)
    LevelOverride.objects.create(
        customer=c, level="green", reason="核实后调整", starts_on=dt.date(2020, 1, 1), created_by=supervisor
    )
    assert _queries(client) == before


def test_level_counts_are_effective_levels_as_on_the_run_page(login, supervisor):
    """A customer a supervisor set to green for the run's date counts under green, not under its computed yellow."""
    from ratings.models import RatingResult

    run = make_run(dt.date(2026, 11, 30), {("city", "yellow"): 2, ("city", "green"): 1})
    yellow = [factories.customer("city") for _ in range(2)]
    RatingResult.objects.bulk_create([RatingResult(run=run, customer=c, level="yellow") for c in yellow])
    LevelOverride.objects.create(
        customer=yellow[0], level="green", reason="核实后调整", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    board = dashboard.build(supervisor, dt.date(2026, 12, 3))
    city = next(b for b in board.companies if b.company.code == "city")
    assert dict(city.levels) == {"green": 2, "blue": 0, "yellow": 1, "red": 0} and city.rated == 3
