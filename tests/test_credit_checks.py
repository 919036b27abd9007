"""信用核查 (Annex 2, task 5): a clerk records a check from the credit file, a dishonesty it found becomes a
credit event in one step, the file shows a 信用核查 card, the list filters and exports 信用核查应用反馈;
every page scoped to the user's companies and roles."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry, Event
from pledges.demo import tiny_scan_pdf
from reporting import checks
from reporting.models import CheckMatter, CreditCheck
from tests import factories

pytestmark = pytest.mark.django_db


def _pdf(name="核查报告.pdf"):
    return SimpleUploadedFile(name, tiny_scan_pdf("credit report"), content_type="application/pdf")


def _form(**over):
    data = {
        "checked_on": timezone.localdate().isoformat(),
        "matter": str(CheckMatter.objects.get(name="过户").pk),
        "sources": ["report", "xyzg"],
        "result": "clean",
        "usage": "normal",
        "note": "",
    }
    data.update(over)
    return data


def _record(customer, user, **over):
    fields = {
        "checked_on": timezone.localdate(),
        "matter": CheckMatter.objects.get(name="新装用水"),
        "sources": ["report"],
        "result": "clean",
        "usage": "fast_track",
        "note": "",
    }
    fields.update(over)
    return checks.record_check(customer, user=user, **fields)


def test_migration_holds_the_matters_and_the_service_center_role():
    from django.contrib.auth.models import Group

    names = list(CheckMatter.objects.values_list("name", flat=True))
    assert names[:5] == ["新装用水", "过户", "增容", "报装", "招投标"]
    assert Group.objects.filter(name="service_center").exists()


def test_clerk_records_a_check_with_its_report(login, clerk_city, city_customer):
    client = login(clerk_city)
    url = reverse("reporting:work_check_new", args=[city_customer.account_no])
    response = client.post(url, {**_form(), "attachment": _pdf()})
    check = CreditCheck.objects.get(customer=city_customer)
    assert response.status_code == 302 and response["Location"] == check.get_absolute_url()
    today = timezone.localdate()
    assert check.number == f"HC-CITY-{today:%Y%m%d}-0001"
    assert check.sources_text == "公共信用信息报告、信用中国查询"
    assert check.attachment_name == "核查报告.pdf" and len(check.attachment_sha256) == 64
    entry = AuditEntry.objects.get(model="creditcheck")
    assert entry.customer_id == city_customer.pk and entry.object_id == check.number and entry.user_id == clerk_city.pk

    page = client.get(check.get_absolute_url()).content.decode()
    assert "过户" in page and "无不良记录" in page and "正常办理" in page and "城区客服" in page
    attachment = client.get(reverse("reporting:work_check_attachment", args=[check.number]))
    assert attachment["Content-Type"] == "application/pdf"
    assert b"".join(attachment.streaming_content).startswith(b"%PDF")

    # The credit file's card lists it with the result and how it was used.
    file_page = client.get(city_customer.get_absolute_url()).content.decode()
    assert 'data-testid="check-card"' in file_page and check.get_absolute_url() in file_page
    assert "应用情况：正常办理" in file_page
    # ... and the file's history names it by its number.
    history = client.get(reverse("customers:history", args=[city_customer.account_no])).content.decode()
    assert check.number in history


@pytest.mark.parametrize(
    "over, field, message",
    [
        ({"checked_on": "2999-01-01"}, "checked_on", "晚于今天"),
        ({"checked_on": "2026/13/01"}, "checked_on", "核查日期格式不正确"),
        ({"sources": []}, "sources", "请至少选择一项核查内容"),
        ({"matter": ""}, "matter", "请选择核查事项"),
        ({"result": "dishonest", "usage": "supervise", "note": " "}, "note", "请在结果说明中写明查到的记录"),
        ({"usage": "refused"}, "usage", "无不良记录时，不能以信用核查为由不予受理"),
        ({"result": "nonsense"}, "result", "请选择核查结果"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(login, clerk_city, city_customer, over, field, message):
    response = login(clerk_city).post(
        reverse("reporting:work_check_new", args=[city_customer.account_no]), _form(**over)
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert field in errors and message in " ".join(errors[field])
    assert not CreditCheck.objects.exists() and not AuditEntry.objects.filter(model="creditcheck").exists()


def test_a_renamed_file_is_refused_and_nothing_is_stored(login, clerk_city, city_customer, media_root):
    fake = SimpleUploadedFile("report.pdf", b"MZ\x90\x00 not a pdf at all" * 20, content_type="application/pdf")
    response = login(clerk_city).post(
        reverse("reporting:work_check_new", args=[city_customer.account_no]), {**_form(), "attachment": fake}
    )
    assert response.status_code == 400
    assert "只接受 PDF、JPEG 或 PNG 文件" in " ".join(response.context["form"].errors["attachment"])
    assert not CreditCheck.objects.exists()
    assert not any(p.is_file() for p in media_root.rglob("*"))


def test_a_retired_matter_is_not_offered_and_an_added_one_is(login, clerk_city, city_customer):
    CheckMatter.objects.filter(name="招投标").update(active=False)
    CheckMatter.objects.create(name="临时用水", position=5)
    html = login(clerk_city).get(reverse("reporting:work_check_new", args=[city_customer.account_no])).content.decode()
    assert "临时用水" in html and "招投标" not in html
    retired = CheckMatter.objects.get(name="招投标")
    response = login(clerk_city).post(
        reverse("reporting:work_check_new", args=[city_customer.account_no]), _form(matter=str(retired.pk))
    )
    assert "所选核查事项不存在或已停用" in " ".join(response.context["form"].errors["matter"])


def test_dishonesty_becomes_an_event_in_one_step(login, clerk_city, city_customer):
    check = _record(
        city_customer, clerk_city, result="serious", usage="refused", note="被列入拖欠农民工工资失信联合惩戒名单"
    )
    client = login(clerk_city)
    detail = client.get(check.get_absolute_url()).content.decode()
    url = reverse("reporting:work_check_event", args=[check.number])
    assert url in detail  # 登记为失信事件

    form = client.get(url).context["form"]
    assert form.initial["type"] == "dishonesty_serious"
    assert form.initial["occurred_on"] == check.checked_on
    assert check.number in form.initial["note"] and "拖欠农民工工资" in form.initial["note"]

    response = client.post(
        url, {"type": "dishonesty_serious", "occurred_on": check.checked_on.isoformat(), "note": form.initial["note"]}
    )
    assert response.status_code == 302 and response["Location"] == city_customer.get_absolute_url()
    check.refresh_from_db()
    event = Event.objects.get(customer=city_customer)
    assert check.event == event and event.type == "dishonesty_serious" and event.created_by == clerk_city
    assert AuditEntry.objects.filter(model="event", object_id=event.ref, action="create").exists()
    assert AuditEntry.objects.filter(model="creditcheck", object_id=check.number, action="update").exists()
    file_page = client.get(city_customer.get_absolute_url()).content.decode()
    assert f'已登记事件 <span class="font-monospace">{event.ref}</span>' in file_page

    # Once only: the button is gone and the URL leads back with the event's number.
    assert url not in client.get(check.get_absolute_url()).content.decode()
    again = client.post(url, {"type": "dishonesty_general", "occurred_on": check.checked_on.isoformat()}, follow=True)
    assert event.ref in again.content.decode() and Event.objects.filter(customer=city_customer).count() == 1


def test_a_bad_event_form_records_nothing_and_links_nothing(login, clerk_city, city_customer):
    check = _record(city_customer, clerk_city, result="dishonest", usage="supervise", note="行政处罚记录一条")
    response = login(clerk_city).post(
        reverse("reporting:work_check_event", args=[check.number]),
        {"type": "dishonesty_general", "occurred_on": "2999-01-01"},
    )
    assert response.status_code == 400 and "occurred_on" in response.context["form"].errors
    check.refresh_from_db()
    assert check.event is None and not Event.objects.exists()


def test_a_clean_check_offers_no_event(login, clerk_city, city_customer):
    check = _record(city_customer, clerk_city)
    client = login(clerk_city)
    assert (
        reverse("reporting:work_check_event", args=[check.number])
        not in client.get(check.get_absolute_url()).content.decode()
    )
    response = client.get(reverse("reporting:work_check_event", args=[check.number]), follow=True)
    assert "该核查没有发现失信记录" in response.content.decode() and not Event.objects.exists()


def test_scope_and_roles(login, client, clerk_city, clerk_county, service_center, city_customer):
    check = _record(city_customer, clerk_city, result="dishonest", usage="supervise", note="失信记录")
    # Another company's clerk finds neither the check nor the customer.
    county = login(clerk_county)
    for url in (
        check.get_absolute_url(),
        reverse("reporting:work_check_attachment", args=[check.number]),
        reverse("reporting:work_check_event", args=[check.number]),
        reverse("reporting:work_check_new", args=[city_customer.account_no]),
    ):
        assert county.get(url).status_code == 404, url
    assert check.number not in county.get(reverse("reporting:work_checks")).content.decode()
    # The 客户服务中心 reads everything but records nothing.
    centre = login(service_center)
    assert check.number in centre.get(reverse("reporting:work_checks")).content.decode()
    page = centre.get(check.get_absolute_url()).content.decode()
    assert reverse("reporting:work_check_event", args=[check.number]) not in page
    assert centre.get(reverse("reporting:work_check_event", args=[check.number])).status_code == 403
    assert centre.post(reverse("reporting:work_check_new", args=[city_customer.account_no]), _form()).status_code == 403
    assert 'data-testid="check-new"' not in centre.get(city_customer.get_absolute_url()).content.decode()
    # No role at all: 403; anonymous: the login page.
    nobody = factories.user("nobody", roles=(), companies=("city",))
    assert login(nobody).get(reverse("reporting:work_checks")).status_code == 403
    client.logout()
    assert client.get(reverse("reporting:work_checks"))["Location"].startswith("/accounts/login/")


def test_list_filters_by_company_date_matter_and_result(
    login, supervisor, clerk_city, clerk_county, city_customer, county_customer
):
    today = timezone.localdate()
    old = _record(city_customer, clerk_city, checked_on=today - dt.timedelta(days=40))
    dishonest = _record(
        city_customer,
        clerk_city,
        matter=CheckMatter.objects.get(name="增容"),
        result="dishonest",
        usage="pledge",
        note="x",
    )
    county = _record(county_customer, clerk_county)
    client = login(supervisor)
    url = reverse("reporting:work_checks")

    def numbers(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return {c.number for c in response.context["page"]}

    assert numbers() == {old.number, dishonest.number, county.number}
    assert numbers(company=str(county_customer.company_id)) == {county.number}
    assert numbers(date_from=(today - dt.timedelta(days=7)).isoformat()) == {dishonest.number, county.number}
    assert numbers(date_to=(today - dt.timedelta(days=7)).isoformat()) == {old.number}
    assert numbers(matter=str(CheckMatter.objects.get(name="增容").pk)) == {dishonest.number}
    assert numbers(result="dishonest") == {dishonest.number}
    assert numbers(q=city_customer.account_no) == {old.number, dishonest.number}
    # A malformed date is said so, never a 500, and lists nothing.
    response = client.get(url, {"date_from": "2026-02-30"})
    assert response.status_code == 200 and "日期格式不正确" in response.content.decode()
    assert list(response.context["page"]) == []
    assert client.get(url, {"date_to": "99999-01-01\x00"}).status_code < 500


def test_feedback_export_one_row_a_check_scoped_and_filtered(
    login, clerk_city, clerk_county, city_customer, county_customer
):
    a = _record(city_customer, clerk_city, result="dishonest", usage="supervise", note='=HYPERLINK("x")')
    b = _record(city_customer, clerk_city, sources=["licence", "xyzg"])
    _record(county_customer, clerk_county)
    client = login(clerk_city)
    response = client.get(reverse("reporting:work_checks"), {"export": "xlsx"})
    assert response.status_code == 200
    assert quote("信用核查应用反馈") in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("核查编号", "核查日期", "所属公司") and "应用情况" in rows[0]
    assert len(rows) == 3  # the county's check is not the city clerk's
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_number[a.number]["核查结果"] == "有失信记录" and by_number[a.number]["应用情况"] == "加强监管"
    assert by_number[a.number]["结果说明"] == '=HYPERLINK("x")'  # a text cell, not a formula
    assert by_number[b.number]["核查内容"] == "企业法人公共信用电子证照、信用中国查询"
    assert by_number[b.number]["登记人"] == "城区客服" and by_number[b.number]["户号"] == city_customer.account_no
    filtered = client.get(reverse("reporting:work_checks"), {"export": "csv", "result": "dishonest"})
    text = b"".join(filtered.streaming_content).decode("utf-8-sig")
    assert a.number in text and b.number not in text


def test_administrator_extends_the_matter_list_in_the_admin(client):
    admin = factories.user("root", roles=("admin",), companies=("city", "county"), is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.post(
        reverse("admin:reporting_checkmatter_add"), {"name": "二次供水改造", "position": "80", "active": "on"}
    )
    assert response.status_code == 302
    assert CheckMatter.objects.filter(name="二次供水改造", active=True).exists()
    assert client.get(reverse("admin:reporting_creditcheck_changelist")).status_code == 200
