"""告知书 (湖北省社会信用信息管理条例 art. 23): preparing level and breach notices, their PDFs, recording
delivery, the coverage rule the batch builder reads, what still needs a notice, and the pages' scope."""

from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from pypdf import PdfReader

from customers.models import AuditEntry, Company
from customers.services import record_event
from pledges import services as pledge_services
from pledges.demo import tiny_scan_pdf
from pledges.models import PledgeState
from ratings.models import LevelOverride, RatingResult, RatingRun
from ratings.overrides import set_override
from reporting import notices
from reporting.models import Notice
from tests import factories
from tests.pledge_support import at

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 10, 31)
TODAY = dt.date(2026, 11, 20)
SHANGHAI = dt.timezone(dt.timedelta(hours=8))


@pytest.fixture(autouse=True)
def at_today():
    with time_machine.travel(dt.datetime(2026, 11, 20, 10, 0, tzinfo=SHANGHAI), tick=False):
        yield


def make_run(results: dict, as_of: dt.date = AS_OF, status=RatingRun.Status.SUCCEEDED) -> RatingRun:
    """A run with one result per customer: {customer: level} or {customer: (level, criteria)}."""
    run = RatingRun.objects.create(as_of=as_of, status=status, total=len(results), done=len(results))
    RatingResult.objects.bulk_create(
        RatingResult(
            run=run,
            customer=c,
            level=v if isinstance(v, str) else v[0],
            criteria="" if isinstance(v, str) else v[1],
        )
        for c, v in results.items()
    )
    return run


def pdf_text(data: bytes) -> str:
    out = subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True)
    return out.stdout.decode()


def give(notice, user, day=TODAY, method="in_person"):
    return notices.record_given(notice, given_on=day, method=method, user=user)


@pytest.fixture
def red_customer(db):
    customer = factories.customer("city", account_no="C100", name="随州市曾都区红色示范商贸有限公司")
    for i in range(3):
        factories.event(
            customer,
            "water_theft",
            amount="500.00",
            occurred_on=dt.date(2026, 3 + i, 10),
        )
    return customer


@pytest.fixture
def breached_pledge(city_customer, clerk_city):
    with at(dt.date(2026, 3, 2)):  # generated and printed on the day it is signed
        pledge = pledge_services.prepare_pledge(city_customer, user=clerk_city)
        pledge_services.mark_printed([pledge])
    pledge = pledge_services.sign_pledge(
        pledge,
        signed_on=dt.date(2026, 3, 2),
        received_by=clerk_city,
        scan=ContentFile(tiny_scan_pdf(), "s.pdf"),
        user=clerk_city,
    )
    record_event(
        city_customer,
        user=clerk_city,
        type="contract_violation",
        occurred_on=dt.date(2026, 4, 1),
    )
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    return pledge


# --- preparing -----------------------------------------------------------------------------


def test_level_notice_names_customer_uscc_level_criteria_and_rights(red_customer, clerk_city):
    make_run({red_customer: ("red", "R3")})
    notice = notices.prepare_level_notice(red_customer, user=clerk_city)
    assert notice.kind == "level" and notice.level == "red" and notice.as_of == AS_OF
    assert (notice.customer_name, notice.uscc, notice.company.code) == (
        red_customer.name,
        red_customer.uscc,
        "city",
    )
    assert notice.number.startswith("GZC20261120") and notice.number.isascii()
    text = notice.content
    for words in (
        red_customer.name,
        red_customer.uscc,
        "红色",
        "2026年10月31日",
        "2次及以上窃水行为",
        "第二十三条",
    ):
        assert words in text
    assert "信用中国（湖北随州）" in text and "异议" in text and "信用修复" in text
    assert "失信联合惩戒" in text or "监管措施" in text
    [entry] = AuditEntry.objects.filter(model="notice")
    assert entry.object_id == notice.number and entry.customer_id == red_customer.pk and entry.user == clerk_city

    data = notices.render_pdf([notice])
    extracted = pdf_text(data).replace(" ", "")
    for words in (
        "信用信息告知书",
        notice.number,
        red_customer.name,
        red_customer.uscc,
        "红色",
        "盖章处",
    ):
        assert words.replace(" ", "") in extracted
    assert len(PdfReader(io.BytesIO(data)).pages) == 1


def test_level_notice_of_an_override_gives_the_reason(city_customer, clerk_city, supervisor):
    make_run({city_customer: ("green", "G1;G2;G3;G4")})
    with time_machine.travel(dt.datetime(2026, 10, 1, 9, tzinfo=SHANGHAI), tick=False):
        set_override(city_customer, "yellow", "现场核查发现私接管道", None, supervisor)
    notice = notices.prepare_level_notice(city_customer, user=clerk_city)
    assert notice.level == "yellow"
    assert "黄色" in notice.content and "现场核查发现私接管道" in notice.content
    assert "采用预存方式" not in notice.content  # the green criteria are not the reason


@pytest.mark.parametrize("level", ["green", "blue"])
def test_green_or_blue_needs_no_notice(city_customer, clerk_city, level):
    make_run({city_customer: level})
    with pytest.raises(notices.TransitionError, match="只有黄色、红色等级需要书面告知"):
        notices.prepare_level_notice(city_customer, user=clerk_city)
    assert not Notice.objects.exists()


def test_no_run_or_not_rated_is_refused(city_customer, clerk_city):
    with pytest.raises(notices.TransitionError, match="没有评定结果"):
        notices.prepare_level_notice(city_customer, user=clerk_city)
    make_run({factories.customer("city"): "red"}, status=RatingRun.Status.SUCCEEDED)
    with pytest.raises(notices.TransitionError, match="没有评定结果"):
        notices.prepare_level_notice(city_customer, user=clerk_city)


def test_the_same_notice_is_not_prepared_twice_and_a_given_one_is_not_repeated(red_customer, clerk_city):
    make_run({red_customer: ("red", "R3")})
    first = notices.prepare_level_notice(red_customer, user=clerk_city)
    with pytest.raises(notices.TransitionError, match=f"已生成告知书 {first.number}"):
        notices.prepare_level_notice(red_customer, user=clerk_city)
    give(first, clerk_city)
    with pytest.raises(notices.TransitionError, match="无需重复告知"):
        notices.prepare_level_notice(red_customer, user=clerk_city)


def test_numbers_are_unique_per_company_and_day(clerk_city, supervisor):
    city = [factories.customer("city") for _ in range(3)]
    county = factories.customer("county")
    make_run({**{c: "red" for c in city}, county: "yellow"})
    made = [notices.prepare_level_notice(c, user=supervisor) for c in [*city, county]]
    numbers = [n.number for n in made]
    assert len(set(numbers)) == 4
    assert numbers[:3] == ["GZC20261120001", "GZC20261120002", "GZC20261120003"]
    assert numbers[3] == "GZX20261120001"


def test_breach_notice_names_pledge_event_and_consequences(breached_pledge, clerk_city, city_customer):
    notice = notices.prepare_breach_notice(breached_pledge, user=clerk_city)
    event = breached_pledge.breach_event
    assert notice.kind == "breach" and notice.pledge == breached_pledge and notice.level == ""
    for words in (
        breached_pledge.number,
        event.ref,
        "违约用水",
        "2026年4月1日",
        breached_pledge.consequences.strip()[:-1],
    ):
        assert words in notice.content
    assert city_customer.uscc in notice.content
    extracted = pdf_text(notices.render_pdf([notice])).replace(" ", "")
    for words in (
        "失信信息告知书",
        notice.number,
        city_customer.name,
        city_customer.uscc,
        breached_pledge.number,
    ):
        assert words in extracted


def test_breach_notice_only_for_a_breached_pledge(city_customer, clerk_city):
    pledge = pledge_services.prepare_pledge(city_customer, user=clerk_city)
    with pytest.raises(notices.TransitionError, match="只有未履行"):
        notices.prepare_breach_notice(pledge, user=clerk_city)


def test_another_company_or_a_user_without_role_cannot_prepare(red_customer, clerk_county):
    make_run({red_customer: "red"})
    with pytest.raises(PermissionDenied):
        notices.prepare_level_notice(red_customer, user=clerk_county)
    nobody = factories.user("nobody", roles=(), companies=("city",))
    with pytest.raises(PermissionDenied):
        notices.prepare_level_notice(red_customer, user=nobody)
    assert not Notice.objects.exists()


# --- recording delivery --------------------------------------------------------------------


@pytest.fixture
def prepared(red_customer, clerk_city):
    make_run({red_customer: ("red", "R3")})
    return notices.prepare_level_notice(red_customer, user=clerk_city)


@pytest.mark.parametrize(
    "given_on, method, field, message",
    [
        (TODAY + dt.timedelta(days=1), "in_person", "given_on", "晚于今天"),
        (TODAY - dt.timedelta(days=1), "in_person", "given_on", "早于告知书生成日期"),
        (None, "post", "given_on", "请填写送达日期"),
        (TODAY, "fax", "method", "请选择送达方式"),
        (TODAY, "", "method", "请选择送达方式"),
    ],
)
def test_record_given_refuses_bad_input_naming_the_field(prepared, clerk_city, given_on, method, field, message):
    with pytest.raises(ValidationError) as info:
        notices.record_given(prepared, given_on=given_on, method=method, user=clerk_city)
    assert field in info.value.message_dict and message in " ".join(info.value.message_dict[field])
    prepared.refresh_from_db()
    assert not prepared.is_given and prepared.method == ""
    assert AuditEntry.objects.filter(model="notice").count() == 1  # only the creation


def test_record_given_once_then_never_changed(prepared, clerk_city, supervisor):
    give(prepared, clerk_city, method="post")
    prepared.refresh_from_db()
    assert (prepared.given_on, prepared.method, prepared.given_by) == (
        TODAY,
        "post",
        clerk_city,
    )
    entry = AuditEntry.objects.filter(model="notice", action=AuditEntry.UPDATE).get()
    assert entry.before["given_on"] is None and entry.after["given_on"] == "2026-11-20"
    with pytest.raises(notices.TransitionError, match="送达情况不能更改"):
        give(prepared, supervisor, method="electronic")
    prepared.refresh_from_db()
    assert prepared.method == "post" and prepared.given_by == clerk_city


# --- the coverage rule ---------------------------------------------------------------------


def test_only_a_given_notice_of_the_same_level_covers(clerk_city, supervisor):
    red = factories.customer("city")
    yellow = factories.customer("city")
    make_run({red: "red", yellow: "yellow"})
    red_notice = notices.prepare_level_notice(red, user=clerk_city)
    notices.prepare_level_notice(yellow, user=clerk_city)
    assert notices.given_level_notices() == set()  # prepared but not given: no cover
    give(red_notice, clerk_city)
    assert notices.given_level_notices() == {(red.uscc, "red")}
    assert notices.given_level_notices([yellow.uscc]) == set()
    given = notices.given_level_notices([red.uscc, yellow.uscc])
    assert notices.covers_level(given, red.uscc, "red")
    assert not notices.covers_level(given, red.uscc, "yellow")  # another level does not cover
    assert not notices.covers_level(given, yellow.uscc, "yellow")
    assert notices.covers_level(given, yellow.uscc, "green")  # green needs none


def test_breach_notice_given_before_the_breach_does_not_cover(breached_pledge, clerk_city, supervisor, city_customer):
    notice = notices.prepare_breach_notice(breached_pledge, user=clerk_city)
    assert notices.breach_notice_dates() == {}
    give(notice, clerk_city, day=TODAY)
    assert notices.breach_notice_dates([breached_pledge.pk]) == {breached_pledge.pk: TODAY}
    assert notices.covers_breach({breached_pledge.pk: TODAY}, breached_pledge.pk, breached_pledge.breached_on)
    # The breach is undone and a later event breaches again: the old notice no longer covers.
    from customers.services import void_event

    void_event(breached_pledge.breach_event_id, user=supervisor, reason="录入错误")
    later = dt.date(2026, 11, 25)
    with time_machine.travel(dt.datetime(2026, 11, 26, 10, tzinfo=SHANGHAI), tick=False):
        record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=later)
        breached_pledge.refresh_from_db()
        assert breached_pledge.breached_on == later
        dates = notices.breach_notice_dates()
        assert not notices.covers_breach(dates, breached_pledge.pk, breached_pledge.breached_on)
        assert [p.pk for p in notices.needing_notice(clerk_city).breaches] == [breached_pledge.pk]


# --- what still needs a notice -------------------------------------------------------------


def test_needing_notice_follows_overrides_and_given_notices(clerk_city, supervisor):
    green_to_red = factories.customer("city", account_no="C1")
    red_to_green = factories.customer("city", account_no="C2")
    plain_red = factories.customer("city", account_no="C3")
    yellow = factories.customer("city", account_no="C4")
    factories.customer("city", account_no="C5")  # not rated
    county_red = factories.customer("county", account_no="X1")
    make_run(
        {
            green_to_red: "green",
            red_to_green: "red",
            plain_red: "red",
            yellow: "yellow",
            county_red: "red",
        }
    )
    with time_machine.travel(dt.datetime(2026, 10, 1, 9, tzinfo=SHANGHAI), tick=False):
        set_override(green_to_red, "red", "严重违规", None, supervisor)
        set_override(red_to_green, "green", "已整改", None, supervisor)
    # An override set after the run's date does not change the run's level.
    set_override(yellow, "green", "今天调整", None, supervisor)

    needing = notices.needing_notice(clerk_city)
    rows = {r.customer.account_no: r for r in needing.levels}
    assert set(rows) == {"C1", "C3", "C4"}
    assert (rows["C1"].level, rows["C1"].notice_level) == ("green", "red")
    assert rows["C4"].notice_level == "yellow"
    assert all(r.prepared_number is None for r in rows.values())

    prepared = notices.prepare_level_notice(plain_red, user=clerk_city)
    rows = {r.customer.account_no: r for r in notices.needing_notice(clerk_city).levels}
    assert rows["C3"].prepared_number == prepared.number  # prepared, not given: still needed
    give(prepared, clerk_city)
    assert "C3" not in {r.customer.account_no for r in notices.needing_notice(clerk_city).levels}
    assert {r.customer.account_no for r in notices.needing_notice(supervisor).levels} == {"C1", "C4", "X1"}
    city = Company.objects.get(code="city")
    assert {r.customer.account_no for r in notices.needing_notice(supervisor, company=city).levels} == {"C1", "C4"}
    assert not notices.needing_notice(clerk_city, company=Company.objects.get(code="county")).levels.exists()


def test_a_yellow_notice_does_not_cover_a_later_red(clerk_city):
    customer = factories.customer("city")
    make_run({customer: "yellow"}, as_of=dt.date(2026, 9, 30))
    give(notices.prepare_level_notice(customer, user=clerk_city), clerk_city)
    make_run({customer: "red"})
    [row] = notices.needing_notice(clerk_city).levels
    assert row.notice_level == "red"


def test_another_account_of_the_same_uscc_is_covered(clerk_city):
    first = factories.customer("city")
    second = factories.customer("city", uscc=first.uscc)
    make_run({first: "red", second: "red"})
    give(notices.prepare_level_notice(first, user=clerk_city), clerk_city)
    assert not notices.needing_notice(clerk_city).levels.exists()


def test_prepare_missing_prepares_one_per_uscc_and_level_and_breach(clerk_city, breached_pledge):
    a = factories.customer("city", account_no="C1")
    b = factories.customer("city", account_no="C2", uscc=a.uscc)
    c = factories.customer("city", account_no="C3")
    make_run({a: "red", b: "red", c: "yellow"})
    made = notices.prepare_missing(clerk_city, Company.objects.get(code="city"))
    assert sorted((n.kind, n.customer.account_no) for n in made) == [
        ("breach", breached_pledge.customer.account_no),
        ("level", "C1"),
        ("level", "C3"),
    ]
    assert notices.prepare_missing(clerk_city, Company.objects.get(code="city")) == []
    printed = notices.notices_to_print(clerk_city, Company.objects.get(code="city"))
    assert {n.number for n in printed} == {n.number for n in made}


# --- pages ---------------------------------------------------------------------------------


def test_clerk_prepares_from_the_list_and_records_delivery(login, clerk_city, red_customer):
    make_run({red_customer: ("red", "R3")})
    client = login(clerk_city)
    page = client.get(reverse("reporting:notices")).content.decode()
    assert red_customer.name in page and "生成告知书" in page and "全部打印" in page
    response = client.post(reverse("reporting:notice_new", args=[red_customer.account_no]))
    notice = Notice.objects.get()
    assert response.status_code == 302 and response["Location"] == notice.get_absolute_url()
    detail = client.get(notice.get_absolute_url()).content.decode()
    assert notice.number in detail and red_customer.uscc in detail and "登记送达" in detail and "当面送达" in detail

    pdf = client.get(reverse("reporting:notice_pdf", args=[notice.number]))
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")

    response = client.post(
        reverse("reporting:notice_given", args=[notice.number]),
        {"given_on": "2026-11-21"},
    )
    body = response.content.decode()
    assert response.status_code == 400 and "晚于今天" in body and "请选择送达方式" in body
    notice.refresh_from_db()
    assert not notice.is_given

    response = client.post(
        reverse("reporting:notice_given", args=[notice.number]),
        {"given_on": "2026-11-20", "method": "in_person"},
    )
    assert response.status_code == 302
    notice.refresh_from_db()
    assert notice.given_on == TODAY and notice.get_method_display() == "当面送达"
    detail = client.get(notice.get_absolute_url()).content.decode()
    assert "已送达" in detail and "城区客服 登记" in detail and 'data-testid="given-form"' not in detail
    listing = client.get(reverse("reporting:notices") + "?state=given").content.decode()
    assert notice.number in listing and "没有待告知的黄色、红色等级客户" in listing


def test_the_credit_file_card_shows_notices_and_the_prepare_button(login, clerk_city, red_customer):
    make_run({red_customer: ("red", "R3")})
    client = login(clerk_city)
    url = reverse("customers:detail", args=[red_customer.account_no])
    page = client.get(url).content.decode()
    assert 'data-testid="notice-card"' in page and 'data-testid="prepare-notice"' in page and "尚未书面告知" in page
    notice = notices.prepare_level_notice(red_customer, user=clerk_city)
    page = client.get(url).content.decode()
    assert notice.number in page and "待送达" in page and 'data-testid="prepare-notice"' not in page
    give(notice, clerk_city)
    page = client.get(url).content.decode()
    assert "已送达" in page and "当面送达" in page and "尚未书面告知" not in page


def test_the_card_asks_for_a_breach_notice_until_one_is_given(login, clerk_city, city_customer, breached_pledge):
    client = login(clerk_city)
    url = reverse("customers:detail", args=[city_customer.account_no])
    page = client.get(url).content.decode()
    assert 'data-testid="prepare-breach-notice"' in page and breached_pledge.number in page
    response = client.post(
        reverse("reporting:notice_new", args=[city_customer.account_no]), {"pledge": breached_pledge.pk, "next": url}
    )
    notice = Notice.objects.get(pledge=breached_pledge)
    assert response["Location"] == notice.get_absolute_url()
    page = client.get(url).content.decode()
    assert 'data-testid="prepare-breach-notice"' not in page and f"告知书 {notice.number} 待送达" in page
    give(notice, clerk_city)
    page = client.get(url).content.decode()
    assert 'data-testid="notice-breach-needed"' not in page and "已送达" in page


def test_a_green_customer_card_has_no_prepare_button(login, clerk_city, city_customer):
    make_run({city_customer: "green"})
    page = login(clerk_city).get(reverse("customers:detail", args=[city_customer.account_no])).content.decode()
    assert "暂无告知书" in page and 'data-testid="prepare-notice"' not in page


def test_scope_another_companys_notice_is_not_found(login, clerk_city, clerk_county, county_customer):
    make_run({county_customer: "red"})
    notice = notices.prepare_level_notice(county_customer, user=clerk_county)
    client = login(clerk_city)
    for name in ("reporting:notice", "reporting:notice_pdf"):
        assert client.get(reverse(name, args=[notice.number])).status_code == 404
    given = client.post(
        reverse("reporting:notice_given", args=[notice.number]),
        {"given_on": "2026-11-20", "method": "post"},
    )
    assert given.status_code == 404
    assert client.post(reverse("reporting:notice_new", args=[county_customer.account_no])).status_code == 404
    assert client.post(reverse("reporting:notices_print"), {"company": "county"}).status_code == 404
    listing = client.get(reverse("reporting:notices")).content.decode()
    assert notice.number not in listing and county_customer.name not in listing
    notice.refresh_from_db()
    assert not notice.is_given


def test_anonymous_is_sent_to_login(client, prepared):
    for url in (
        reverse("reporting:notices"),
        prepared.get_absolute_url(),
        reverse("reporting:notice_pdf", args=[prepared.number]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(
        reverse("reporting:notice_given", args=[prepared.number]),
        {"given_on": "2026-11-20", "method": "post"},
    )
    assert response.status_code == 302
    prepared.refresh_from_db()
    assert not prepared.is_given


def test_supervisor_may_prepare_and_record(login, supervisor, county_customer):
    make_run({county_customer: "yellow"})
    client = login(supervisor)
    client.post(reverse("reporting:notice_new", args=[county_customer.account_no]))
    notice = Notice.objects.get()
    client.post(
        reverse("reporting:notice_given", args=[notice.number]),
        {"given_on": "2026-11-20", "method": "electronic"},
    )
    notice.refresh_from_db()
    assert notice.method == "electronic" and notice.given_by == supervisor


def test_preparing_a_green_customer_from_the_page_says_why(login, clerk_city, city_customer):
    make_run({city_customer: "green"})
    response = login(clerk_city).post(reverse("reporting:notice_new", args=[city_customer.account_no]), follow=True)
    assert "只有黄色、红色等级需要书面告知" in response.content.decode()
    assert not Notice.objects.exists()


def test_print_all_is_one_page_per_notice(login, clerk_city, breached_pledge):
    customers = [factories.customer("city") for _ in range(4)]
    make_run({c: "red" if i % 2 else "yellow" for i, c in enumerate(customers)})
    response = login(clerk_city).post(reverse("reporting:notices_print"), {"company": "city"})
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert Notice.objects.count() == 5
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 5
    numbers = {n.number for n in Notice.objects.all()}
    page_numbers = {next(n for n in numbers if n in page.extract_text()) for page in reader.pages}
    assert page_numbers == numbers


def test_list_page_queries_do_not_grow_with_customers(login, clerk_city, django_assert_max_num_queries, supervisor):
    customers = [factories.customer("city") for _ in range(30)]
    run = make_run({c: ("red", "R3") if i % 2 else ("yellow", "Y2") for i, c in enumerate(customers)})
    for c in customers[:10]:
        LevelOverride.objects.create(
            customer=c,
            level="red",
            reason="调整",
            starts_on=run.as_of,
            created_by=supervisor,
        )
    for c in customers[10:20]:
        notices.prepare_level_notice(c, user=clerk_city)
    for n in Notice.objects.all()[:5]:
        give(n, clerk_city)
    client = login(clerk_city)
    with django_assert_max_num_queries(14):
        response = client.get(reverse("reporting:notices"))
    assert response.status_code == 200
    assert len(response.context["levels_page"]) == 25 and len(response.context["notices_page"]) == 10


def test_a_long_level_notice_stays_on_one_page(clerk_city):
    """A 200-character name and nine red criteria, each with several records: still one A4 page."""
    customer = factories.customer("city", name="随州市" + "示范" * 97 + "公司")
    day = dt.date(2026, 2, 1)
    for i in range(5):
        factories.event(
            customer,
            "water_theft",
            amount="20000.00",
            occurred_on=day + dt.timedelta(days=i),
        )
        factories.event(customer, "dishonesty_serious", occurred_on=day + dt.timedelta(days=10 + i))
        factories.event(
            customer,
            "safety_hazard_unrectified",
            occurred_on=day + dt.timedelta(days=20 + i),
        )
        factories.event(customer, "meter_fault_refused", occurred_on=day + dt.timedelta(days=30 + i))
        factories.event(
            customer,
            "protection_zone_violation",
            occurred_on=day + dt.timedelta(days=40 + i),
        )
        factories.event(customer, "agreement_refusal", occurred_on=day + dt.timedelta(days=50 + i))
        factories.event(customer, "order_disruption", occurred_on=day + dt.timedelta(days=60 + i))
        factories.event(
            customer,
            "facility_damage",
            severity="serious",
            occurred_on=day + dt.timedelta(days=70 + i),
        )
        factories.event(
            customer,
            "pipe_outage",
            pipe_diameter_mm=300,
            occurred_on=day + dt.timedelta(days=80 + i),
        )
    make_run({customer: ("red", "R3;R4;R5;R6;R7;R8;R9;R10;R11")})
    notice = notices.prepare_level_notice(customer, user=clerk_city)
    assert "等，共 5 条" in notice.content
    data = notices.render_pdf([notice])
    assert len(PdfReader(io.BytesIO(data)).pages) == 1
    assert notice.number in pdf_text(data)
