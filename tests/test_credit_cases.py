"""信用案例 (Annex 2, tasks 6 and 7): a clerk writes a case naming customers and records, a supervisor other
than the author reviews it, a supervisor reports it with the date; list, filters, export, one case's PDF and
the month's PDF (read back with pdftotext); scoped to the user's companies and roles."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry
from reporting import cases, checks
from reporting.models import CheckMatter, CreditCase
from tests import factories

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()


def _form(customer, **over):
    data = {
        "company": str(customer.company_id),
        "kind": "punish",
        "title": "对窃水用户实施失信惩戒",
        "occurred_on": timezone.localdate().isoformat(),
        "accounts": customer.account_no,
        "records": "",
        "actions": "核实窃水事实后，依照附件4认定为红色等级，暂停容缺受理。",
        "effect": "用户补缴水费并签署信用承诺书。",
    }
    data.update(over)
    return data


def _case(customer, user, **over):
    fields = {
        "kind": "graded",
        "title": "分级分类监管案例",
        "occurred_on": timezone.localdate(),
        "actions": "按等级开展差异化监管。",
        "effect": "红色用户减少。",
        "accounts": customer.account_no,
    }
    fields.update(over)
    return cases.create_case(customer.company, user=user, **fields)


def test_clerk_writes_a_case_naming_customers_and_records(login, clerk_city, city_customer):
    event = factories.event(city_customer, "water_theft", amount="800.00")
    check = checks.record_check(
        city_customer,
        checked_on=timezone.localdate(),
        matter=CheckMatter.objects.get(name="过户"),
        sources=["report"],
        result="dishonest",
        usage="supervise",
        note="失信记录",
        user=clerk_city,
    )
    client = login(clerk_city)
    response = client.post(
        reverse("reporting:work_case_new"), _form(city_customer, records=f"{event.ref}，{check.number}")
    )
    case = CreditCase.objects.get()
    assert response.status_code == 302 and response["Location"] == case.get_absolute_url()
    assert case.number == f"AL-CITY-{timezone.localdate():%Y%m}-001" and case.status == "draft"
    assert list(case.customers.all()) == [city_customer]
    assert list(case.events.all()) == [event] and list(case.checks.all()) == [check]
    assert AuditEntry.objects.filter(model="creditcase", object_id=case.number, action="create").exists()
    page = client.get(case.get_absolute_url()).content.decode()
    assert event.ref in page and check.number in page and "草稿" in page and "失信惩戒" in page


@pytest.mark.parametrize(
    "over, field, message",
    [
        ({"title": " "}, "title", "请填写标题"),
        ({"kind": ""}, "kind", "请选择案例类型"),
        ({"occurred_on": "2999-01-01"}, "occurred_on", "晚于今天"),
        ({"accounts": "NOSUCH01"}, "accounts", "没有这些户号：NOSUCH01"),
        ({"records": "WEB-NOPE"}, "records", "所填客户没有这些记录：WEB-NOPE"),
        ({"effect": ""}, "effect", "请填写取得成效"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(login, clerk_city, city_customer, over, field, message):
    response = login(clerk_city).post(reverse("reporting:work_case_new"), _form(city_customer, **over))
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors[field])
    assert not CreditCase.objects.exists()


def test_another_companys_customer_or_company_is_refused(login, clerk_city, city_customer, county_customer):
    client = login(clerk_city)
    response = client.post(
        reverse("reporting:work_case_new"), _form(city_customer, accounts=county_customer.account_no)
    )
    assert "没有这些户号" in " ".join(response.context["form"].errors["accounts"])
    response = client.post(reverse("reporting:work_case_new"), _form(county_customer))
    assert "请选择您所属的公司" in " ".join(response.context["form"].errors["company"])
    assert not CreditCase.objects.exists()


def test_review_by_another_supervisor_then_report_with_a_date(login, supervisor, supervisor_city, city_customer):
    case = _case(city_customer, supervisor)
    own = login(supervisor)
    page = own.get(case.get_absolute_url()).content.decode()
    assert "须由另一位审核主管审核" in page
    own.post(reverse("reporting:work_case_action", args=[case.number, "review"]))
    case.refresh_from_db()
    assert case.status == "draft"  # the author cannot review their own case

    other = login(supervisor_city)
    other.post(reverse("reporting:work_case_action", args=[case.number, "review"]))
    case.refresh_from_db()
    assert case.status == "reviewed" and case.reviewed_by == supervisor_city
    # A reviewed case is no longer changed.
    assert other.get(reverse("reporting:work_case_edit", args=[case.number]))["Location"] == case.get_absolute_url()

    url = reverse("reporting:work_case_action", args=[case.number, "report"])
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    response = other.post(url, {"reported_on": future})
    assert response.status_code == 400 and "晚于今天" in response.content.decode()
    response = other.post(url, {"reported_on": "2026-13-01"})
    assert response.status_code == 400 and "上报日期格式不正确" in response.content.decode()
    case.refresh_from_db()
    assert case.status == "reviewed"
    other.post(url, {"reported_on": timezone.localdate().isoformat()})
    case.refresh_from_db()
    assert case.status == "reported" and case.reported_on == timezone.localdate()
    assert AuditEntry.objects.filter(model="creditcase", object_id=case.number, action="update").count() == 2


def test_a_clerk_writes_and_edits_but_does_not_review(login, clerk_city, city_customer):
    case = _case(city_customer, clerk_city)
    client = login(clerk_city)
    assert client.post(reverse("reporting:work_case_action", args=[case.number, "review"])).status_code == 403
    response = client.post(
        reverse("reporting:work_case_edit", args=[case.number]), _form(city_customer, title="修改后的标题")
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.title == "修改后的标题"


def test_scope_and_the_service_center(login, clerk_county, service_center, clerk_city, city_customer):
    case = _case(city_customer, clerk_city)
    county = login(clerk_county)
    for url in (
        case.get_absolute_url(),
        reverse("reporting:work_case_pdf", args=[case.number]),
        reverse("reporting:work_case_edit", args=[case.number]),
    ):
        assert county.get(url).status_code == 404, url
    assert case.number not in county.get(reverse("reporting:work_cases")).content.decode()
    centre = login(service_center)
    assert case.number in centre.get(reverse("reporting:work_cases")).content.decode()
    assert centre.get(reverse("reporting:work_case_new")).status_code == 403
    assert centre.post(reverse("reporting:work_case_action", args=[case.number, "review"])).status_code == 403


def test_list_filters_and_export(login, supervisor, clerk_city, clerk_county, city_customer, county_customer):
    today = timezone.localdate()
    last_month = today.replace(day=1) - dt.timedelta(days=1)
    a = _case(city_customer, clerk_city, kind="reward", title="守信激励：容缺受理")
    b = _case(county_customer, clerk_county, kind="repair", title="信用修复案例", occurred_on=last_month)
    client = login(supervisor)
    url = reverse("reporting:work_cases")

    def numbers(**params):
        return {c.number for c in client.get(url, params).context["page"]}

    assert numbers() == {a.number, b.number}
    assert numbers(kind="repair") == {b.number}
    assert numbers(month=f"{last_month:%Y-%m}") == {b.number}
    assert numbers(company=str(city_customer.company_id)) == {a.number}
    response = client.get(url, {"month": "2026-13"})
    assert response.status_code == 200 and "月份格式不正确" in response.content.decode()
    export = client.get(url, {"export": "xlsx", "kind": "reward"})
    rows = list(
        openpyxl.load_workbook(io.BytesIO(b"".join(export.streaming_content))).active.iter_rows(values_only=True)
    )
    assert rows[0][:4] == ("案例编号", "所属公司", "案例类型", "标题") and len(rows) == 2
    assert rows[1][0] == a.number and rows[1][2] == "守信激励" and city_customer.account_no in rows[1][5]


def test_pdf_of_one_case_and_of_the_month(login, supervisor, clerk_city, city_customer, county_customer, clerk_county):
    today = timezone.localdate()
    a = _case(city_customer, clerk_city, title="对红色用户加强监管的案例")
    b = _case(county_customer, clerk_county, title="随县守信激励案例", kind="reward")
    client = login(supervisor)
    one = client.get(reverse("reporting:work_case_pdf", args=[a.number]))
    assert one["Content-Type"] == "application/pdf"
    text = pdf_text(one.content)
    assert "对红色用户加强监管的案例" in text and a.number in text and city_customer.uscc in text
    assert "主要做法" in text and "按等级开展差异化监管" in text

    month = client.get(reverse("reporting:work_cases_pdf"), {"month": f"{today:%Y-%m}"})
    text = pdf_text(month.content)
    assert "对红色用户加强监管的案例" in text and "随县守信激励案例" in text
    city_only = client.get(
        reverse("reporting:work_cases_pdf"), {"month": f"{today:%Y-%m}", "company": str(city_customer.company_id)}
    )
    text = pdf_text(city_only.content)
    assert a.number in text and b.number not in text
    # A month without cases, or a malformed one, leads back to the list with a message.
    empty = client.get(reverse("reporting:work_cases_pdf"), {"month": "2001-01"}, follow=True)
    assert "2001-01 没有信用案例" in empty.content.decode()
    bad = client.get(reverse("reporting:work_cases_pdf"), {"month": "13"}, follow=True)
    assert "请选择月份" in bad.content.decode()
