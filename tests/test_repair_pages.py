"""The repair pages per persona: lodging with evidence, the request page, decisions, the queue, the letter."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry
from ratings.models import RatingResult, RatingRun
from repair import services
from repair.models import Evidence, RepairRequest
from repair.workdays import add_working_days
from tests import factories
from tests.repair_support import evidence_file, lodge, pdf_bytes, png_bytes, sign_pledge_for, upload

pytestmark = pytest.mark.django_db
ACTIONS = ["accept", "refuse", "extend", "approve", "reject", "uphold", "dismiss"]


@pytest.fixture
def theft(city_customer):
    return factories.event(
        city_customer,
        "water_theft",
        amount=Decimal("12500.00"),
        occurred_on=timezone.localdate() - dt.timedelta(days=40),
    )


def test_clerk_lodges_with_several_evidence_files(login, clerk_city, city_customer, theft):
    client = login(clerk_city)
    page = client.get(reverse("repair:lodge", args=[city_customer.account_no]))
    assert page.status_code == 200 and theft.ref in page.content.decode()
    response = client.post(
        reverse("repair:lodge", args=[city_customer.account_no]),
        {
            "kind": "repair",
            "events": [theft.pk],
            "reason": "已赔偿损失并补缴水费",
            "files": [upload("补缴凭证.pdf"), upload("现场照片.png", png_bytes(), "image/png")],
        },
    )
    req = RepairRequest.objects.get()
    assert response.status_code == 302 and response["Location"] == req.get_absolute_url()
    assert sorted(e.original_name for e in req.evidence.all()) == ["现场照片.png", "补缴凭证.pdf"]
    html = client.get(req.get_absolute_url()).content.decode()
    assert req.number in html and "已赔偿损失并补缴水费" in html and "提交申请" in html and theft.ref in html
    assert "由审核主管受理和决定" in html  # a clerk sees no decision buttons
    # the credit file lists it
    file_html = client.get(city_customer.get_absolute_url()).content.decode()
    assert req.number in file_html and "申请信用修复/异议" in file_html


def test_a_bad_file_is_named_and_nothing_is_written(login, clerk_city, city_customer, theft):
    response = login(clerk_city).post(
        reverse("repair:lodge", args=[city_customer.account_no]),
        {
            "kind": "repair",
            "events": [theft.pk],
            "reason": "已整改",
            "files": [upload("好的.pdf"), upload("病毒.pdf", b"MZ\x90\x00 not a pdf at all", "application/pdf")],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "病毒.pdf" in html and "只接受 PDF、JPEG 或 PNG" in html
    assert not RepairRequest.objects.exists() and not Evidence.objects.exists()


def test_lodge_form_requires_a_record_and_a_reason(login, clerk_city, city_customer, theft):
    response = login(clerk_city).post(
        reverse("repair:lodge", args=[city_customer.account_no]), {"kind": "repair", "reason": ""}
    )
    html = response.content.decode()
    assert response.status_code == 200 and "请至少选择一条" in html and "申请理由" in html
    assert not RepairRequest.objects.exists()


def test_clerk_gets_403_on_every_decision_url(login, clerk_city, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    client = login(clerk_city)
    for action in ACTIONS:
        url = reverse("repair:act", args=[req.number, action])
        assert client.post(url, {f"{action}-reason": "x"}).status_code == 403, action
        assert client.get(url).status_code == 403, action
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.SUBMITTED


def test_other_company_clerk_gets_404_everywhere(login, clerk_city, clerk_county, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    evidence = req.evidence.get()
    client = login(clerk_county)
    urls = [
        reverse("repair:detail", args=[req.number]),
        reverse("repair:edit", args=[req.number]),
        reverse("repair:evidence", args=[req.number, evidence.pk]),
        reverse("repair:lodge", args=[city_customer.account_no]),
        reverse("repair:letter", args=[req.number]),
        *(reverse("repair:act", args=[req.number, a]) for a in ACTIONS),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert client.post(reverse("repair:act", args=[req.number, "accept"])).status_code == 404
    for name in ("pledge_prepare", "pledge_sign", "add_evidence"):
        assert client.post(reverse(f"repair:{name}", args=[req.number])).status_code == 404, name
    req.refresh_from_db()
    assert req.pledge is None and req.evidence.count() == 1
    queue = client.get(reverse("repair:queue")).content.decode()
    assert req.number not in queue


def test_evidence_is_served_to_the_company_only(login, clerk_city, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    evidence = req.evidence.get()
    response = login(clerk_city).get(reverse("repair:evidence", args=[req.number, evidence.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    for pk in (evidence.pk + 1, 10**20):  # no such file; an id beyond the database's integers
        assert login(clerk_city).get(reverse("repair:evidence", args=[req.number, pk])).status_code == 404


def test_the_lodging_supervisor_is_refused_with_a_message(login, supervisor, city_customer, theft):
    req = lodge(city_customer, supervisor, events=[theft])
    client = login(supervisor)
    html = client.get(req.get_absolute_url()).content.decode()
    assert "双人审核" in html and 'data-testid="accept-submit"' not in html
    response = client.post(reverse("repair:act", args=[req.number, "accept"]), follow=True)
    assert "双人审核" in response.content.decode()
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.SUBMITTED


def test_supervisor_accepts_and_approves_on_the_page(login, clerk_city, supervisor, city_customer, theft):
    run = RatingRun.objects.create(as_of=timezone.localdate() - dt.timedelta(days=1), status="succeeded")
    RatingResult.objects.create(run=run, customer=city_customer, level="red", criteria="R3")
    req = lodge(city_customer, clerk_city, events=[theft])
    client = login(supervisor)
    response = client.post(reverse("repair:act", args=[req.number, "accept"]), {"accept-reason": ""}, follow=True)
    assert "已受理申请" in response.content.decode()
    # approving without a reason: the form says so, nothing changes
    sign_pledge_for(req, clerk_city)
    response = client.post(reverse("repair:act", args=[req.number, "approve"]), {"approve-reason": ""})
    assert response.status_code == 400 and "这个字段是必填项" in response.content.decode()
    response = client.post(
        reverse("repair:act", args=[req.number, "approve"]), {"approve-reason": "已赔偿,整改到位"}, follow=True
    )
    html = response.content.decode()
    assert "准予修复" in html and "本次修复使信用等级由红色恢复为绿色" in html and "已解除惩戒措施" in html
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.APPROVED and req.decided_by == supervisor
    # the history lists every step with who and why
    assert [row.what for row in __import__("repair.history").history.request_history(req)][-1] == "准予修复"
    assert "已赔偿,整改到位" in html and "待报送" in html
    file_html = client.get(city_customer.get_absolute_url()).content.decode()
    assert "解除惩戒" in file_html and "已修复" in file_html


def test_impossible_action_is_a_message_not_a_500(login, clerk_city, supervisor, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    client = login(supervisor)
    response = client.post(reverse("repair:act", args=[req.number, "approve"]), {"approve-reason": "x"}, follow=True)
    assert response.status_code == 200 and "当前状态为“已提交”，不能准予修复" in response.content.decode()
    assert client.post(reverse("repair:act", args=[req.number, "nonsense"])).status_code == 404


def test_queue_soonest_deadline_first_overdue_marked_filtered(
    login, clerk_city, clerk_county, supervisor, city_customer, county_customer, theft
):
    first = lodge(city_customer, clerk_city, events=[theft])
    second = lodge(county_customer, clerk_county, kind="objection", events=[factories.event(county_customer)])
    RepairRequest.objects.filter(pk=second.pk).update(accept_by=timezone.localdate() - dt.timedelta(days=2))
    decided = lodge(city_customer, clerk_city, events=[factories.event(city_customer)])
    services.refuse(decided.pk, user=supervisor, reason="不属于受理范围")
    client = login(supervisor)
    response = client.get(reverse("repair:queue"))
    html = response.content.decode()
    numbers = [row["req"].number for row in response.context["rows"]]
    assert numbers == [second.number, first.number]  # overdue one first; the refused one is not open
    assert html.count('data-testid="overdue-badge"') == 1
    counts = {(c["company"].code, c["kind"]): (c["open"], c["overdue"]) for c in response.context["counts"]}
    assert counts[("city", "repair")] == (1, 0) and counts[("county", "objection")] == (1, 1)
    county = factories.company("county")
    only = client.get(reverse("repair:queue"), {"company": county.pk, "kind": "objection"}).context["rows"]
    assert [r["req"].number for r in only] == [second.number]
    decided_rows = client.get(reverse("repair:queue"), {"state": "decided"}).context["rows"]
    assert [r["req"].number for r in decided_rows] == [decided.number]
    by_number = client.get(reverse("repair:queue"), {"state": "all", "q": second.number.lower()}).context["rows"]
    assert [r["req"].number for r in by_number] == [second.number]
    by_name = client.get(reverse("repair:queue"), {"state": "all", "q": county_customer.name[2:6]}).context["rows"]
    assert [r["req"].number for r in by_name] == [second.number]
    # the nav badge counts the open ones
    assert 'data-testid="nav-repair-count">2<' in html


def test_clerk_queue_shows_own_company_only(login, clerk_city, clerk_county, city_customer, county_customer, theft):
    mine = lodge(city_customer, clerk_city, events=[theft])
    theirs = lodge(county_customer, clerk_county, events=[factories.event(county_customer)])
    html = login(clerk_city).get(reverse("repair:queue")).content.decode()
    assert mine.number in html and theirs.number not in html


def test_decision_letter_pdf(login, clerk_city, supervisor, city_customer, theft, tmp_path):
    req = lodge(city_customer, clerk_city, events=[theft])
    client = login(clerk_city)
    assert client.get(reverse("repair:letter", args=[req.number])).status_code == 404  # not decided yet
    services.accept(req.pk, user=supervisor)
    services.reject(req.pk, user=supervisor, reason="损失尚未赔偿")
    response = client.get(reverse("repair:letter", args=[req.number]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path = tmp_path / "letter.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True, text=True).stdout
    for expected in (
        "信用修复决定书",
        req.number,
        city_customer.name,
        city_customer.uscc,
        "不予信用修复",
        "损失尚未赔偿",
        "窃水",
        "盖章处",
    ):
        assert expected in text, expected


def test_edit_while_submitted_makes_the_editor_unable_to_decide(login, clerk_city, supervisor, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    other = factories.event(city_customer, "contract_violation")
    client = login(supervisor)
    response = client.post(
        reverse("repair:edit", args=[req.number]), {"events": [theft.pk, other.pk], "reason": "补充一条"}
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert set(req.events.all()) == {theft, other} and req.reason == "补充一条"
    assert "双人审核" in client.get(req.get_absolute_url()).content.decode()
    entry = AuditEntry.objects.filter(model="repair", object_id=str(req.pk)).order_by("-id").first()
    assert entry.actor == "supervisor" and other.ref in entry.after["events"]


def test_pledge_steps_on_the_request_page(login, clerk_city, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    client = login(clerk_city)
    client.post(reverse("repair:pledge_prepare", args=[req.number]))
    req.refresh_from_db()
    assert req.pledge is not None and req.pledge.kind == "repair"
    html = client.get(req.get_absolute_url()).content.decode()
    assert reverse("pledges:print", args=[req.pledge.pk]) in html
    pdf = client.post(reverse("pledges:print", args=[req.pledge.pk]), follow=True)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    response = client.post(
        reverse("repair:pledge_sign", args=[req.number]),
        {"signed_on": timezone.localdate().isoformat(), "scan": upload("签署件.pdf", pdf_bytes())},
    )
    assert response.status_code == 302
    req.refresh_from_db()
    assert req.pledge.state == "signed" and req.pledge.number and services.pledge_ready(req)


def test_customer_history_names_the_request_steps(login, clerk_city, supervisor, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    services.accept(req.pk, user=supervisor)
    html = login(clerk_city).get(reverse("customers:history", args=[city_customer.account_no])).content.decode()
    assert "信用修复/异议申请" in html and "受理人" in html and "已受理" in html and "主管" in html


def test_anonymous_is_sent_to_log_in(client, clerk_city, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    for url in (
        reverse("repair:queue"),
        reverse("repair:detail", args=[req.number]),
        reverse("repair:lodge", args=[city_customer.account_no]),
        reverse("repair:act", args=[req.number, "accept"]),
        reverse("repair:letter", args=[req.number]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url


def test_request_page_and_queue_query_counts_are_fixed(
    login, clerk_city, supervisor, city_customer, theft, django_assert_max_num_queries
):
    req = lodge(city_customer, clerk_city, events=[theft, *(factories.event(city_customer) for _ in range(5))])
    services.accept(req.pk, user=supervisor)
    for _ in range(4):
        services.add_evidence(req.pk, [evidence_file()], user=clerk_city)
    for _ in range(10):
        lodge(city_customer, clerk_city, events=[factories.event(city_customer)])
    client = login(supervisor)
    client.get(req.get_absolute_url())
    # session, user, groups, companies, the request (+customer, company, users, pledge), editors, records (2),
    # evidence, history (entries, users), the administrator's workday dates, the nav badge; the approval
    # preview: the run, the stored result, the facts, then in a savepoint always rolled back the two
    # updates marking the records and the facts again (+ savepoint and its rollback)
    with django_assert_max_num_queries(21):
        assert client.get(req.get_absolute_url()).status_code == 200
    # session, user, groups, companies, the page of requests (no COUNT), the counts per company and kind,
    # the companies, the workday dates, the nav badge
    with django_assert_max_num_queries(9):
        response = client.get(reverse("repair:queue"))
    assert len(response.context["rows"]) == 11


def test_supervisor_upholds_an_objection_correcting_a_bill(login, clerk_city, supervisor, city_customer):
    late = factories.bill(city_customer, "2026-02", due_on=dt.date(2026, 3, 25), paid_on=dt.date(2026, 4, 10))
    other = factories.bill(city_customer, "2026-03", due_on=dt.date(2026, 4, 25), paid_on=dt.date(2026, 5, 3))
    req = lodge(city_customer, clerk_city, kind="objection", bills=[late, other])
    services.accept(req.pk, user=supervisor)
    client = login(supervisor)
    html = client.get(req.get_absolute_url()).content.decode()
    assert "2026-02 账单更正后的缴费日期" in html and 'data-testid="approve-submit"' not in html
    url = reverse("repair:act", args=[req.number, "uphold"])
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    response = client.post(url, {"uphold-reason": "银行扣款记录证明按期缴费", f"uphold-paid_on_{late.pk}": future})
    assert response.status_code == 400 and "不能晚于今天" in response.content.decode()
    late.refresh_from_db()
    assert late.paid_on == dt.date(2026, 4, 10)  # nothing half-written
    response = client.post(
        url, {"uphold-reason": "银行扣款记录证明按期缴费", f"uphold-paid_on_{late.pk}": "2026-03-20"}, follow=True
    )
    assert "异议成立" in response.content.decode()
    late.refresh_from_db()
    other.refresh_from_db()
    assert late.paid_on == dt.date(2026, 3, 20) and other.paid_on == dt.date(2026, 5, 3)


def test_bad_query_parameters_are_not_errors(login, supervisor):
    client = login(supervisor)
    for query in (
        {"company": "abc"},
        {"company": "99999999999999999999"},
        {"state": "zzz"},
        {"page": "x"},
        {"page": "-3"},
        {"page": "9" * 30},
        {"kind": "<script>"},
        {"q": "XF-" + "9" * 40},
        {"q": "%_\\"},
    ):
        response = client.get(reverse("repair:queue"), query)
        assert response.status_code == 200, query
    assert client.get(reverse("repair:detail", args=["XF-NOPE-20260101-0001"])).status_code == 404
    assert client.get(reverse("repair:detail", args=["X" * 300])).status_code == 404
    assert client.get(reverse("repair:lodge", args=["NO-SUCH-ACCOUNT"])).status_code == 404


def test_supervisor_extends_once_on_the_page(login, clerk_city, supervisor, city_customer, theft):
    req = lodge(city_customer, clerk_city, events=[theft])
    services.accept(req.pk, user=supervisor)
    req.refresh_from_db()
    client = login(supervisor)
    url = reverse("repair:act", args=[req.number, "extend"])
    assert client.post(url, {"extend-reason": ""}).status_code == 400  # a reason is required
    response = client.post(url, {"extend-reason": "需现场核实整改情况"}, follow=True)
    html = response.content.decode()
    new_deadline = add_working_days(req.decide_by, 7)
    assert f"新的办结期限 {new_deadline:%Y-%m-%d}" in html and "已延期" in html and "需现场核实整改情况" in html
    assert 'data-testid="extend-form"' not in html  # once only
    response = client.post(url, {"extend-reason": "再延"}, follow=True)
    assert "已延期过一次" in response.content.decode()


def _letter_text(client, req, tmp_path) -> str:
    path = tmp_path / f"{req.number}.pdf"
    path.write_bytes(client.get(reverse("repair:letter", args=[req.number])).content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())  # pdftotext breaks lines anywhere in Chinese


def test_approval_letter_says_how_the_level_changed_or_that_it_stayed(login, clerk_city, supervisor, tmp_path):
    today = timezone.localdate()
    thief = factories.customer("city", account_no="L0001")
    theft = factories.event(thief, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=90))
    # Two large thefts: repairing one still leaves the customer red.
    twice = factories.customer("city", account_no="L0002")
    first, _second = (
        factories.event(twice, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=d))
        for d in (90, 60)
    )
    call_command("run_rating", "--as-of", (today - dt.timedelta(days=1)).isoformat(), stdout=io.StringIO())
    texts = {}
    for customer, event in ((thief, theft), (twice, first)):
        req = lodge(customer, clerk_city, events=[event])
        services.accept(req.pk, user=supervisor)
        sign_pledge_for(req, clerk_city)
        services.approve(req.pk, user=supervisor, reason="整改到位")
        texts[customer.account_no] = _letter_text(login(clerk_city), req, tmp_path)
    assert "本次修复使信用等级由红色恢复为" in texts["L0001"]
    assert "本次修复不改变信用等级（红色）" in texts["L0002"] and "恢复为" not in texts["L0002"]
    assert "调整为" not in texts["L0001"] + texts["L0002"]


def test_submitting_the_lodge_form_twice_names_the_open_request(login, clerk_city, city_customer, theft):
    """A double click on 提交申请 (or two clerks at once): the second post says which request already
    concerns the record, on the page, and lodges nothing."""
    client = login(clerk_city)
    url = reverse("repair:lodge", args=[city_customer.account_no])
    post = {"kind": "repair", "events": [theft.pk], "reason": "已赔偿损失并补缴水费"}
    assert client.post(url, post).status_code == 302
    first = RepairRequest.objects.get()
    response = client.post(url, post)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"所选记录已在办理中的申请 {first.number} 中" in html and 'data-testid="events-error"' in html
    assert RepairRequest.objects.count() == 1


def _letter_pages(client, req, tmp_path) -> list[str]:
    path = tmp_path / f"{req.number}.pdf"
    path.write_bytes(client.get(reverse("repair:letter", args=[req.number])).content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return ["".join(page.split()) for page in text.split("\f") if page.strip()]


def test_letter_of_a_long_reason_keeps_the_seal_and_date_together(
    login, clerk_city, supervisor, city_customer, tmp_path
):
    """Reasons up to 2,000 characters run over a page: wherever the page breaks, the company, the seal
    place and the date stay together on one page."""
    client = login(clerk_city)
    for length in range(1300, 2001, 50):
        event = factories.event(city_customer, occurred_on=timezone.localdate() - dt.timedelta(days=10))
        req = lodge(city_customer, clerk_city, kind="objection", events=[event])
        services.accept(req.pk, user=supervisor)
        services.dismiss(req.pk, user=supervisor, reason=("经核查,该记录属实,录入无误。" * 150)[:length])
        req.refresh_from_db()
        decided = timezone.localdate(req.decided_at)
        pages = _letter_pages(client, req, tmp_path)
        signed = [p for p in pages if "盖章处" in p]
        assert len(pages) > 1 and len(signed) == 1, length
        assert f"{decided.year}年{decided.month}月{decided.day}日" in signed[0] and "城市供水公司" in signed[0], length


def test_refusal_notice_is_named_as_such_on_every_line(login, clerk_city, supervisor, city_customer, theft, tmp_path):
    req = lodge(city_customer, clerk_city, events=[theft])
    services.refuse(req.pk, user=supervisor, reason="不属于受理范围")
    text = "".join(_letter_pages(login(clerk_city), req, tmp_path))
    assert text.count("信用修复申请不予受理通知书") == 2  # the heading and the footer
    assert "决定书" not in text


def test_evidence_is_shown_inline_under_its_uploaded_name(login, clerk_city, city_customer, theft):
    req = services.lodge_request(
        city_customer,
        kind="repair",
        events=[theft],
        reason="已整改",
        evidence=[evidence_file("attachment 补缴凭证.pdf")],
        user=clerk_city,
    )
    evidence = req.evidence.get()
    response = login(clerk_city).get(reverse("repair:evidence", args=[req.number, evidence.pk]))
    disposition = response["Content-Disposition"]
    assert disposition.startswith("inline;") and "attachment" in disposition.split(";", 1)[1]


def test_forged_records_in_the_lodge_post_are_refused_by_name(
    login, clerk_city, supervisor, city_customer, county_customer, theft
):
    """Ids typed into the POST: another customer's event, the other company's, a voided one, a bill
    of another customer: each refused with a message that says why; nothing is lodged."""
    from customers.services import void_event

    voided = factories.event(city_customer, occurred_on=timezone.localdate() - dt.timedelta(days=5))
    void_event(voided.pk, user=supervisor, reason="录入错误")
    stranger = factories.customer("city")
    forged_events = [factories.event(stranger).pk, factories.event(county_customer).pk, voided.pk]
    stranger_bill = factories.bill(stranger, "2026-01", due_on=dt.date(2026, 1, 25))
    client = login(clerk_city)
    url = reverse("repair:lodge", args=[city_customer.account_no])
    for pk in forged_events:
        response = client.post(url, {"kind": "repair", "events": [theft.pk, pk], "reason": "x"})
        assert response.status_code == 200
        assert f"所选事件（编号 {pk}）不属于该客户，或已作废、已修复" in response.content.decode()
    response = client.post(url, {"kind": "objection", "bills": [stranger_bill.pk], "reason": "x"})
    assert f"所选账单（编号 {stranger_bill.pk}）不属于该客户，或不是逾期账单、已修复" in response.content.decode()
    assert not RepairRequest.objects.exists()
