"""The task tracker's monthly progress (issue 11, part 3/4): a unit reports on each of its tasks with the
figures the product knows filled in; the grid shows who has reported; the 客户服务中心 comments; the yearly
summary per company; roles and bad input; the grid's query count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry
from ratings.models import RatingRun, RunLevelCount
from reporting import checks, tracker
from reporting.models import CheckMatter, KeyTask, ProgressReport, Unit
from tests import factories
from tests.pledge_support import signed_on

pytestmark = pytest.mark.django_db


def unit(name):
    return Unit.objects.get(name=name)


def url(name, month, task_number, unit_obj):
    return reverse(f"reporting:{name}", args=[f"{month:%Y-%m}", task_number, unit_obj.pk])


def this_month():
    return timezone.localdate().replace(day=1)


def test_a_clerk_reports_task_4_with_the_figures_filled_in(login, clerk_city):
    today = timezone.localdate()
    for _ in range(2):
        signed_on(factories.customer("city"), clerk_city, today)
    factories.customer("city")  # a third rateable customer, not signed
    run = RatingRun.objects.create(as_of=today, status=RatingRun.Status.SUCCEEDED)
    RunLevelCount.objects.create(run=run, company=factories.company("city"), level="green", n=2)
    RunLevelCount.objects.create(run=run, company=factories.company("city"), level="yellow", n=1)
    city = unit("城市供水公司")
    client = login(clerk_city)
    page = client.get(url("work_tracker_report", this_month(), 4, city)).content.decode()
    assert "本月签订信用承诺书（份）" in page and "未报" in page  # the figures shown before it reports
    response = client.post(url("work_tracker_submit", this_month(), 4, city), {"text": "本月签订承诺书两份。"})
    assert response.status_code == 302
    report = ProgressReport.objects.get(unit=city, task__number=4, month=this_month())
    assert report.figures["pledges_signed"] == 2
    assert report.figures["coverage_customers"] == 3 and report.figures["coverage_signed"] == 2
    assert report.figures["coverage_rate"] == 66.7
    assert report.figures["rated"] == 3 and report.figures["level_green"] == 2 and report.figures["level_yellow"] == 1
    assert report.figures["run_as_of"] == today.isoformat()
    assert AuditEntry.objects.filter(model="progressreport", object_id=str(report.pk)).exists()
    page = client.get(url("work_tracker_report", this_month(), 4, city)).content.decode()
    assert "本月签订承诺书两份。" in page and "城区客服 报送于" in page and "66.7%" in page


def test_task_5_counts_the_month_checks(login, clerk_city, city_customer):
    checks.record_check(
        city_customer,
        user=clerk_city,
        checked_on=timezone.localdate(),
        matter=CheckMatter.objects.get(name="新装用水"),
        sources=["report"],
        result="dishonest",
        usage="supervise",
        note="信用中国查到一条失信行为记录。",
    )
    figures = tracker.task_figures(
        KeyTask.objects.get(number=5), unit("城市供水公司"), this_month(), timezone.localdate()
    )
    assert figures == {"checks": 1, "checks_dishonest": 1}
    other = tracker.task_figures(
        KeyTask.objects.get(number=5), unit("随县供水公司"), this_month(), timezone.localdate()
    )
    assert other == {"checks": 0, "checks_dishonest": 0}


def test_who_reports_for_which_unit(login, clerk_city, clerk_county, supervisor, service_center):
    month, city, office = this_month(), unit("城市供水公司"), unit("综合办公室")
    data = {"text": "按计划推进。"}
    # another company's unit is not found; the 客户服务中心 reads but does not report
    assert login(clerk_county).post(url("work_tracker_submit", month, 4, city), data).status_code == 404
    assert login(clerk_county).get(url("work_tracker_report", month, 4, city)).status_code == 404
    assert login(service_center).post(url("work_tracker_submit", month, 4, city), data).status_code == 403
    # a group unit: a supervisor of both companies reports, a company's clerk does not
    assert login(clerk_city).post(url("work_tracker_submit", month, 1, office), data).status_code == 403
    assert login(supervisor).post(url("work_tracker_submit", month, 1, office), data).status_code == 302
    html = login(service_center).get(url("work_tracker_report", month, 4, city)).content.decode()
    assert "由城市供水公司的客服专员或审核主管报送。" in html and 'data-testid="report-form"' not in html
    html = login(clerk_city).get(url("work_tracker_report", month, 12, office)).content.decode()
    assert "由兼管两家供水公司的审核主管" in html
    # a task that is not the unit's is not found
    assert login(supervisor).get(url("work_tracker_report", month, 5, office)).status_code == 404
    assert ProgressReport.objects.count() == 1


def test_bad_input_is_named_and_nothing_is_written(login, clerk_city):
    month, city = this_month(), unit("城市供水公司")
    client = login(clerk_city)
    response = client.post(url("work_tracker_submit", month, 5, city), {"text": "   "})
    assert response.status_code == 400 and "请填写推进情况" in response.content.decode()
    response = client.post(url("work_tracker_submit", month, 5, city), {"text": "长" * 5001})
    assert response.status_code == 400 and "推进情况不能超过 5000 个字" in response.content.decode()
    future = (month + dt.timedelta(days=40)).replace(day=1)
    response = client.post(url("work_tracker_submit", future, 5, city), {"text": "提前报送"})
    assert response.status_code == 400 and "尚未开始，不能报送" in response.content.decode()
    assert client.get(reverse("reporting:work_tracker_report", args=["2026-13", 5, city.pk])).status_code == 404
    assert not ProgressReport.objects.exists()


def test_the_service_center_comments_and_the_report_is_then_closed(login, clerk_city, service_center):
    month, city = this_month(), unit("城市供水公司")
    login(clerk_city).post(url("work_tracker_submit", month, 5, city), {"text": "开展核查。"})
    client = login(clerk_city)
    assert client.post(url("work_tracker_comment", month, 5, city), {"comment": "好"}).status_code == 403
    client = login(service_center)
    response = client.post(url("work_tracker_comment", month, 5, city), {"comment": ""})
    assert response.status_code == 400 and "请填写点评意见" in response.content.decode()
    response = client.post(url("work_tracker_comment", month, 5, city), {"comment": "核查结果反馈及时。"})
    assert response.status_code == 302
    report = ProgressReport.objects.get()
    assert report.status == "commented" and report.commented_by == service_center
    page = client.get(url("work_tracker_report", month, 5, city)).content.decode()
    assert "核查结果反馈及时。" in page and "肖翔 点评于" in page
    # the unit can no longer rewrite it
    response = login(clerk_city).post(url("work_tracker_submit", month, 5, city), {"text": "改写"}, follow=True)
    assert "客户服务中心已点评，推进情况不能再修改" in response.content.decode()
    assert ProgressReport.objects.get().text == "开展核查。"


def test_a_revision_before_the_comment_replaces_the_text(login, clerk_city):
    month, city = this_month(), unit("城市供水公司")
    client = login(clerk_city)
    client.post(url("work_tracker_submit", month, 10, city), {"text": "初稿"})
    client.post(url("work_tracker_submit", month, 10, city), {"text": "修改稿"})
    assert ProgressReport.objects.get().text == "修改稿"
    assert AuditEntry.objects.filter(model="progressreport").count() == 2


def test_the_grid_shows_who_has_reported(login, clerk_city, clerk_county, service_center):
    month, city = this_month(), unit("城市供水公司")
    login(clerk_city).post(url("work_tracker_submit", month, 5, city), {"text": "开展核查。"})
    html = login(service_center).get(reverse("reporting:work_tracker_progress")).content.decode()
    key = f"{month:%Y-%m}"
    assert html.count(f'data-month="{key}" data-state="reported"') == 1
    # every (task, unit) of the document, the city's task 5 reported, the county's not
    rows = html.count('data-testid="progress-row"')
    assert rows == sum(t.units.count() for t in KeyTask.objects.all())
    # a county clerk sees the county's and the group's units only
    html = login(clerk_county).get(reverse("reporting:work_tracker_progress")).content.decode()
    assert (
        'data-unit="城市供水公司"' not in html
        and 'data-unit="随县供水公司"' in html
        and 'data-unit="综合办公室"' in html
    )
    assert 'data-state="reported"' not in html
    assert html.count(f'data-month="{key}" data-state="due"') == html.count('data-testid="progress-row"')
    if month.month > 1:  # months before the tracker's first report are not due; once one is sent, they are missing
        assert f'data-month="{month.year}-01" data-state="missing"' not in html
        ProgressReport.objects.create(
            unit=unit("随县供水公司"),
            task=KeyTask.objects.get(number=3),
            month=month.replace(month=1),
            text="一月",
            reported_at=timezone.now(),
            reported_by=clerk_county,
        )
        html = login(clerk_county).get(reverse("reporting:work_tracker_progress")).content.decode()
        assert f'data-month="{month.year}-01" data-state="missing"' in html
        assert html.count(f'data-month="{month.year}-01" data-state="reported"') == 1
    html = login(clerk_county).get(reverse("reporting:work_tracker_progress") + "?year=abc").content.decode()
    assert "年份应为 2000 至 2100 之间的四位数字" in html


def test_the_grid_query_count_does_not_grow(login, clerk_city, service_center, django_assert_max_num_queries):
    month, city = this_month(), unit("城市供水公司")
    client = login(service_center)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("reporting:work_tracker_progress"))
    for number in (3, 4, 5, 6, 7, 8, 9, 10, 12):
        ProgressReport.objects.create(
            unit=city,
            task=KeyTask.objects.get(number=number),
            month=month,
            text="x",
            reported_at=timezone.now(),
            reported_by=clerk_city,
        )
    with CaptureQueriesContext(connection) as many:
        client.get(reverse("reporting:work_tracker_progress"))
    assert len(many) == len(few)
    with django_assert_max_num_queries(10):
        client.get(reverse("reporting:work_tracker_progress"))
    with django_assert_max_num_queries(10):
        client.get(reverse("reporting:work_tracker_summary"))


def test_the_yearly_summary_for_the_performance_review(login, clerk_city, service_center):
    today = timezone.localdate()
    month, city = this_month(), unit("城市供水公司")
    signed_on(factories.customer("city"), clerk_city, today)
    client = login(clerk_city)
    client.post(url("work_tracker_submit", month, 4, city), {"text": "签订承诺书。"})
    client.post(url("work_tracker_submit", month, 5, city), {"text": "开展核查。"})
    summaries = {s.company.code: s for s in tracker.yearly_summary(service_center, today.year, today)}
    city_tasks = KeyTask.objects.filter(units=city).count()
    assert summaries["city"].due == city_tasks  # due from the tracker's first month, this one
    assert summaries["city"].reported == 2 and summaries["county"].reported == 0
    assert summaries["city"].totals["pledges_signed"] == 1
    html = login(service_center).get(reverse("reporting:work_tracker_summary")).content.decode()
    assert "城市供水公司" in html and "随县供水公司" in html and "全年签订信用承诺书（份）" in html
    assert f"未报 {city_tasks - 2} 项" in html


def test_the_yearly_summary_exports_one_row_a_company(login, clerk_city, service_center):
    import io

    import openpyxl

    month, city = this_month(), unit("城市供水公司")
    login(clerk_city).post(url("work_tracker_submit", month, 5, city), {"text": "开展核查。"})
    response = login(service_center).get(reverse("reporting:work_tracker_summary") + "?export=xlsx")
    assert response.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("公司", "应报（项）", "已报（项）", "已点评（项）", "报送率")
    by_name = {r[0]: r for r in rows[1:]}
    assert set(by_name) == {"城市供水公司", "随县供水公司"}
    assert str(by_name["城市供水公司"][2]) == "1" and str(by_name["随县供水公司"][2]) == "0"
    assert f"{month.month}月第4项" in by_name["城市供水公司"][5]


def test_the_month_figures_take_a_fixed_number_of_queries(clerk_city, city_customer):
    today = timezone.localdate()
    ids = [factories.company("city").pk, factories.company("county").pk]
    with CaptureQueriesContext(connection) as empty:
        tracker.month_figures(this_month(), ids, today)
    for _ in range(2):
        signed_on(factories.customer("city"), clerk_city, today)
    run = RatingRun.objects.create(as_of=today, status=RatingRun.Status.SUCCEEDED)
    RunLevelCount.objects.create(run=run, company=factories.company("city"), level="green", n=5)
    with CaptureQueriesContext(connection) as full:
        figures = tracker.month_figures(this_month(), ids, today)
    assert figures[ids[0]]["pledges_signed"] == 2 and figures[ids[0]]["level_green"] == 5
    assert len(full) <= len(empty) + 3  # the run's counts and overrides, read only when there is a run
    assert len(full) <= 11, (len(empty), len(full))
