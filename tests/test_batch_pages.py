"""The batch pages (信用报送): list, batch page with held-back and returned rows and their fix links, the build
form, the status buttons, downloads, scope per company, a fixed query count; and the dashboard's batch card."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from customers.models import Company
from ratings.models import RatingRun
from reporting import services
from reporting.models import Batch, BatchRow, BatchStatus, BuildState, Sheet
from tests import factories
from tests.test_batch_build import PERIOD, run_with, set_units, signed

pytestmark = pytest.mark.django_db

LIST = reverse("reporting:batches")
BUILD = reverse("reporting:build")


def page_url(batch) -> str:
    return reverse("reporting:batch", args=[batch.number])


def action_url(batch, action) -> str:
    return reverse("reporting:batch_action", args=[batch.number, action])


def file_url(batch, kind) -> str:
    return reverse("reporting:batch_file", args=[batch.number, kind])


@pytest.fixture
def data(clerk_city, supervisor):
    """City: a green customer and a yellow one without a notice; county: a green customer, and the county
    company has no registered name. Each signed a pledge in 2026-11; the month-end run rated them."""
    set_units(county_name="")
    good = factories.customer("city", name="随州市守信餐饮有限公司")
    yellow = factories.customer("city", name="随州市黄牌商贸有限公司")
    county = factories.customer("county", name="随县厉山镇某某食品厂")
    pledges = {c.account_no: signed(c, clerk_city) for c in (good, yellow, county)}
    run = run_with({good: "green", yellow: "yellow", county: "green"})
    return {"good": good, "yellow": yellow, "county": county, "pledges": pledges, "run": run}


@pytest.fixture
def batch(data):
    return services.build_now(PERIOD)


def held_keys(html: str) -> set[tuple[str, str]]:
    return set(re.findall(r'data-testid="held-row" data-sheet="(\w+)" data-key="([^"]*)"', html))


# --- list ------------------------------------------------------------------------------------------


def test_list_shows_every_batch_newest_period_first_with_counts_and_people(login, supervisor, batch):
    older = services.build_now(dt.date(2026, 10, 1))
    services.mark_submitted(services.export_batch(batch, user=supervisor), user=supervisor)
    response = login(supervisor).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    numbers = re.findall(r'data-testid="batch-row" data-number="([^"]+)"', html)
    assert numbers == [batch.number, older.number]
    row = re.search(rf'data-number="{batch.number}".*?</tr>', html, re.DOTALL).group(0)
    assert "已报送" in row and "主管" in row  # the supervisor's name, not the username
    assert "系统" in row  # built by build_now without a user or a label
    # 信用承诺: city 2 included, county 1 held (no registered name)
    pledge = re.search(r'data-testid="count-pledge">(.*?)</td>', row, re.DOTALL).group(1)
    assert '"included">2<' in pledge and '"held">1<' in pledge
    assert 'data-testid="build-form"' in html


def test_clerk_reads_the_list_with_their_company_counts_and_no_form(login, clerk_county, batch):
    response = login(clerk_county).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="build-form"' not in html and 'data-testid="scope-note"' in html
    row = re.search(rf'data-number="{batch.number}".*?</tr>', html, re.DOTALL).group(0)
    pledge = re.search(r'data-testid="count-pledge">(.*?)</td>', row, re.DOTALL).group(1)
    assert '"included">0<' in pledge and '"held">1<' in pledge
    rating = re.search(r'data-testid="count-rating">(.*?)</td>', row, re.DOTALL).group(1)
    assert '"included">0<' in rating and '"held">1<' in rating


def test_anonymous_is_sent_to_log_in(client, batch):
    for url in (LIST, page_url(batch), reverse("reporting:batch_progress", args=[batch.number])):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_unknown_number_is_404(login, supervisor, db):
    client = login(supervisor)
    assert client.get(reverse("reporting:batch", args=["209901-01"])).status_code == 404
    assert client.get(reverse("reporting:batch_progress", args=["209901-01"])).status_code == 404
    assert client.post(reverse("reporting:batch_action", args=["209901-01", "export"])).status_code == 404


# --- the build form --------------------------------------------------------------------------------


def test_the_build_form_queues_and_builds_the_period(
    login, supervisor, data, eager_celery, django_capture_on_commit_callbacks
):
    client = login(supervisor)
    form = client.get(LIST).content.decode()
    default = (timezone.localdate().replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
    assert f'value="{default}"' in form  # the last finished month
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(BUILD, {"period": "2026-11"})
    batch = Batch.objects.get()
    assert response.status_code == 302 and response["Location"] == page_url(batch)
    assert batch.number == "202611-01" and batch.build_state == BuildState.DONE and batch.built_by == supervisor
    html = client.get(response["Location"]).content.decode()
    assert "已开始生成 2026-11 的报送批次 202611-01" in html
    assert (Sheet.RATING.value, data["yellow"].uscc) in held_keys(html)


@pytest.mark.parametrize(
    ("period", "reason"),
    [("2026-13", "格式不正确"), ("11/2026", "格式不正确"), ("", "请选择报送期间")],
)
def test_a_malformed_period_names_the_field_and_creates_nothing(login, supervisor, data, period, reason):
    response = login(supervisor).post(BUILD, {"period": period})
    assert response.status_code == 400
    html = response.content.decode()
    error = re.search(r'data-testid="period-error">(.*?)</div>', html).group(1)
    assert error.startswith("报送期间：") and reason in error
    assert not Batch.objects.exists()


def test_a_period_not_yet_over_is_refused(login, supervisor, data):
    this_month = timezone.localdate().strftime("%Y-%m")
    response = login(supervisor).post(BUILD, {"period": this_month})
    assert response.status_code == 400
    assert "尚未结束" in response.content.decode() and not Batch.objects.exists()


def test_a_build_already_running_says_so(login, supervisor, batch):
    Batch.objects.filter(pk=batch.pk).update(build_state=BuildState.RUNNING, build_started_at=timezone.now())
    client = login(supervisor)
    response = client.post(BUILD, {"period": "2026-11"})
    assert response["Location"] == page_url(batch)
    html = client.get(page_url(batch)).content.decode()
    assert "正在生成" in html and 'data-testid="batch-progress"' in html
    assert Batch.objects.count() == 1


def test_clerks_and_a_one_company_supervisor_cannot_build_or_act(login, clerk_city, supervisor_city, batch):
    for user in (clerk_city, supervisor_city):
        client = login(user)
        assert client.post(BUILD, {"period": "2026-11"}).status_code == 403
        for action in ("export", "submit", "accept"):
            assert client.post(action_url(batch, action)).status_code == 403
        assert client.get(file_url(batch, "xlsx")).status_code == 403
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and batch.generation == 1


# --- the batch page --------------------------------------------------------------------------------


def test_supervisor_sees_counts_held_rows_with_reasons_and_fix_links(login, supervisor, data, batch):
    supervisor.is_staff = True
    supervisor.save()
    response = login(supervisor).get(page_url(batch))
    assert response.status_code == 200
    html = response.content.decode()
    county = Company.objects.get(code="county")
    assert held_keys(html) == {
        (Sheet.PLEDGE.value, data["pledges"][data["county"].account_no].number),
        (Sheet.RATING.value, data["yellow"].uscc),
        (Sheet.RATING.value, data["county"].uscc),
    }
    yellow = re.search(rf'data-key="{data["yellow"].uscc}".*?</tr>', html, re.DOTALL).group(0)
    assert "等级: 未书面告知" in yellow and data["yellow"].name in yellow and data["yellow"].account_no in yellow
    assert reverse("reporting:notice_new", args=[data["yellow"].account_no]) in yellow
    pledge = data["pledges"][data["county"].account_no]
    county_row = re.search(rf'data-key="{pledge.number}".*?</tr>', html, re.DOTALL).group(0)
    assert "承诺受理单位: 随县供水公司 尚未设置登记名称" in county_row
    assert reverse("admin:customers_company_change", args=[county.pk]) in county_row
    # counts, per company, the run read, the buttons
    assert re.search(r'data-testid="count-rating">.*?"included">1<.*?"held">.*?2<', html, re.DOTALL)
    assert html.count('data-testid="company-count"') == 2
    assert reverse("ratings:run", args=[data["run"].pk]) in html
    assert 'data-testid="action-export"' in html and 'data-testid="rebuild"' in html
    assert 'data-testid="action-submit"' not in html and "不能标记为已报送" in html
    assert "Excel 预览（尚未导出）" in html and 'data-testid="return-form"' not in html


def test_a_non_staff_user_is_told_to_ask_the_administrator(login, clerk_county, batch):
    html = login(clerk_county).get(page_url(batch)).content.decode()
    assert "请联系系统管理员设置" in html and "/admin/" not in html


def test_fix_links_for_customer_pledge_and_repair_rows(login, supervisor, data, batch):
    pledge = data["pledges"][data["good"].account_no]
    BatchRow.objects.filter(batch=batch, sheet=Sheet.PLEDGE, key=pledge.number).update(
        held=True,
        reasons=[
            {"column": "承诺人代码", "reason": "校验位不正确", "fix": "customer"},
            {"column": "承诺内容", "reason": "最多 4000 个字符", "fix": "pledge"},
        ],
    )
    BatchRow.objects.create(
        batch=batch,
        generation=batch.generation,
        sheet=Sheet.REPAIR,
        position=1,
        key="XF2026110001",
        company=data["good"].company,
        customer=data["good"],
        values=[],
        held=True,
        reasons=[{"column": "修复事项", "reason": "不能为空", "fix": "repair"}],
    )
    html = login(supervisor).get(page_url(batch)).content.decode()
    row = re.search(rf'data-key="{pledge.number}".*?</tr>', html, re.DOTALL).group(0)
    assert reverse("customers:detail", args=[data["good"].account_no]) in row
    assert reverse("pledges:detail", args=[pledge.pk]) in row
    assert "承诺人代码: 校验位不正确" in row
    repair = re.search(r'data-key="XF2026110001".*?</tr>', html, re.DOTALL).group(0)
    assert reverse("repair:detail", args=["XF2026110001"]) in repair


@pytest.mark.parametrize("who", ["clerk_city", "clerk_county"])
def test_a_clerk_sees_only_their_company_rows_and_counts_and_no_buttons(login, request, data, batch, who):
    user = request.getfixturevalue(who)
    html = login(user).get(page_url(batch)).content.decode()
    mine, others = (
        ([data["yellow"]], [data["county"]])
        if who == "clerk_city"
        else ([data["county"]], [data["good"], data["yellow"]])
    )
    keys = {k for _, k in held_keys(html)}
    for c in mine:
        if c is not data["good"]:
            assert c.uscc in keys
    for c in others:
        assert c.name not in html and c.account_no not in html and c.uscc not in html
    for testid in ("actions", "action-export", "rebuild", "return-form", "download-xlsx"):
        assert f'data-testid="{testid}"' not in html
    assert html.count('data-testid="company-count"') == 1
    counts = re.search(r'data-testid="count-pledge">.*?"included">(\d+)<', html, re.DOTALL).group(1)
    assert counts == ("2" if who == "clerk_city" else "0")


def test_progress_json_and_the_polling_script(login, supervisor, data):
    batch = services.start_build(PERIOD, user=supervisor, enqueue=False)
    client = login(supervisor)
    progress = client.get(reverse("reporting:batch_progress", args=[batch.number])).json()
    assert progress["state"] == "queued" and progress["state_label"] == "排队中" and progress["finished"] is False
    html = client.get(page_url(batch)).content.decode()
    assert 'data-testid="batch-progress"' in html and "js/batch_progress." in html
    assert re.search(r"<script>(?!</script>)", html) is None  # no inline script (CSP)
    assert 'data-testid="action-export"' not in html and "排队中，完成后才能导出" in html
    services.run_build(batch.pk)
    progress = client.get(reverse("reporting:batch_progress", args=[batch.number])).json()
    assert progress["finished"] is True and progress["done"] == progress["total"] > 0


def test_a_failed_build_shows_its_error(login, supervisor, batch):
    Batch.objects.filter(pk=batch.pk).update(build_state=BuildState.FAILED, build_error="生成失败:OSError。")
    html = login(supervisor).get(page_url(batch)).content.decode()
    assert 'data-testid="build-error"' in html and "生成失败:OSError" in html


# --- actions and downloads --------------------------------------------------------------------------


def test_export_button_exports_and_downloads_the_workbook(login, supervisor, batch):
    client = login(supervisor)
    response = client.post(action_url(batch, "export"))
    assert response.status_code == 302 and response["Location"] == file_url(batch, "xlsx")
    batch.refresh_from_db()
    assert batch.status == BatchStatus.EXPORTED and batch.exported_by == supervisor
    download = client.get(response["Location"])
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{batch.number}.xlsx"'
    assert download["Cache-Control"] == "private, no-store"
    book = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True)
    assert book.sheetnames == ["信用承诺", "履约践诺", "信用评价", "信用修复"]
    html = client.get(page_url(batch)).content.decode()
    assert "已导出" in html and 'data-testid="action-submit"' in html and 'data-testid="return-form"' in html
    assert "下载 Excel" in html and "预览（尚未导出）" not in html and 'data-testid="rebuild"' not in html


def test_submit_and_accept_buttons(login, supervisor, batch):
    services.export_batch(batch, user=supervisor)
    client = login(supervisor)
    response = client.post(action_url(batch, "submit"))
    assert response["Location"] == page_url(batch)
    batch.refresh_from_db()
    assert batch.status == BatchStatus.SUBMITTED and batch.submitted_by == supervisor
    html = client.get(page_url(batch)).content.decode()
    assert "批次 202611-01 的状态已改为“已报送”" in html
    assert 'data-testid="action-accept"' in html
    client.post(action_url(batch, "accept"))
    batch.refresh_from_db()
    assert batch.status == BatchStatus.ACCEPTED and batch.accepted_at is not None
    html = client.get(page_url(batch)).content.decode()
    assert html.count('<i class="bi bi-check-circle-fill text-success">') == 4  # built, exported, submitted, accepted


def test_a_refused_action_says_why_and_changes_nothing(login, supervisor, batch):
    client = login(supervisor)
    response = client.post(action_url(batch, "submit"))
    assert response["Location"] == page_url(batch)
    html = client.get(page_url(batch)).content.decode()
    assert "当前状态为“草稿”，不能标记为已报送" in html
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT and batch.submitted_at is None
    assert client.post(action_url(batch, "delete")).status_code == 404
    assert client.get(action_url(batch, "export")).status_code == 405


def test_downloads_headers_and_draft_preview_leaves_the_status(login, supervisor, batch):
    client = login(supervisor)
    xlsx = client.get(file_url(batch, "xlsx"))
    assert xlsx["Content-Disposition"] == 'attachment; filename="202611-01.xlsx"'
    assert xlsx["Cache-Control"] == "private, no-store"
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    zipped = client.get(file_url(batch, "zip"))
    assert zipped["Content-Disposition"] == 'attachment; filename="202611-01-csv.zip"'
    assert zipped["Cache-Control"] == "private, no-store"
    names = zipfile.ZipFile(io.BytesIO(b"".join(zipped.streaming_content))).namelist()
    assert "202611-01_信用评价.csv" in names
    assert client.get(file_url(batch, "pdf")).status_code == 404
    batch.refresh_from_db()
    assert batch.status == BatchStatus.DRAFT


def test_returned_rows_are_listed_with_the_platform_reason(login, supervisor, clerk_county, data, batch):
    services.export_batch(batch, user=supervisor)
    row = BatchRow.objects.get(batch=batch, sheet=Sheet.RATING, key=data["good"].uscc)
    BatchRow.objects.filter(pk=row.pk).update(returned_at=timezone.now(), return_reason="企业名称与登记信息不一致")
    Batch.objects.filter(pk=batch.pk).update(status=BatchStatus.RETURNED, returned_at=timezone.now())
    html = login(supervisor).get(page_url(batch)).content.decode()
    returned = re.search(r'data-testid="returned-row".*?</tr>', html, re.DOTALL).group(0)
    assert data["good"].uscc in returned and "企业名称与登记信息不一致" in returned
    assert reverse("customers:detail", args=[data["good"].account_no]) in returned
    assert "部分退回" in html and 'data-testid="return-form"' in html
    county_html = login(clerk_county).get(page_url(batch)).content.decode()
    assert 'data-testid="returned-row"' not in county_html and data["good"].uscc not in county_html


def _page_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _held(batch, company, customers, start):
    BatchRow.objects.bulk_create(
        BatchRow(
            batch=batch,
            generation=batch.generation,
            sheet=sheet,
            position=start + i,
            key=f"K{start + i:08d}",
            company=company,
            customer=customers[i % len(customers)],
            source_id=i + 1,
            values=[],
            held=True,
            reasons=[
                {"column": "等级", "reason": "未书面告知", "fix": "notice"},
                {"column": "评定单位", "reason": "尚未设置登记名称", "fix": "company"},
                {"column": "承诺编码", "reason": "格式不正确", "fix": "pledge"},
                {"column": "统一社会信用代码", "reason": "校验位不正确", "fix": "customer"},
            ],
        )
        for i, sheet in enumerate([Sheet.RATING, Sheet.FULFILMENT, Sheet.PLEDGE, Sheet.REPAIR] * 50)
    )


def test_batch_page_query_count_is_fixed_with_200_held_rows(
    login, supervisor, data, batch, django_assert_max_num_queries
):
    client = login(supervisor)
    city = data["good"].company
    customers = [factories.customer("city") for _ in range(5)]
    _held(batch, city, customers[:1], 1000)
    few = _page_queries(client, page_url(batch))
    _held(batch, city, customers, 2000)  # 200 more held rows, of five customers
    assert BatchRow.objects.filter(batch=batch, held=True).count() > 200
    with django_assert_max_num_queries(few):
        client.get(page_url(batch))
    # session, user, roles, companies (all, the user's), the batch, held count + page, returned count
    # (+ page when any), the export refusal's latest export, the nav badge
    assert few <= 11


# --- the dashboard ----------------------------------------------------------------------------------


def _batch_card(html: str) -> list[str]:
    return re.findall(r'data-testid="batch-card".*?</div>\s*</div>\s*</div>', html, re.DOTALL)


def test_dashboard_shows_the_draft_with_its_held_count_and_the_late_periods(login, supervisor, clerk_county, data):
    RatingRun.objects.create(as_of=dt.date(2026, 9, 30), status=RatingRun.Status.SUCCEEDED)
    RatingRun.objects.create(as_of=dt.date(2026, 8, 15), status=RatingRun.Status.SUCCEEDED)  # not a month end
    october = services.build_now(dt.date(2026, 10, 1))
    services.mark_submitted(services.export_batch(october, user=supervisor), user=supervisor)
    draft = services.build_now(PERIOD)
    with time_machine.travel(dt.datetime(2026, 12, 15, 10, tzinfo=dt.UTC), tick=False):
        response = login(supervisor).get(reverse("reporting:dashboard"))
    board = response.context["board"]
    assert board.draft == draft
    held = {b.company.code: b.draft_held for b in board.companies}
    assert held == {"city": 1, "county": 2}  # city: the yellow rating; county: its pledge and rating
    assert [(p.period, p.days_late) for p in board.pending] == [(dt.date(2026, 9, 1), 66), (PERIOD, 5)]
    html = response.content.decode()
    assert "逾期 66 天" in html and "逾期 5 天" in html and draft.number in html and "暂缓报送 1 行" in html
    assert html.count('data-testid="pending-period" data-period="2026-10"') == 0

    with time_machine.travel(dt.datetime(2026, 12, 5, 10, tzinfo=dt.UTC), tick=False):
        html = login(clerk_county).get(reverse("reporting:dashboard")).content.decode()
    assert "暂缓报送 2 行" in html and "待报送（截止 12 月 10 日）" in html and "逾期 5 天" not in html


def test_dashboard_query_count_does_not_grow_with_batches(login, supervisor, data):
    client = login(supervisor)
    url = reverse("reporting:dashboard")
    client.get(url)
    before = _page_queries(client, url)
    services.build_now(dt.date(2026, 10, 1))
    services.build_now(PERIOD)
    RatingRun.objects.create(as_of=dt.date(2026, 6, 30), status=RatingRun.Status.SUCCEEDED)
    assert _page_queries(client, url) == before


def test_admin_shows_batches_rows_and_return_files_read_only(client, batch):
    admin = factories.user("sysadmin", roles=("admin",), is_staff=True, is_superuser=True)
    client.force_login(admin)
    row = BatchRow.objects.filter(batch=batch).first()
    for name, obj in (("batch", batch), ("batchrow", row)):
        assert client.get(reverse(f"admin:reporting_{name}_changelist")).status_code == 200
        page = client.get(reverse(f"admin:reporting_{name}_change", args=[obj.pk]))
        assert page.status_code == 200 and b'name="_save"' not in page.content
        assert client.post(reverse(f"admin:reporting_{name}_delete", args=[obj.pk])).status_code == 403
    assert client.get(reverse("admin:reporting_returnfile_changelist")).status_code == 200
    assert client.get(reverse("admin:reporting_batch_add")).status_code == 403
