"""变更记录 and the admin's audit log read in Chinese: choices by their labels, records by their numbers,
people by their names, commands and tasks in words, times in Asia/Shanghai; an automatic breach is the
system's, not the clerk's who recorded the event."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers import audit
from customers.models import AuditEntry, Event
from customers.services import record_event
from pledges.models import PledgeState
from ratings.overrides import set_override
from repair import services as repair_services
from tests import factories
from tests.pledge_support import signed_on
from tests.repair_support import lodge, sign_pledge_for

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
ENGLISH = ("yellow", "prepaid", "institution", "+00:00", "command:", "pledges/scans/", "application/pdf", "task:")


def _history_tables(client, customer) -> str:
    """The rendered history table of every page, joined."""
    url = reverse("customers:history", args=[customer.account_no])
    html, page = "", 1
    while True:
        response = client.get(url, {"page": page})
        text = response.content.decode()
        html += text[
            text.index('data-testid="history"') : text.index("</table>\n  </div>", text.index('data-testid="history"'))
        ]
        if not response.context["page"].has_next():
            return html
        page += 1


@pytest.fixture
def busy_customer(login, clerk_city, supervisor):
    """A customer whose history holds an import, an event recorded and voided, a signed pledge breached by a
    later event, an approved repair and a level override."""
    customer = factories.customer("city", account_no="H0001", name="随州历史测试有限公司")
    with audit.acting_as("command:seed_demo"):
        audit.record(AuditEntry.CREATE, customer, None, audit.snapshot(customer))
    today = timezone.localdate()
    # Signed at 14:05 Shanghai (06:05 UTC).
    with time_machine.travel(dt.datetime(2026, 3, 2, 14, 5, tzinfo=SHANGHAI), tick=False):
        pledge = signed_on(customer, clerk_city, dt.date(2026, 3, 2))
    client = login(clerk_city)
    client.post(
        reverse("customers:event_create", args=[customer.account_no]),
        {"type": "pipe_outage", "occurred_on": today.isoformat(), "pipe_diameter_mm": "200"},
    )
    outage = Event.objects.get(customer=customer, type="pipe_outage")
    login(supervisor).post(
        reverse("customers:event_void", args=[customer.account_no, outage.pk]), {"reason": "管径录错"}
    )
    # Recorded by the clerk: the pledge is breached by the system.
    theft = record_event(
        customer,
        user=clerk_city,
        type="water_theft",
        amount=Decimal("15000.00"),
        occurred_on=today - dt.timedelta(days=90),
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    call_command("run_rating", "--as-of", (today - dt.timedelta(days=1)).isoformat(), stdout=io.StringIO())
    req = lodge(customer, clerk_city, events=[theft])
    repair_services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    repair_services.approve(req.pk, user=supervisor, reason="整改到位")
    set_override(customer, "yellow", "经复核调整", None, supervisor)
    return {"customer": customer, "pledge": pledge, "theft": theft, "repair": req, "outage": outage}


def test_history_reads_in_chinese(login, clerk_city, busy_customer):
    customer, pledge, theft = busy_customer["customer"], busy_customer["pledge"], busy_customer["theft"]
    html = _history_tables(login(clerk_city), customer)
    for code in ENGLISH:
        assert code not in html, code
    # the import: actor in words, kind / payment mode / company by their labels
    assert "系统：演示数据" in html and "预存" in html
    assert "城市供水公司" in html
    # people by their names, never usernames
    assert "城区客服" in html and "主管" in html
    assert ">clerk_city<" not in html and ">supervisor<" not in html
    # the pledge by its 承诺编码, its scan as a file kind
    assert f"信用承诺书 {pledge.number}" in html and f"信用承诺书 {pledge.pk}<" not in html
    assert "已上传文件" in html and "PDF 文件" in html and pledge.scan_sha256 not in html
    # the breach names the event by its number and type, and is the system's
    # (the number is kept on one line in a span: read the text around it)
    assert f"{theft.ref}（{theft.get_type_display()}）" in re.sub(r"<span[^>]*>|</span>", "", html)
    assert "系统：履约自动认定" in html
    # the repair: levels by their colours, the event by its number
    assert busy_customer["repair"].number in html
    assert "红色" in html and "黄色" in html
    # void: 是/否 and the reason
    assert "管径录错" in html
    # times in Asia/Shanghai, like the rest of the site
    assert "2026-03-02 14:05" in html and "2026-03-02 06:05" not in html


def test_breach_entry_is_the_systems_not_the_clerks(busy_customer, clerk_city):
    pledge = busy_customer["pledge"]
    breach = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), after__state="breached").earliest("id")
    assert breach.actor == "system:pledge_breach" and breach.user_id is None
    assert audit.actor_label(breach.actor) == "系统：履约自动认定"


@pytest.mark.parametrize(
    ("label", "words"),
    [
        ("command:seed_demo", "系统：演示数据"),
        ("command:import_records", "系统：导入数据"),
        ("command:build_batch", "系统：生成报送批次"),
        ("command:import_return", "系统：导入平台退回文件"),
        ("task:ratings.monthly_rating", "系统：月度评级"),
        ("task:pledges.build_batch", "系统：批量打印承诺书"),
        ("task:reporting.build_after_run", "系统：生成报送批次"),
        ("system", "系统"),
        ("command:something_new", "系统：command:something_new"),
    ],
)
def test_commands_and_tasks_read_in_words(label, words):
    assert audit.actor_label(label) == words


def test_a_user_reads_as_their_name(clerk_city):
    assert audit.actor_label("clerk_city", audit.person_name(clerk_city)) == "城区客服"


def test_history_query_count_does_not_grow_with_entries(
    login, busy_customer, clerk_city, django_assert_max_num_queries
):
    customer = busy_customer["customer"]
    client = login(clerk_city)
    url = reverse("customers:history", args=[customer.account_no])
    client.get(url)
    # session, user, groups, companies, the customer, the page of entries and its count, the nav badge,
    # and one query per kind of record the entries name (users, companies, events, pledges, templates,
    # repair requests, overrides, rating results)
    with django_assert_max_num_queries(18):
        assert client.get(url).status_code == 200
    for i in range(20):
        audit.record(AuditEntry.UPDATE, customer, {"name": f"旧{i}"}, {"name": f"新{i}"})
    with django_assert_max_num_queries(18):
        assert client.get(url).status_code == 200


def test_admin_audit_list_reads_in_chinese(admin_client, busy_customer):
    url = reverse("admin:customers_auditentry_changelist")
    html = admin_client.get(url).content.decode()
    filters = html[html.index('id="changelist-filter"') :]
    for label in ("供水客户", "信用事件", "信用承诺书", "账单"):
        assert label in filters
    assert ">bill<" not in filters and ">customer<" not in filters and ">event<" not in filters
    rows = html[html.index('id="result_list"') : html.index("</table>", html.index('id="result_list"'))]
    assert "城区客服" in rows and "主管" in rows and "系统：履约自动认定" in rows and "系统：演示数据" in rows
    assert "command:" not in rows and "+00:00" not in rows and ">clerk_city<" not in rows
    assert "信用承诺书" in rows and busy_customer["pledge"].number in rows
    first = AuditEntry.objects.order_by("-at", "-id").first()
    assert timezone.localtime(first.at).strftime("%Y-%m-%d %H:%M") in rows
    # the model filter filters
    only_pledges = admin_client.get(url, {"model": "pledge"}).content.decode()
    assert "信用承诺书" in only_pledges


def test_admin_audit_entry_shows_a_chinese_table_not_json(admin_client, busy_customer):
    pledge = busy_customer["pledge"]
    breach = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), after__state="breached").earliest("id")
    html = admin_client.get(reverse("admin:customers_auditentry_change", args=[breach.pk])).content.decode()
    assert (
        "未履行" in html and "已签署" in html and busy_customer["outage"].ref in html
    )  # the first breach, voided later
    assert '"state"' not in html and "breached" not in html and "系统：履约自动认定" in html
