"""Names, codes and notes with control characters, bidi overrides and unbounded length (issue 14, item 7).

One rule set (customers/validation.py) for the forms, the importer and the admin: a single-line field
refuses control, bidi and invisible characters; a multi-line note keeps tabs and line breaks; every text
field is bounded, and the message names the field and the limit. A name with U+202E (which made a
pledge PDF show "ALTRgpj.exe" as "ALTexe.jpg") is refused wherever a name can enter, so the pledge PDF
can never be spoofed.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from customers.models import Customer, Event
from customers.validation import NOTE_MAX, FieldError, check_text
from tests import factories
from tests.test_importer import (
    CUSTOMER_HEADER,
    EVENT_HEADER,
    ROOT,
    customer_row,
    db_state,
    errors_of,
    event_row,
    imported,
    write_csv,
)

SPOOF = "ALT\u202egpj.exe"


@pytest.mark.parametrize(
    "text, multiline, reason",
    [
        ("a\x00b", False, "空字符 NUL（第 2 个字符）"),
        ("a\x00b", True, "空字符 NUL"),
        (SPOOF, False, "文字方向控制符 U+202E（第 4 个字符）"),
        ("a\u2066b", True, "文字方向控制符 U+2066"),
        ("a\u200bb", False, "不可见字符 U+200B"),
        ("a\x1bb", True, "控制字符 U+001B"),
        ("a\x85b", False, "控制字符 U+0085"),
        ("第一行\n第二行", False, "换行符"),
        ("a\tb", False, "制表符"),
    ],
)
def test_check_text_names_the_character_and_where_it_is(text, multiline, reason):
    with pytest.raises(FieldError, match=re.escape(reason)):
        check_text(text, multiline=multiline)


def test_notes_keep_tabs_and_line_breaks_and_chinese_punctuation():
    check_text("第一行\t制表符\r\n第二行：（说明）；结束。", multiline=True, max_length=100)
    with pytest.raises(FieldError, match="最多 5 个字符，实际 6 个"):
        check_text("六个字的话啊", max_length=5)


# --- the event form ------------------------------------------------------------------------------


def _post_event(client, customer, **data):
    base = {"type": "contract_violation", "occurred_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    return client.post(reverse("customers:event_create", args=[customer.account_no]), {**base, **data})


@pytest.mark.django_db
def test_a_9_mb_note_is_refused_naming_the_field_and_the_limit(login, clerk_city, city_customer):
    before = Event.objects.count()
    response = _post_event(login(clerk_city), city_customer, note="水" * (9 * 1024 * 1024 // 3))
    assert response.status_code == 200
    html = response.content.decode()
    assert f"说明：最多 {NOTE_MAX} 个字符，实际 {9 * 1024 * 1024 // 3} 个" in html
    assert len(html) < 200_000  # the refused text is not echoed back in full
    assert Event.objects.count() == before


@pytest.mark.django_db
def test_a_note_with_a_bidi_override_is_refused_and_one_with_line_breaks_kept(login, clerk_city, city_customer):
    client = login(clerk_city)
    response = _post_event(client, city_customer, note="违约\u202e用水")
    assert "说明：不能包含文字方向控制符 U+202E（第 3 个字符）" in response.content.decode()
    assert not Event.objects.filter(customer=city_customer).exists()
    response = _post_event(client, city_customer, note="第一行\r\n第二行\t完")
    assert response.status_code == 302
    assert Event.objects.get(customer=city_customer).note == "第一行\r\n第二行\t完"


@pytest.mark.django_db
def test_a_void_reason_with_a_control_character_is_refused(login, supervisor, city_customer):
    event = factories.event(city_customer)
    response = login(supervisor).post(
        reverse("customers:event_void", args=[city_customer.account_no, event.pk]), {"reason": "录入\x1b错误"}
    )
    assert "作废原因：不能包含控制字符 U+001B" in response.content.decode()
    event.refresh_from_db()
    assert not event.voided_at


# --- the admin -----------------------------------------------------------------------------------


def _admin_customer_post(customer, **changes):
    data = {
        "name": customer.name,
        "uscc": customer.uscc,
        "company": customer.company_id,
        "opened_on": customer.opened_on.isoformat(),
        "payment_mode": customer.payment_mode,
        "legal_representative": "",
        "phone": "",
        "address": "",
    }
    data.update(changes)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    "field, value, message",
    [
        ("name", SPOOF, "单位名称：不能包含文字方向控制符 U+202E（第 4 个字符）"),
        ("name", "名" * 201, "单位名称：最多 200 个字符，实际 201 个"),
        ("legal_representative", "张\x00三", "法定代表人：不能包含空字符 NUL"),
        ("address", "随州\u2067市", "用水地址：不能包含文字方向控制符 U+2067"),
    ],
)
def test_the_admin_refuses_what_the_pages_refuse(admin_client, city_customer, field, value, message):
    url = reverse("admin:customers_customer_change", args=[city_customer.pk])
    response = admin_client.post(url, _admin_customer_post(city_customer, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Customer.objects.get(pk=city_customer.pk).name == city_customer.name


@pytest.mark.django_db
def test_the_admin_refuses_a_bidi_override_in_a_user_name(admin_client, clerk_city):
    url = reverse("admin:auth_user_change", args=[clerk_city.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    data = {
        "username": clerk_city.username,
        "first_name": "陈\u202e静",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "08:00:00",
        "Company_members-TOTAL_FORMS": "0",
        "Company_members-INITIAL_FORMS": "0",
    }
    response = admin_client.post(url, data)
    assert "不能包含文字方向控制符 U+202E" in response.content.decode()
    clerk_city.refresh_from_db()
    assert clerk_city.first_name == "城区客服"


# --- the importer, on the database the test runs on (PostgreSQL under DATABASE_URL) ---------------


@pytest.mark.django_db
def test_the_importer_refuses_a_spoofing_name_and_an_overlong_note(tmp_path):
    path = write_csv(
        tmp_path / "c.csv", CUSTOMER_HEADER, [customer_row("S001", 1, name=SPOOF), customer_row("S002", 2)]
    )
    before = db_state()
    result = imported("customers", path)
    assert errors_of(result) == [(2, "name", "不能包含文字方向控制符 U+202E（第 4 个字符）")]
    assert db_state() == before
    customer = factories.customer("city")
    path = write_csv(
        tmp_path / "e.csv",
        EVENT_HEADER,
        [event_row("N1", customer.account_no, note="长" * (NOTE_MAX + 1)), event_row("N2", customer.account_no)],
    )
    errors = errors_of(imported("events", path))
    assert errors == [(2, "note", f"最多 {NOTE_MAX} 个字符，实际 {NOTE_MAX + 1} 个")]
    assert not Event.objects.filter(customer=customer).exists()


@pytest.mark.django_db(transaction=True)
def test_import_records_lists_nul_and_bidi_rows_without_a_traceback(tmp_path):
    """The command, as the billing system's job runs it, against the test database (PostgreSQL's COPY
    used to fail on NUL with CharacterNotInRepertoire)."""
    from django.db import connection

    path = write_csv(
        tmp_path / "c.csv",
        CUSTOMER_HEADER,
        [customer_row("S001", 1, name="随州\x00公司"), customer_row("S002", 2, legal_representative="张\u202e三")],
    )
    env = {**os.environ, "DATABASE_URL": _database_url(connection)}
    done = subprocess.run(
        [sys.executable, "manage.py", "import_records", "customers", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "DataError" not in done.stderr
    assert "row 2, column name: 含有不可见的控制字符 U+0000" in done.stderr
    assert "row 3, column legal_representative: 不能包含文字方向控制符 U+202E" in done.stderr
    assert not Customer.objects.filter(account_no__in=["S001", "S002"]).exists()


def _database_url(connection) -> str:
    s = connection.settings_dict
    if connection.vendor != "postgresql":
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


# --- the pledge PDF cannot be spoofed ------------------------------------------------------------


@pytest.mark.django_db
def test_the_pledge_pdf_cannot_carry_a_spoofing_name(login, clerk_city, admin_client, tmp_path):
    """Every way a customer's name enters refuses U+202E; the PDF then shows the name as it is."""
    customer = factories.customer("city", name="随州市示范有限公司")
    # 1. the importer
    path = write_csv(tmp_path / "c.csv", CUSTOMER_HEADER, [customer_row(customer.account_no, 1, name=SPOOF)])
    assert [c for _r, c, _m in errors_of(imported("customers", path))] == ["name"]
    # 2. the admin
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    assert "U+202E" in admin_client.post(url, _admin_customer_post(customer, name=SPOOF)).content.decode()
    customer.refresh_from_db()
    assert customer.name == "随州市示范有限公司"
    # 3. the pledge made for the customer, as printed
    client = login(clerk_city)
    client.post(reverse("pledges:prepare", args=[customer.account_no]))
    pledge = customer.pledges.get()
    response = client.get(reverse("pledges:pdf", args=[pledge.pk]))
    pdf = tmp_path / "pledge.pdf"
    pdf.write_bytes(response.content)
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "随州市示范有限公司" in text.replace(" ", "").replace("\n", "")
    assert not any(ch in text for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@pytest.mark.django_db
def test_the_import_page_lists_nul_and_bidi_rows_and_writes_nothing(
    login, clerk_city, eager_celery, django_capture_on_commit_callbacks
):
    """The same file through the page (an import job), on PostgreSQL when DATABASE_URL names it."""
    from tests.test_importer_page import csv_upload

    rows = [customer_row("S001", 1, name="随州\x00公司"), customer_row("S002", 2, name=SPOOF)]
    client = login(clerk_city)
    before = db_state()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("customers:import"), {"kind": "customers", "file": csv_upload(CUSTOMER_HEADER, rows)}
        )
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200 and "Traceback" not in html
    assert "U+0000" in html and "不能包含文字方向控制符 U+202E（第 4 个字符）" in html
    assert db_state() == before
