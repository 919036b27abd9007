"""The dashboard's figures are links to the lists they count: each level to that level's list for the run shown,
the pledge coverage to the company's customers without a pledge, held-back batch rows to the batch page."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from ratings.models import RatingResult, RatingRun, RunLevelCount
from reporting.models import Batch, BatchStatus, BuildState
from tests import factories

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("reporting:dashboard")


def section(html: str, code: str) -> str:
    return re.search(rf'<section[^>]*data-company="{code}".*?</section>', html, re.DOTALL).group(0)


def href(html: str, testid: str) -> str:
    return re.search(rf'href="([^"]+)"[^>]*data-testid="{testid}"', html).group(1).replace("&amp;", "&")


@pytest.fixture
def run(supervisor):
    """The latest succeeded run: two city customers yellow and one green, one county customer red."""
    older = RatingRun.objects.create(as_of=dt.date(2026, 9, 30), status=RatingRun.Status.SUCCEEDED)
    latest = RatingRun.objects.create(as_of=dt.date(2026, 10, 31), status=RatingRun.Status.SUCCEEDED)
    rows = [("city", "yellow"), ("city", "yellow"), ("city", "green"), ("county", "red")]
    for code, level in rows:
        customer = factories.customer(code)
        RatingResult.objects.create(run=latest, customer=customer, level=level)
        RatingResult.objects.create(run=older, customer=customer, level="green")
    for (code, level), n in {("city", "yellow"): 2, ("city", "green"): 1, ("county", "red"): 1}.items():
        RunLevelCount.objects.create(run=latest, company=factories.company(code), level=level, n=n)
    return latest


def test_each_level_figure_opens_that_levels_list_for_the_run_shown(login, clerk_city, run):
    client = login(clerk_city)
    city = section(client.get(DASHBOARD).content.decode(), "city")
    for level, n in (("green", 1), ("blue", 0), ("yellow", 2), ("red", 0)):
        url = href(city, f"level-{level}")
        assert url == f"{reverse('ratings:level', args=[level])}?run={run.pk}&company={factories.company('city').pk}"
        page = client.get(url)
        assert page.status_code == 200
        # The list behind the figure counts what the figure says (the clerk sees only the city).
        assert page.context["page"].paginator.count == n


def test_a_supervisors_level_figure_lists_that_companys_customers_only(login, supervisor, run):
    """The city card's figure opens the city's list: the county's customers of that level are not in it."""
    client = login(supervisor)
    html = client.get(DASHBOARD).content.decode()
    for code in ("city", "county"):
        company = factories.company(code)
        for level in ("green", "yellow"):
            page = client.get(href(section(html, code), f"level-{level}"))
            rows = list(page.context["page"])
            assert page.context["company"] == company and all(r.customer.company == company for r in rows)
            shown = re.search(rf'data-testid="level-{level}".*?data-testid="n">([\d,]+)<', section(html, code), re.S)
            assert page.context["page"].paginator.count == int(shown.group(1).replace(",", ""))
    other = factories.user("clerk_only_city", roles=("clerk",), companies=("city",))
    client.force_login(other)
    county = factories.company("county")
    assert client.get(f"{reverse('ratings:level', args=['green'])}?company={county.pk}").status_code == 404


def test_coverage_figures_open_the_companys_customers_without_a_pledge(login, supervisor, run):
    client = login(supervisor)
    html = client.get(DASHBOARD).content.decode()
    for code in ("city", "county"):
        company = factories.company(code)
        board = section(html, code)
        url = href(board, "missing-link")
        assert url == f"{reverse('pledges:coverage')}?company={company.pk}"
        assert href(board, "signed") == url
        page = client.get(url)
        assert page.status_code == 200 and page.context["selected"] == company
        missing = re.search(r'data-testid="missing-link">未签署 (\d+) 户<', board).group(1)
        assert page.context["page"].paginator.count == int(missing)


def test_held_back_rows_open_the_batch_page_at_the_held_rows(login, supervisor, run):
    city = factories.company("city")
    batch = Batch.objects.create(
        number="202610-01",
        period=dt.date(2026, 10, 1),
        status=BatchStatus.DRAFT,
        build_state=BuildState.DONE,
        counts={"by_company": {str(city.pk): {"pledge": {"included": 3, "held": 2}}}},
    )
    client = login(supervisor)
    html = client.get(DASHBOARD).content.decode()
    board = section(html, "city")
    assert href(board, "draft-held") == f"{batch.get_absolute_url()}#held"
    assert "暂缓报送 2 行" in board
    assert href(board, "draft-link") == batch.get_absolute_url()
    assert client.get(batch.get_absolute_url()).status_code == 200
