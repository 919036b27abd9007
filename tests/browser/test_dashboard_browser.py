"""The dashboard in a real browser: staff land on it after signing in, see their companies' work and
follow a count to the filtered page."""

from __future__ import annotations

import importlib

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import log_in
from tests.test_dashboard import work  # noqa: F401  (the fixture: requests, pledges, runs of both companies)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("work")]


@pytest.fixture(autouse=True)
def _templates(transactional_db):
    """The pledge templates a signed pledge needs (flushed by an earlier transactional test)."""
    from django.apps import apps

    from pledges.models import PledgeTemplate

    if not PledgeTemplate.objects.exists():
        importlib.import_module("pledges.migrations.0002_template_versions").create_templates(apps, None)


def test_supervisor_lands_on_the_dashboard_and_follows_the_overdue_count(page: Page, live_server, shot):
    base = live_server.url
    log_in(page, base, "supervisor")  # lands on /dashboard/
    expect(page.locator("h1")).to_have_text("工作台")
    expect(page.locator("[data-testid=nav-dashboard]")).to_have_class("nav-link active")
    city = page.locator("[data-testid=company-board][data-company=city]")
    county = page.locator("[data-testid=company-board][data-company=county]")
    expect(city.locator("[data-testid=requests-repair] [data-testid=submitted]")).to_have_text("2")
    expect(city.locator("[data-testid=requests-objection] [data-testid=accepted]")).to_have_text("1")
    expect(city.locator("[data-testid=coverage-card] [data-testid=signed]")).to_have_text("1")
    expect(city.locator("[data-testid=level-red] [data-testid=n]")).to_have_text("1")
    expect(city.locator("[data-testid=queued]")).to_have_text("1")
    expect(county.locator("[data-testid=requests-objection] [data-testid=submitted]")).to_have_text("1")
    shot("dashboard-supervisor")

    city.locator("[data-testid=overdue-link]").click()
    expect(page.locator("[data-testid=overdue-badge]")).to_have_count(1)
    shot("dashboard-overdue-queue")


def test_clerk_sees_only_their_company(page: Page, live_server, shot):
    log_in(page, live_server.url, "clerk_county")
    expect(page.locator("[data-testid=company-board]")).to_have_count(1)
    board = page.locator("[data-testid=company-board][data-company=county]")
    expect(board.locator("[data-testid=requests-objection] [data-testid=submitted]")).to_have_text("1")
    expect(board.locator("[data-testid=level-blue] [data-testid=n]")).to_have_text("1")
    expect(page.locator("main")).not_to_contain_text("城市供水")
    shot("dashboard-clerk-county")
