"""Building the 信易供水 batch from the records: what goes in, what is held back and why, numbering,
rebuilding, exporting, and what is (not) sent again (reporting-batch.md)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from customers.models import AuditEntry, Company
from pledges import services as pledge_services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeState
from ratings.models import LevelOverride, RatingResult, RatingRun
from reporting import builder, notices, services
from reporting.columns import COLUMNS
from reporting.models import Batch, BatchRow, BatchStatus, BuildState, Notice, Sheet
from tests import factories
from tests.pledge_support import at

pytestmark = pytest.mark.django_db

PERIOD = dt.date(2026, 11, 1)
END = dt.date(2026, 11, 30)


def set_units(city_name="随州市城市供水有限公司", county_name="随县供水有限公司", county_uscc=None):
    city = Company.objects.get(code="city")
    city.registered_name, city.uscc = city_name, factories.uscc(910000001)
    city.save()
    county = Company.objects.get(code="county")
    county.registered_name, county.uscc = county_name, county_uscc or factories.uscc(910000002)
    county.save()


def signed(customer, user, on=dt.date(2026, 11, 10)) -> Pledge:
    with at(on):  # generated and printed on the day it is signed
        pledge = pledge_services.prepare_pledge(customer, user=user)
        pledge_services.mark_printed([pledge])
    return pledge_services.sign_pledge(
        pledge, signed_on=on, received_by=user, scan=ContentFile(tiny_scan_pdf(), "s.pdf"), user=user
    )


def run_with(levels: dict, as_of=END) -> RatingRun:
    run = RatingRun.objects.create(as_of=as_of, status=RatingRun.Status.SUCCEEDED)
    RatingResult.objects.bulk_create([RatingResult(run=run, customer=c, level=level) for c, level in levels.items()])
    return run


def give_level_notice(customer, level, user):
    return Notice.objects.create(
        number=f"T{customer.pk:08d}{level[:1]}",
        kind=Notice.Kind.LEVEL,
        customer=customer,
        company=customer.company,
        customer_name=customer.name,
        uscc=customer.uscc,
        level=level,
        as_of=END,
        content="告知",
        given_on=dt.date(2026, 12, 1),
        method=Notice.Method.IN_PERSON,
        given_by=user,
    )


def rows(batch, sheet, held=None):
    qs = BatchRow.objects.filter(batch=batch, generation=batch.generation, sheet=sheet).order_by("position")
    if held is not None:
        qs = qs.filter(held=held)
    return list(qs)


def reasons(row) -> str:
    return ";".join(f"{r['column']}:{r['reason']}" for r in row.reasons)


@pytest.fixture
def world(clerk_city, supervisor):
    """Two companies with registered names, a few customers with signed pledges and a month-end run."""
    set_units()
    good = factories.customer("city", name="随州市好信用餐饮有限公司")
    formula = factories.customer("city", name='=HYPERLINK("http://x")有限公司')
    yellow = factories.customer("city", name="随州市黄色等级商贸有限公司")
    county = factories.customer("county", name="随县厉山镇水厂用户")
    pledges = {c.account_no: signed(c, clerk_city) for c in (good, formula, yellow, county)}
    run = run_with({good: "green", formula: "blue", yellow: "yellow", county: "green"})
    return {"good": good, "formula": formula, "yellow": yellow, "county": county, "pledges": pledges, "run": run}


def test_a_batch_holds_back_exactly_the_faulty_rows_with_their_reasons(world, supervisor):
    overlong = world["pledges"][world["good"].account_no]
    Pledge.objects.filter(pk=overlong.pk).update(content="长" * 4001)
    batch = services.build_now(PERIOD)

    assert batch.number == "202611-01" and batch.status == BatchStatus.DRAFT and batch.build_state == BuildState.DONE
    pledge_rows = {r.key: r for r in rows(batch, Sheet.PLEDGE)}
    assert len(pledge_rows) == 4
    held = {k: reasons(r) for k, r in pledge_rows.items() if r.held}
    assert list(held) == [overlong.number]
    assert "承诺内容:最多 4000 个字符，实际 4001 个" in held[overlong.number]

    rating = {r.key: r for r in rows(batch, Sheet.RATING)}
    assert [r.held for r in rating.values()].count(True) == 1
    yellow_row = rating[world["yellow"].uscc]
    assert yellow_row.held and "未书面告知" in reasons(yellow_row) and yellow_row.reasons[0]["fix"] == "notice"
    formula_row = rating[world["formula"].uscc]
    assert not formula_row.held and formula_row.values[0].startswith("=HYPERLINK")
    assert batch.counts[Sheet.PLEDGE] == {"included": 3, "held": 1}
    assert batch.counts[Sheet.RATING] == {"included": 3, "held": 1}


def test_company_without_registered_name_or_with_a_bad_uscc_holds_back_its_rows(world):
    county = Company.objects.get(code="county")
    county.uscc = county.uscc[:-1] + ("0" if county.uscc[-1] != "0" else "1")  # wrong check character
    county.save()
    city = Company.objects.get(code="city")
    city.registered_name = ""
    city.save()
    batch = services.build_now(PERIOD)
    for row in rows(batch, Sheet.PLEDGE) + rows(batch, Sheet.RATING):
        assert row.held
        text = reasons(row)
        if row.company_id == city.pk:
            assert "尚未设置登记名称" in text and row.reasons[0]["fix"] == "company"
        else:
            assert "校验位不正确" in text and ("承诺受理单位代码" in text or "评定单位代码" in text)


def test_registration_authority_and_type_positions_are_checked():
    from customers.uscc import make_uscc
    from reporting import rules

    assert rules.uscc(make_uscc("91421300MA4ABCDE1")) is None
    assert "第2位" in rules.uscc(make_uscc("94421300MA4ABCDE1"))  # 工商 registers no type 4
    assert rules.uscc(make_uscc("B1421300MA4ABCDE1"))  # B is no registration authority
    assert rules.holder_class("92421300MA4ABCDE1X", is_individual=False)
    assert rules.holder_class("91421300MA4ABCDE1X", is_individual=True)
    assert rules.holder_class("92421300MA4ABCDE1X", is_individual=True) is None


def test_individual_business_is_reported_as_such(world, clerk_city):
    shop = factories.customer("city", name="随州市曾都区小王便利店", uscc=factories.uscc(777, prefix="92"))
    pledge = signed(shop, clerk_city)
    batch = services.build_now(PERIOD)
    row = next(r for r in rows(batch, Sheet.PLEDGE) if r.key == pledge.number)
    cells = dict(zip(COLUMNS[Sheet.PLEDGE], row.values, strict=True))
    assert cells["承诺人类别"] == "个体工商户" and not row.held
    assert cells["承诺类型"] == "主动型" and cells["公开类型"] == "可向社会公开"
    assert cells["承诺受理单位"] == "随州市城市供水有限公司"


def test_a_notice_given_lets_the_yellow_row_through_and_an_override_wins(world, supervisor):
    give_level_notice(world["yellow"], "yellow", supervisor)
    LevelOverride.objects.create(
        customer=world["good"], level="red", reason="严重失信", starts_on=dt.date(2026, 11, 1), created_by=supervisor
    )
    batch = services.build_now(PERIOD)
    rating = {r.key: r for r in rows(batch, Sheet.RATING)}
    assert not rating[world["yellow"].uscc].held
    good = rating[world["good"].uscc]
    assert good.values[3] == "红色" and good.held and "红色等级首次报送前" in reasons(good)


def test_one_row_per_uscc_with_the_most_severe_level_and_the_deciding_account(world):
    second = factories.customer("city", name=world["good"].name, uscc=world["good"].uscc)
    RatingResult.objects.create(run=world["run"], customer=second, level="blue")
    batch = services.build_now(PERIOD)
    matching = [r for r in rows(batch, Sheet.RATING) if r.key == world["good"].uscc]
    assert len(matching) == 1
    assert matching[0].values[3] == "蓝色" and matching[0].customer_id == second.pk
    assert second.account_no in matching[0].note


def test_rebuilding_a_draft_keeps_its_number_and_rows(world):
    first = services.build_now(PERIOD)
    before = [
        (r.sheet, r.key, r.values, r.held) for r in BatchRow.objects.filter(batch=first).order_by("sheet", "position")
    ]
    again = services.build_now(PERIOD)
    assert again.pk == first.pk and again.number == "202611-01" and again.generation == first.generation + 1
    after = [
        (r.sheet, r.key, r.values, r.held) for r in BatchRow.objects.filter(batch=again).order_by("sheet", "position")
    ]
    assert after == before  # the previous generation's rows are gone, the same rows came back


def test_after_export_nothing_is_sent_again_and_the_next_number_carries_only_what_is_new(world, clerk_city, supervisor):
    first = services.build_now(PERIOD)
    services.export_batch(first, user=supervisor)
    late = factories.customer("city", name="随州市补签商贸有限公司")
    late_pledge = signed(late, clerk_city, on=dt.date(2026, 11, 20))
    give_level_notice(world["yellow"], "yellow", supervisor)
    second = services.build_now(PERIOD)
    assert second.number == "202611-02"
    assert [r.key for r in rows(second, Sheet.PLEDGE)] == [late_pledge.number]
    # The rating rows reported in 01 are not sent again; the yellow row held back in 01 now goes.
    assert [r.key for r in rows(second, Sheet.RATING)] == [world["yellow"].uscc]


def test_export_refuses_a_draft_built_before_another_batch_was_exported(world, supervisor):
    draft_oct = services.build_now(dt.date(2026, 10, 1))
    nov = services.build_now(PERIOD)
    services.export_batch(nov, user=supervisor)
    with pytest.raises(services.BatchError, match="重新生成"):
        services.export_batch(draft_oct, user=supervisor)
    assert Batch.objects.get(pk=draft_oct.pk).status == BatchStatus.DRAFT


def test_a_breach_reported_and_then_undone_is_reported_again_as_corrected(world, supervisor):
    pledge = world["pledges"][world["good"].account_no]
    event = factories.event(world["good"], "contract_violation", occurred_on=dt.date(2026, 11, 15))
    pledge_services.sync_breaches([world["good"].pk])
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED
    notice = notices.prepare_breach_notice(pledge, user=supervisor)
    notices.record_given(notice, given_on=timezone.localdate(), method="post", user=supervisor)

    first = services.build_now(PERIOD)
    [row] = rows(first, Sheet.FULFILMENT)
    cells = dict(zip(COLUMNS[Sheet.FULFILMENT], row.values, strict=True))
    assert not row.held, reasons(row)
    assert cells["承诺履行状态"] == "全部未履行" and event.ref in cells["未履行的承诺内容"]
    assert pledge.consequences in cells["违诺责任追究内容"] and "信用等级为绿色" in cells["违诺责任追究内容"]
    services.export_batch(first, user=supervisor)

    from customers.services import void_event

    void_event(event.pk, reason="录入错误", user=supervisor)
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.SIGNED
    second = services.build_now(PERIOD)
    [row] = rows(second, Sheet.FULFILMENT)
    assert row.key == pledge.number and row.values[1] == "全部履行" and row.values[2] == "" and not row.held
    assert "更正" in row.note


def test_a_breach_without_a_notice_or_without_its_texts_is_held(world, supervisor):
    pledge = world["pledges"][world["good"].account_no]
    first = services.build_now(PERIOD)
    services.export_batch(first, user=supervisor)
    Pledge.objects.filter(pk=pledge.pk).update(state=PledgeState.BREACHED, breached_on=dt.date(2026, 11, 20))
    batch = services.build_now(PERIOD)
    [row] = rows(batch, Sheet.FULFILMENT)
    text = reasons(row)
    assert row.held and "未书面告知" in text and "未履行的承诺内容:必填" in text


def test_the_rating_sheet_is_empty_with_a_reason_when_the_run_is_missing(world):
    batch = services.build_now(dt.date(2026, 10, 1))
    assert rows(batch, Sheet.RATING) == [] and "2026-10-31" in batch.rating_note


def test_files_hold_the_included_rows_as_text(world):
    batch = services.build_now(PERIOD)
    book = openpyxl.load_workbook(batch.xlsx.open("rb"))
    assert book.sheetnames == ["信用承诺", "履约践诺", "信用评价", "信用修复"]
    sheet = book["信用承诺"]
    assert [c.value for c in sheet[1]] == list(COLUMNS[Sheet.PLEDGE])
    numbers = [r[0].value for r in sheet.iter_rows(min_row=2)]
    assert sorted(numbers) == sorted(r.key for r in rows(batch, Sheet.PLEDGE, held=False))
    assert all(r[0].data_type == "s" for r in sheet.iter_rows(min_row=2))
    names = [r[0].value for r in book["信用评价"].iter_rows(min_row=2)]
    assert world["formula"].name in names  # a name that looks like a formula stays text
    archive = zipfile.ZipFile(io.BytesIO(batch.csv_zip.open("rb").read()))
    assert sorted(archive.namelist()) == sorted(f"202611-01_{n}.csv" for n in book.sheetnames)
    text = archive.read("202611-01_信用评价.csv").decode("utf-8")
    assert text.startswith("\ufeff") and "'=HYPERLINK" in text


def test_transitions_in_order_and_audited(world, supervisor):
    batch = services.build_now(PERIOD)
    with pytest.raises(services.BatchError, match="不能标记为已报送"):
        services.mark_submitted(batch, user=supervisor)
    services.export_batch(batch, user=supervisor)
    with pytest.raises(services.BatchError, match="不能再次导出"):
        services.export_batch(batch, user=supervisor)
    services.mark_submitted(batch, user=supervisor)
    batch = services.mark_accepted(batch, user=supervisor)
    assert batch.status == BatchStatus.ACCEPTED and batch.accepted_by == supervisor
    entries = AuditEntry.objects.filter(model="batch", object_id=batch.number)
    assert {e.note for e in entries} >= {"导出", "标记为已报送", "标记为已接收"}


def test_a_single_company_supervisor_cannot_export(world, supervisor_city):
    batch = services.build_now(PERIOD)
    with pytest.raises(services.BatchError, match="两家公司"):
        services.export_batch(batch, user=supervisor_city)


def test_build_batch_command_prints_the_contract_lines(world, tmp_path, capsys):
    out = tmp_path / "out"
    call_command("build_batch", "--period", "2026-11", "--out", str(out))
    printed = capsys.readouterr().out
    assert "202611-01" in printed
    assert f"held: 信用评价, {world['yellow'].uscc}: " in printed
    assert (out / "202611-01.xlsx").exists() and (out / "202611-01-csv.zip").exists()
    call_command("build_batch", "--period", "2026-11", "--export")
    assert Batch.objects.get(number="202611-01").status == BatchStatus.EXPORTED
    call_command("build_batch", "--period", "2026-11")
    assert Batch.objects.filter(period=PERIOD).count() == 2


@pytest.mark.parametrize("period", ["2026-13", "26-11", "2026/11", "", "2099-01", "2026-12"])
def test_build_batch_refuses_a_malformed_or_unfinished_period(period):
    with pytest.raises(CommandError):
        call_command("build_batch", "--period", period)
    assert not Batch.objects.exists()


def test_unit_reasons_name_the_company():
    set_units(county_name="")
    unit = builder.units()[Company.objects.get(code="county").pk]
    assert unit.reasons and "随县供水公司" in unit.reasons[0][1]


def test_rows_returned_by_the_platform_go_out_again_rebuilt_from_the_records(world, supervisor):
    october = run_with({world["good"]: "blue", world["county"]: "green"}, as_of=dt.date(2026, 10, 31))
    assert october.pk
    oct_batch = services.build_now(dt.date(2026, 10, 1))
    services.export_batch(oct_batch, user=supervisor)
    returned = BatchRow.objects.get(batch=oct_batch, sheet=Sheet.RATING, key=world["good"].uscc)
    BatchRow.objects.filter(pk=returned.pk).update(
        returned_at=dt.datetime(2026, 11, 5, tzinfo=dt.UTC), return_reason="名称不符"
    )
    customer = world["good"]
    customer.name = "随州市好信用餐饮有限责任公司"
    customer.save()

    nov = services.build_now(PERIOD)
    carried = [r for r in rows(nov, Sheet.RATING) if r.key == customer.uscc]
    assert sorted(r.ref_date for r in carried) == [dt.date(2026, 10, 31), END]
    old = next(r for r in carried if r.ref_date == dt.date(2026, 10, 31))
    assert old.values[0] == "随州市好信用餐饮有限责任公司" and old.values[3] == "蓝色" and old.values[4] == "2026-10-31"
    # Reported again: the next batch does not carry it a third time.
    services.export_batch(nov, user=supervisor)
    again = services.build_now(PERIOD)
    assert [r for r in rows(again, Sheet.RATING) if r.key == customer.uscc] == []


def test_every_csv_equals_its_sheet_line_breaks_and_formula_guard_included(world):
    """On PostgreSQL the CSVs are written by COPY, elsewhere by Python: either way each equals its sheet."""
    import csv

    pledge = world["pledges"][world["good"].account_no]
    Pledge.objects.filter(pk=pledge.pk).update(content="第一行\r\n第二行\r第三行\n\t第四行", reason="-负号开头的事由")
    batch = services.build_now(PERIOD)
    book = openpyxl.load_workbook(batch.xlsx.open("rb"))
    archive = zipfile.ZipFile(io.BytesIO(batch.csv_zip.open("rb").read()))
    for name in book.sheetnames:
        sheet = [[c.value or "" for c in row] for row in book[name].iter_rows()]
        raw = archive.read(f"{batch.number}_{name}.csv")
        assert raw.startswith(b"\xef\xbb\xbf") and raw.endswith(b"\r\n") or len(sheet) == 1
        lines = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
        guarded = [[("'" + v) if v[:1] in ("=", "+", "-", "@", "\t") else v for v in row] for row in sheet[1:]]
        assert lines == [sheet[0], *guarded], name
    stored = next(r for r in rows(batch, Sheet.PLEDGE) if r.key == pledge.number)
    cells = dict(zip(COLUMNS[Sheet.PLEDGE], stored.values, strict=True))
    text = archive.read(f"{batch.number}_信用承诺.csv").decode("utf-8-sig")
    assert (
        "第一行\n第二行\n第三行\n\t第四行" in text and "'-负号开头的事由" in text and cells["承诺事由"].startswith("-")
    )
    assert text.count("\r\n") == 1 + len(rows(batch, Sheet.PLEDGE, held=False))  # header + one per record
