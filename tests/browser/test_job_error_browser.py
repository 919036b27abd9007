"""A failed run and a failed pledge batch, as a clerk and as an administrator see them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from customers.models import Company
from pledges.models import PledgeBatch
from ratings.models import RatingRun
from suizhou_credit import jobs
from tests import factories
from tests.browser.conftest import log_in

TRACE = (
    'Traceback (most recent call last):\n  File "/srv/suizhou/ratings/batch.py", line 88\nValueError: X05 随县某公司'
)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_failed_jobs_show_a_reason_and_the_traceback_only_to_administrators(page: Page, live_server, shot):
    factories.user("clerk_err", roles=("clerk",), companies=("city",), first_name="王敏")
    factories.user("admin_err", roles=("admin",), companies=("city", "county"), first_name="张伟")
    run = RatingRun.objects.create(
        as_of=dt.date(2026, 10, 31),
        status="failed",
        attempt=1,
        started_at=timezone.now(),
        finished_at=timezone.now(),
        error=str(jobs.QUEUE_FAILED),
        error_detail=TRACE,
    )
    batch = PledgeBatch.objects.create(
        company=Company.objects.get(code="city"),
        status="failed",
        total=12,
        error=str(jobs.INTERRUPTED),
        error_detail=TRACE,
        finished_at=timezone.now(),
    )
    base = live_server.url
    log_in(page, base, "clerk_err")
    page.goto(f"{base}/ratings/runs/{run.pk}/")
    expect(page.locator("[data-testid=run-error]")).to_contain_text("后台任务服务暂时无法连接")
    expect(page.locator("[data-testid=error-detail]")).to_have_count(0)
    shot("job-error-run-clerk")
    page.goto(f"{base}/pledges/batches/{batch.pk}/")
    expect(page.locator("[data-testid=batch-error]")).to_contain_text("后台任务多次中断")
    expect(page.locator("[data-testid=error-detail]")).to_have_count(0)
    shot("job-error-batch-clerk")

    page.context.clear_cookies()
    log_in(page, base, "admin_err")
    page.goto(f"{base}/ratings/runs/{run.pk}/")
    detail = page.locator("[data-testid=error-detail]")
    detail.locator("summary").click()
    expect(detail).to_contain_text("/srv/suizhou/ratings/batch.py")
    shot("job-error-run-admin")
