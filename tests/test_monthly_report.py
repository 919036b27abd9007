"""The monthly work report (issue 11, part 5): one page and one PDF per month for the group and per company,
with the tracker's texts and figures, the levels and their change, coverage, batches, repairs and checks, and
charts drawn on the server."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest
from django.urls import reverse
from django.utils import timezone

from ratings.models import RatingRun, RunLevelCount
from reporting.models import ProgressReport, Unit
from tests import factories
from tests.pledge_support import signed_on

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "report.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.fixture
def month_with_work(clerk_city):
    today = timezone.localdate()
    month = today.replace(day=1)
    signed_on(factories.customer("city"), clerk_city, today)
    before = RatingRun.objects.create(as_of=month - dt.timedelta(days=1), status=RatingRun.Status.SUCCEEDED)
    now = RatingRun.objects.create(as_of=today, status=RatingRun.Status.SUCCEEDED)
    for run, green, red in ((before, 5, 2), (now, 7, 1)):
        RunLevelCount.objects.create(run=run, company=factories.company("city"), level="green", n=green)
        RunLevelCount.objects.create(run=run, company=factories.company("city"), level="red", n=red)
        RunLevelCount.objects.create(run=run, company=factories.company("county"), level="blue", n=3)
    city = Unit.objects.get(name="城市供水公司")
    url = reverse("reporting:work_tracker_submit", args=[f"{month:%Y-%m}", 4, city.pk])
    from django.test import Client

    client = Client()
    client.force_login(clerk_city)
    assert client.post(url, {"text": "本月新签承诺书一份，覆盖率稳步提升。"}).status_code == 302
    return month


def test_the_group_page_has_every_section(login, service_center, month_with_work):
    html = login(service_center).get(reverse("reporting:work_monthly")).content.decode()
    month = month_with_work
    assert f"水务集团 {month.year}年{month.month}月信用工作月度报告" in html
    assert "本月新签承诺书一份，覆盖率稳步提升。" in html and "本月签订信用承诺书（份）：1" in html
    # levels over both companies, with the change from the month before
    assert (
        'data-level="green"><td>绿色</td><td class="text-end">7</td><td class="text-end">5</td><td class="text-end">+2</td>'
        in html
    )
    assert (
        'data-level="red"><td>红色</td><td class="text-end">1</td><td class="text-end">2</td><td class="text-end">-1</td>'
        in html
    )
    assert html.count('data-testid="level-chart"') == 1 and html.count('data-testid="monthly-chart"') == 1
    assert f'data-month="{month:%Y-%m}"' in html
    assert "（未报送）" in html  # the county's task 4, among others
    assert "本月尚未生成报送批次。" in html
    # the group's figures per company: the city's pledge, none in the county
    assert (
        '<tr><td>签订信用承诺书（份）</td><td class="text-end">1</td><td class="text-end">0</td><td class="text-end">1</td></tr>'
        in html
    )


def test_a_company_page_and_scope(login, clerk_county, service_center, month_with_work):
    html = login(service_center).get(reverse("reporting:work_monthly") + "?company=county").content.decode()
    assert "随县供水公司" in html and "本月新签承诺书一份" not in html
    assert 'data-testid="monthly-per-company"' not in html
    assert 'data-level="blue"><td>蓝色</td><td class="text-end">3</td>' in html
    assert login(clerk_county).get(reverse("reporting:work_monthly") + "?company=city").status_code == 404
    html = login(clerk_county).get(reverse("reporting:work_monthly")).content.decode()
    assert "本月新签承诺书一份" not in html and 'data-unit="城市供水公司"' not in html


def test_bad_month_is_named(login, service_center):
    html = login(service_center).get(reverse("reporting:work_monthly") + "?month=2026-13").content.decode()
    assert "月份应为 YYYY-MM" in html and "已显示本月" in html
    later = (timezone.localdate().replace(day=1) + dt.timedelta(days=40)).strftime("%Y-%m")
    html = login(service_center).get(reverse("reporting:work_monthly") + f"?month={later}").content.decode()
    assert "尚未开始，已显示本月" in html


def test_the_pdf_reads_right(login, service_center, month_with_work, tmp_path):
    month = month_with_work
    response = login(service_center).get(reverse("reporting:work_monthly_pdf") + f"?month={month:%Y-%m}")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    flat = "".join(text.split())
    assert f"水务集团{month.year}年{month.month}月信用工作月度报告" in flat
    assert "本月新签承诺书一份，覆盖率稳步提升。" in flat
    assert "二、信用等级分布及变化" in flat and "三、信用承诺覆盖情况" in flat and "六、重点工作推进情况" in flat
    assert "绿色" in flat  # the chart's legend is drawn


def test_the_page_query_count_is_fixed(
    login, service_center, clerk_city, month_with_work, django_assert_max_num_queries
):
    client = login(service_center)
    client.get(reverse("reporting:work_monthly"))
    with django_assert_max_num_queries(36):
        client.get(reverse("reporting:work_monthly"))
    assert ProgressReport.objects.count() == 1
