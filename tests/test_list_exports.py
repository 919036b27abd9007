"""Every list's "导出 Excel" / "导出 CSV": the page's columns and rows, scoped like the page, formula-safe, streamed."""

from __future__ import annotations

import csv
import datetime as dt
import io
import tracemalloc
from urllib.parse import quote

import openpyxl
import pytest
from django.urls import reverse

from tests import factories

LIST = reverse("customers:list")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def body(response) -> bytes:
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


def read_xlsx(response) -> list[list[str]]:
    assert response["Content-Type"] == XLSX_TYPE
    book = openpyxl.load_workbook(io.BytesIO(body(response)), read_only=True)
    sheet = book.worksheets[0]
    out = []
    for row in sheet.iter_rows():
        for cell in row:
            assert cell.value is None or isinstance(cell.value, str), (cell.coordinate, cell.value)
            assert cell.data_type in ("s", "n") and (cell.data_type == "s" or cell.value is None)
        out.append([cell.value or "" for cell in row])
    return out


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    data = body(response)
    assert data.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def check_headers(response, stem: str, fmt: str) -> None:
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    name = f"{stem}-{dt.date.today():%Y%m%d}.{fmt}"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")


def export(client, url, fmt, params=None):
    return client.get(url, {**(params or {}), "export": fmt})


def rows_of(fmt, response):
    return read_xlsx(response) if fmt == "xlsx" else read_csv(response)


@pytest.fixture
def listed(db):
    return {
        "a": factories.customer("city", account_no="C1", name="=1+2", payment_mode="postpaid"),
        "b": factories.customer("city", account_no="C2", name="随州市城区示范餐饮有限公司"),
        "x": factories.customer("county", account_no="X1", name="随县示范食品厂"),
    }


# --- the customer list ---------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_customer_list_export_is_the_page_scoped(login, clerk_city, supervisor, listed, fmt):
    response = export(login(clerk_city), LIST, fmt)
    check_headers(response, "信用档案", fmt)
    table = rows_of(fmt, response)
    page = login(clerk_city).get(LIST)
    headers = [str(c.header) for c in page.context["table"].columns]
    assert table[0] == headers
    assert headers[:2] == ["户号", "单位名称"] and "当前等级" in headers and "逾期欠费（元）" in headers
    accounts = [r[0] for r in table[1:]]
    assert accounts == ["C1", "C2"]  # only the clerk's company
    first = dict(zip(headers, table[1], strict=True))
    assert first["缴费方式"] == "后付" and first["当前等级"] == "未评级" and first["所属公司"]
    assert first["单位名称"] == ("=1+2" if fmt == "xlsx" else "'=1+2")
    assert first["立户日期"] == "2019-01-01"
    assert [r[0] for r in rows_of(fmt, export(login(supervisor), LIST, fmt))[1:]] == ["C1", "C2", "X1"]


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_customer_list_export_honours_the_filters(login, supervisor, listed, fmt):
    from tests.test_rating_pages import make_run

    make_run(dt.date(2026, 11, 30), {listed["a"]: "red", listed["b"]: "green", listed["x"]: "red"})
    client = login(supervisor)
    assert [r[0] for r in rows_of(fmt, export(client, LIST, fmt, {"q": "示范"}))[1:]] == ["C2", "X1"]
    city = listed["a"].company_id
    assert [r[0] for r in rows_of(fmt, export(client, LIST, fmt, {"company": city}))[1:]] == ["C1", "C2"]
    red = rows_of(fmt, export(client, LIST, fmt, {"level": "red"}))
    assert [r[0] for r in red[1:]] == ["C1", "X1"] and {r[red[0].index("当前等级")] for r in red[1:]} == {"红色"}
    assert [r[0] for r in rows_of(fmt, export(client, LIST, fmt, {"sort": "-account_no"}))[1:]] == ["X1", "C2", "C1"]
    # an exact account number exports (no redirect) the one row
    assert [r[0] for r in rows_of(fmt, export(client, LIST, fmt, {"q": "C2"}))[1:]] == ["C2"]


def test_customer_list_export_anonymous_goes_to_login(client, listed):
    for fmt in ("xlsx", "csv"):
        response = export(client, LIST, fmt)
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_customer_list_page_has_export_buttons_keeping_the_filters(login, clerk_city, listed):
    html = login(clerk_city).get(LIST, {"q": "C", "level": "red", "page": "2"}).content.decode()
    assert "导出 Excel" in html and "导出 CSV" in html
    assert "?q=C&amp;level=red&amp;export=xlsx" in html and "?q=C&amp;level=red&amp;export=csv" in html


def test_customer_list_export_streams_2000_customers(login, clerk_city, db, monkeypatch):
    """Memory follows the cursor's chunk, not the list: with chunks of 200 rows, 2,000 customers stay small."""
    from customers import exports
    from customers.models import Company, Customer

    monkeypatch.setattr(exports, "CHUNK_SIZE", 200)

    city = Company.objects.get(code="city")
    Customer.objects.bulk_create(
        Customer(
            company=city,
            account_no=f"S{i:06d}",
            name=f"随州流式{i}号有限公司",
            uscc=factories.uscc(700000 + i),
            payment_mode="prepaid",
            opened_on=dt.date(2019, 1, 1),
        )
        for i in range(2000)
    )
    client = login(clerk_city)
    response = export(client, LIST, "csv")
    assert response.streaming
    tracemalloc.start()
    try:
        size = 0
        for chunk in response.streaming_content:
            size += len(chunk)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert size > 2000 * 40
    # the rows are ~200 kB of CSV; a list of 2,000 model instances would be several MB
    print(f"csv peak {peak}")
    assert peak < 1_000_000, peak
    response = export(client, LIST, "xlsx")
    assert response.streaming  # sent as it is written, not after the whole workbook is made
    tracemalloc.start()
    try:
        size = sum(len(chunk) for chunk in response.streaming_content)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    print(f"xlsx peak {peak}")
    assert size > 2000 * 10
    assert peak < 1_500_000, peak
    assert len(read_xlsx(export(client, LIST, "xlsx"))) == 2001


# --- the level lists and a run's movers ----------------------------------------------------------


@pytest.fixture
def runs(db, supervisor):
    from ratings.models import LevelOverride
    from tests.test_rating_pages import make_run

    a = factories.customer("city", account_no="C1", name="=1+2")
    b = factories.customer("city", account_no="C2", name="城区二号")
    x = factories.customer("county", account_no="X1", name="随县一号")
    make_run(dt.date(2026, 10, 31), {a: "green", b: "green", x: "green"})
    nov = make_run(dt.date(2026, 11, 30), {a: ("red", "R1;R10"), b: ("blue", "B2"), x: ("red", "R3")})
    # b computed blue, overridden red on the run's date: listed red, shown as 蓝色（人工调整） like the page
    LevelOverride.objects.create(
        customer=b, level="red", reason="核实", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    return {"nov": nov}


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_level_list_export(login, clerk_city, supervisor, runs, fmt):
    url = reverse("ratings:level", args=["red"])
    response = export(login(clerk_city), url, fmt)
    check_headers(response, "红色客户名单-20261130", fmt)
    table = rows_of(fmt, response)
    assert table[0] == ["户号", "单位名称", "供水公司", "评定等级", "符合条款"]
    name = "=1+2" if fmt == "xlsx" else "'=1+2"
    assert [r[:2] + r[3:] for r in table[1:]] == [
        ["C1", name, "红色", "R1 R10"],
        ["C2", "城区二号", "蓝色（人工调整）", "B2"],
    ]
    assert [r[0] for r in rows_of(fmt, export(login(supervisor), url, fmt))[1:]] == ["C1", "C2", "X1"]
    page = login(clerk_city).get(url).content.decode()
    assert "导出 Excel" in page and "?export=xlsx" in page


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_movers_export(login, clerk_city, supervisor, runs, fmt):
    url = reverse("ratings:run", args=[runs["nov"].pk])
    response = export(login(clerk_city), url, fmt, {"move": "down"})
    check_headers(response, "等级下降-20261130", fmt)
    table = rows_of(fmt, response)
    assert table[0] == ["户号", "单位名称", "供水公司", "上一批次", "本批次", "条款"]
    assert [[r[0], r[3], r[4]] for r in table[1:]] == [["C1", "绿色", "红色"], ["C2", "绿色", "蓝色"]]
    assert [r[0] for r in rows_of(fmt, export(login(supervisor), url, fmt, {"move": "down"}))[1:]] == ["C1", "C2", "X1"]
    assert rows_of(fmt, export(login(supervisor), url, fmt, {"move": "up"}))[1:] == []
    page = login(clerk_city).get(url, {"move": "down"}).content.decode()
    assert "move=down&amp;export=xlsx" in page


def test_rating_exports_anonymous_go_to_login(client, runs):
    for url in (reverse("ratings:level", args=["red"]), reverse("ratings:run", args=[runs["nov"].pk])):
        response = client.get(url, {"export": "csv"})
        assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- customers without a pledge ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_customers_without_a_pledge_export(login, clerk_city, supervisor, listed, fmt):
    url = reverse("pledges:coverage")
    city, county = listed["a"].company, listed["x"].company
    response = export(login(clerk_city), url, fmt)
    check_headers(response, f"{city.name}未签署承诺书客户", fmt)
    table = rows_of(fmt, response)
    assert table[0] == ["户号", "单位名称", "统一社会信用代码", "立户日期"]
    name = "=1+2" if fmt == "xlsx" else "'=1+2"
    assert table[1:] == [
        ["C1", name, listed["a"].uscc, "2019-01-01"],
        ["C2", listed["b"].name, listed["b"].uscc, "2019-01-01"],
    ]
    # another company's list is not found for a clerk, as the page is
    assert export(login(clerk_city), url, fmt, {"company": county.pk}).status_code == 404
    county_rows = rows_of(fmt, export(login(supervisor), url, fmt, {"company": county.pk}))
    assert [r[0] for r in county_rows[1:]] == ["X1"]
    html = login(supervisor).get(url, {"company": county.pk}).content.decode()
    assert f"?company={county.pk}&amp;export=xlsx" in html and "导出 CSV" in html


def test_customers_without_a_pledge_export_anonymous(client, listed):
    response = client.get(reverse("pledges:coverage"), {"export": "xlsx"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the repair queue ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_repair_queue_export(login, clerk_city, clerk_county, supervisor, fmt):
    from django.utils import timezone

    from repair.models import RepairRequest
    from tests.repair_support import lodge

    city = factories.customer("city", account_no="C1", name="=1+2")
    county = factories.customer("county", account_no="X1", name="随县一号")
    mine = lodge(city, clerk_city, events=[factories.event(city)])
    theirs = lodge(county, clerk_county, kind="objection", events=[factories.event(county)])
    RepairRequest.objects.filter(pk=theirs.pk).update(accept_by=timezone.localdate() - dt.timedelta(days=2))
    url = reverse("repair:queue")
    response = export(login(clerk_city), url, fmt)
    check_headers(response, "修复申请队列", fmt)
    table = rows_of(fmt, response)
    assert table[0] == [
        "期限",
        "期限类型",
        "是否超期",
        "申请编号",
        "类型",
        "客户",
        "户号",
        "公司",
        "状态",
        "提交人",
        "提交时间",
    ]
    assert [r[3] for r in table[1:]] == [mine.number]  # only the clerk's company
    row = dict(zip(table[0], table[1], strict=True))
    assert row["类型"] == "信用修复" and row["状态"] == "已提交" and row["期限类型"] == "受理期限"
    assert row["客户"] == ("=1+2" if fmt == "xlsx" else "'=1+2") and row["提交人"] == "城区客服"
    submitted = timezone.localtime(mine.submitted_at).strftime("%Y-%m-%d %H:%M:%S")
    assert row["提交时间"] == submitted  # Asia/Shanghai
    everyone = rows_of(fmt, export(login(supervisor), url, fmt))
    assert [r[3] for r in everyone[1:]] == [theirs.number, mine.number]
    assert everyone[1][2] == "超期" and everyone[1][4] == "异议"
    only = rows_of(fmt, export(login(supervisor), url, fmt, {"kind": "objection"}))
    assert [r[3] for r in only[1:]] == [theirs.number]
    html = login(supervisor).get(url, {"kind": "objection"}).content.decode()
    assert "kind=objection&amp;export=csv" in html


def test_repair_queue_export_anonymous(client, db):
    response = client.get(reverse("repair:queue"), {"export": "csv"})
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


# --- the audit log (admin changelist) ------------------------------------------------------------


@pytest.fixture
def administrator(db):
    return factories.user(
        "sysadmin", roles=("admin",), companies=("city", "county"), is_staff=True, is_superuser=True, first_name="张伟"
    )


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_audit_log_export_honours_the_changelist_filters(login, administrator, clerk_city, fmt):
    from django.utils import timezone

    from customers.models import AuditEntry

    customer = factories.customer("city", account_no="C1", name="=1+2")
    at = timezone.make_aware(dt.datetime(2026, 12, 3, 1, 30, 0), dt.UTC)  # 09:30:00 in Shanghai
    AuditEntry.objects.create(
        at=at,
        actor="clerk_city",
        user=clerk_city,
        action=AuditEntry.VOID,
        model="event",
        object_id="EV-XYZ",
        customer=customer,
        note="=cmd",
    )
    AuditEntry.objects.create(actor="command:import_records", action=AuditEntry.CREATE, model="bill", object_id="42")
    client = login(administrator)
    url = reverse("admin:customers_auditentry_export", args=[fmt])
    check_headers(client.get(url), "审计日志", fmt)
    table = rows_of(fmt, client.get(url))
    assert table[0] == ["时间", "操作者", "操作", "对象类型", "对象", "客户", "备注"]
    assert len(table) == AuditEntry.objects.count() + 1
    voided = rows_of(fmt, client.get(url, {"action": "void", "q": "EV-XYZ"}))
    assert len(voided) == 2
    row = dict(zip(voided[0], voided[1], strict=True))
    assert row["时间"] == "2026-12-03 09:30:00" and row["操作者"] == "城区客服" and row["对象"] == "EV-XYZ"
    assert row["客户"] == "C1 =1+2"
    assert row["备注"] == ("=cmd" if fmt == "xlsx" else "'=cmd")
    assert row["操作"] != "void"
    bills = rows_of(fmt, client.get(url, {"model": "bill"}))
    assert [r[1] for r in bills[1:]] == ["系统：导入数据"] and bills[1][3] != "bill"
    # the changelist links to both, keeping its filters
    html = client.get(reverse("admin:customers_auditentry_changelist"), {"action": "void"}).content.decode()
    assert "导出 Excel" in html and f"export/{fmt}/?action=void" in html


def test_audit_log_export_is_for_administrators_only(login, clerk_city, supervisor, client, db):
    url = reverse("admin:customers_auditentry_export", args=["csv"])
    assert client.get(url)["Location"].startswith(reverse("admin:login"))
    for user in (clerk_city, supervisor):
        response = login(user).get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
