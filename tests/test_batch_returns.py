"""The platform's return file: reading every layout and encoding, marking rows returned all or nothing,
the `import_return` command and the upload on the batch page.

The batches are built here with the ORM (not by the builder): an exported batch with a row in each
sheet and a held-back row, and a draft batch.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from customers.models import AuditEntry
from repair.models import RepairRequest
from reporting.columns import COLUMNS
from reporting.models import Batch, BatchRow, BatchStatus, ReturnFile, Sheet
from reporting.returns import ReturnFileError, import_return, key_text, returned_rows

ROOT = Path(__file__).resolve().parent.parent
PLEDGE_KEY = "42130020261015000001"
FULFIL_KEY = "42130020260903000007"
HELD_KEY = "42130020261020000002"
DRAFT_KEY = "42130020261105000003"
REPAIR_NO = "XF-CITY-20261020-0001"
UNIT = ("随州市城市供水有限公司", "91421300MA4900000X")


def _values(sheet: str, **cells: str) -> list[str]:
    return [cells.get(column, "") for column in COLUMNS[sheet]]


def pledge_values(key: str, customer) -> list[str]:
    return _values(
        Sheet.PLEDGE,
        承诺编码=key,
        承诺人名称=customer.name,
        承诺人类别="法人及非法人组织",
        承诺人代码=customer.uscc,
        承诺类型="主动型",
        承诺事由="供水用水信用承诺",
        承诺内容="本单位承诺按时足额缴纳水费,遵守供用水合同……",
        违诺责任="违反承诺的,愿意接受供水企业依法依规采取的约束措施……",
        承诺作出日期="2026-10-15",
        承诺受理单位=UNIT[0],
        承诺受理单位代码=UNIT[1],
        公开类型="可向社会公开",
    )


def make_row(batch, sheet, key, customer, values, *, position=1, held=False, source_id=None) -> BatchRow:
    return BatchRow.objects.create(
        batch=batch,
        generation=batch.generation,
        sheet=sheet,
        position=position,
        key=key,
        company=customer.company,
        customer=customer,
        source_id=source_id,
        values=values,
        held=held,
        reasons=[{"column": "承诺受理单位代码", "reason": "供水公司的统一社会信用代码未设置", "fix": "company"}]
        if held
        else [],
    )


@pytest.fixture
def data(db, city_customer, county_customer, supervisor):
    """Batch 202610-01 exported (a row in each sheet, one held back) and draft 202611-01."""
    exported = Batch.objects.create(
        number="202610-01",
        period=dt.date(2026, 10, 1),
        status=BatchStatus.SUBMITTED,
        generation=1,
        build_state="done",
        exported_at=timezone.make_aware(dt.datetime(2026, 11, 2, 9, 0)),
        submitted_at=timezone.make_aware(dt.datetime(2026, 11, 3, 9, 0)),
    )
    draft = Batch.objects.create(number="202611-01", period=dt.date(2026, 11, 1), generation=1, build_state="done")
    request = RepairRequest.objects.create(
        number=REPAIR_NO,
        kind=RepairRequest.Kind.REPAIR,
        customer=city_customer,
        company=city_customer.company,
        reason="已补缴全部欠费",
        status=RepairRequest.Status.APPROVED,
        submitted_by=supervisor,
        submitted_at=timezone.make_aware(dt.datetime(2026, 10, 8, 10, 0)),
        accept_by=dt.date(2026, 10, 15),
        decided_at=timezone.make_aware(dt.datetime(2026, 10, 20, 10, 0)),
        queued_for_report=False,
        reported_batch="202610-01",
    )
    rows = {
        "pledge": make_row(exported, Sheet.PLEDGE, PLEDGE_KEY, city_customer, pledge_values(PLEDGE_KEY, city_customer)),
        "fulfilment": make_row(
            exported,
            Sheet.FULFILMENT,
            FULFIL_KEY,
            city_customer,
            _values(
                Sheet.FULFILMENT,
                承诺编码=FULFIL_KEY,
                承诺履行状态="全部未履行",
                未履行的承诺内容="违约用水(2026-10-05,EV00000012)",
                违诺责任追究内容="信用等级降为黄色,列入重点监管",
                承诺履行状态认定日期="2026-10-31",
                认定单位=UNIT[0],
                认定单位代码=UNIT[1],
            ),
        ),
        "rating": make_row(
            exported,
            Sheet.RATING,
            county_customer.uscc,
            county_customer,
            _values(
                Sheet.RATING,
                企业名称=county_customer.name,
                统一社会信用代码=county_customer.uscc,
                评定内容="供水用水信用等级",
                等级="蓝色",
                评定时间="2026-10-31",
                评定单位="随县供水有限公司",
                评定单位代码="91421321MA4900000Y",
            ),
        ),
        "repair": make_row(
            exported,
            Sheet.REPAIR,
            REPAIR_NO,
            city_customer,
            _values(
                Sheet.REPAIR,
                编号=REPAIR_NO,
                企业名称=city_customer.name,
                统一社会信用代码=city_customer.uscc,
                修复事项="逾期缴纳水费(2026-08 账单,缴费期限 2026-08-25)",
                申请日期="2026-10-08",
                决定日期="2026-10-20",
                决定="准予修复",
                决定单位=UNIT[0],
                决定单位代码=UNIT[1],
            ),
            source_id=request.pk,
        ),
        "held": make_row(
            exported,
            Sheet.PLEDGE,
            HELD_KEY,
            city_customer,
            pledge_values(HELD_KEY, city_customer),
            position=2,
            held=True,
        ),
        "draft": make_row(draft, Sheet.PLEDGE, DRAFT_KEY, city_customer, pledge_values(DRAFT_KEY, city_customer)),
    }
    return {"batch": exported, "draft": draft, "request": request, "rows": rows}


# --- file builders ------------------------------------------------------------------------------------


def csv_bytes(rows: list[list], encoding: str = "utf-8", bom: bool = False) -> bytes:
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xlsx_bytes(rows: list[list], *, exact_integers: dict[str, str] | None = None) -> bytes:
    """A workbook; `exact_integers` rewrites number cells' XML to a long integer (as some writers do)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "退回数据"
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    if not exact_integers:
        return out.getvalue()
    src = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    patched = io.BytesIO()
    with zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            content = src.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                text = content.decode()
                for shown, digits in exact_integers.items():
                    text = text.replace(f"<v>{shown}</v>", f"<v>{digits}</v>")
                content = text.encode()
            dst.writestr(item, content)
    return patched.getvalue()


def write(tmp_path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def run(tmp_path, name: str, data: bytes, **kw):
    return import_return(write(tmp_path, name, data), name=name, **kw)


def returned(row: BatchRow) -> BatchRow:
    row.refresh_from_db()
    return row


STANDARD = [
    ["序号", "工作表", "承诺编码", "统一社会信用代码", "编号", "错误原因"],
    ["1", "信用承诺", PLEDGE_KEY, "", "", "承诺人代码与登记信息不一致"],
    ["2", "履约践诺", FULFIL_KEY, "", "", "未履行的承诺内容不规范"],
    ["3", "信用评价", "", "{uscc}", "", "评定单位代码校验未通过"],
    ["4", "信用修复", "", "", REPAIR_NO, "修复事项不完整"],
]


def standard_rows(data) -> list[list]:
    uscc = data["rows"]["rating"].key
    return [[cell.replace("{uscc}", uscc) for cell in row] for row in STANDARD]


# --- layouts ------------------------------------------------------------------------------------------


def test_sheet_and_key_columns_mark_a_row_in_each_sheet(data, tmp_path):
    result = run(tmp_path, "退回.csv", csv_bytes(standard_rows(data)))

    assert result.marked == {"pledge": 1, "fulfilment": 1, "rating": 1, "repair": 1}
    assert result.batches_returned == ["202610-01"]
    rows = data["rows"]
    pledge = returned(rows["pledge"])
    assert pledge.returned_at is not None
    assert pledge.return_reason == "承诺人代码与登记信息不一致"
    assert pledge.return_file == result.return_file
    assert returned(rows["rating"]).return_reason == "评定单位代码校验未通过"
    assert returned(rows["held"]).returned_at is None
    assert returned(rows["draft"]).returned_at is None
    batch = Batch.objects.get(number="202610-01")
    assert batch.status == BatchStatus.RETURNED
    assert batch.returned_at is not None
    assert result.return_file.rows_marked == 4
    assert [r.sheet for r in returned_rows(batch)] == ["pledge", "fulfilment", "rating", "repair"]
    assert [r.key for r in returned_rows(batch, companies=[rows["rating"].company_id])] == [rows["rating"].key]


def test_file_name_column_names_the_sheet(data, tmp_path):
    rows = [
        ["文件名", "承诺编码", "错误原因"],
        ["202610-01_信用承诺.csv", PLEDGE_KEY, "承诺内容为空"],
        ["202610-01_履约践诺.csv", FULFIL_KEY, "认定日期格式错误"],
    ]
    result = run(tmp_path, "return.csv", csv_bytes(rows))
    assert result.marked["pledge"] == 1 and result.marked["fulfilment"] == 1
    assert returned(data["rows"]["fulfilment"]).return_reason == "认定日期格式错误"


def test_one_key_column_for_every_sheet(data, tmp_path):
    rows = [
        ["文件", "主键", "错误原因"],
        [r"D:\上报\202610-01_信用修复.csv", REPAIR_NO, "决定单位代码错误"],
        ["202610-01_信用评价.csv", data["rows"]["rating"].key.lower(), "等级取值错误"],
    ]
    result = run(tmp_path, "return.csv", csv_bytes(rows))
    assert result.marked == {"pledge": 0, "fulfilment": 0, "rating": 1, "repair": 1}


def test_whole_rejected_row_repeated_without_a_sheet_column(data, tmp_path, city_customer):
    header = [*COLUMNS[Sheet.PLEDGE], "错误原因"]
    rows = [header, [*pledge_values(PLEDGE_KEY, city_customer), "承诺有效期早于承诺作出日期"]]
    result = run(tmp_path, "platform-export.csv", csv_bytes(rows))
    assert result.marked["pledge"] == 1
    assert returned(data["rows"]["pledge"]).return_reason == "承诺有效期早于承诺作出日期"


def test_whole_rows_of_several_sheets_with_a_sheet_column(data, tmp_path):
    rating = data["rows"]["rating"]
    repair = data["rows"]["repair"]
    header = ["工作表", *COLUMNS[Sheet.REPAIR], "错误原因"]  # 统一社会信用代码 is in the repair row too
    rows = [header, ["信用修复", *repair.values, "决定日期早于申请日期"]]
    rows.append(["信用评价", "", rating.values[0], rating.key, *[""] * 6, "企业名称与登记不一致"])
    result = run(tmp_path, "r.csv", csv_bytes(rows))
    assert result.marked["repair"] == 1 and result.marked["rating"] == 1


def test_header_spaces_and_a_sheet_cell_with_extra_words(data, tmp_path):
    rows = [[" 工作表 ", "承诺编码\u3000", "\ufeff错误 原因"], ["信用承诺表", f" {PLEDGE_KEY} ", " 承诺类型错误 "]]
    result = run(tmp_path, "r.csv", csv_bytes(rows))
    assert result.marked["pledge"] == 1
    assert returned(data["rows"]["pledge"]).return_reason == "承诺类型错误"


# --- formats and encodings ----------------------------------------------------------------------------


def test_xlsx_with_a_long_number_cell_reads_its_digits(data, tmp_path):
    """A 承诺编码 stored as a number (here exactly, as some writers do) reads as its digits."""
    rows = [["工作表", "承诺编码", "错误原因"], ["信用承诺", int(PLEDGE_KEY), "承诺人名称过长"]]
    content = xlsx_bytes(rows, exact_integers={"4.2130020261015e+19": PLEDGE_KEY})
    result = run(tmp_path, "退回.xlsx", content)
    assert result.marked["pledge"] == 1


def test_number_cells_read_as_they_show():
    assert key_text(123.0) == ("123", False)
    assert key_text(4.2130020261015e19) == ("42130020261015000000", True)
    assert key_text(42130020261015000001) == ("42130020261015000001", False)
    assert key_text("'" + PLEDGE_KEY) == (PLEDGE_KEY, False)


def test_xlsx_float_code_that_lost_digits_says_why(data, tmp_path):
    rows = [["工作表", "承诺编码", "错误原因"], ["信用承诺", float(PLEDGE_KEY), "承诺人名称过长"]]
    with pytest.raises(ReturnFileError) as info:
        run(tmp_path, "退回.xlsx", xlsx_bytes(rows))
    [error] = info.value.errors
    assert error.row == 2
    assert "42130020261015000000" in error.reason and "15 位有效数字" in error.reason
    assert "e+" not in error.reason and ".0" not in error.reason


@pytest.mark.parametrize(
    "encoding,bom",
    [("utf-8", False), ("utf-8", True), ("gb18030", False), ("gbk", False)],
    ids=["utf8", "utf8-bom", "gb18030", "gbk"],
)
def test_csv_encodings(data, tmp_path, encoding, bom):
    rows = [["工作表", "承诺编码", "错误原因"], ["信用承诺", PLEDGE_KEY, "承诺受理单位名称与登记名称不一致"]]
    result = run(tmp_path, "退回.csv", csv_bytes(rows, encoding, bom))
    assert result.marked["pledge"] == 1
    assert returned(data["rows"]["pledge"]).return_reason == "承诺受理单位名称与登记名称不一致"


@pytest.mark.parametrize(
    "name,content,words",
    [
        ("r.xls", b"\xd0\xcf\x11\xe0 old excel", ".xls"),
        ("r.txt", b"a,b", ".xlsx 或 .csv"),
        ("r.xlsx", b"PK\x03\x04 not really a zip", "Excel"),
        ("r.xlsx", "工作表,承诺编码".encode(), ".xlsx"),
        ("r.csv", b"", "空"),
        ("r.csv", "工作表,承诺编码\n信用承诺,1\n".encode(), "错误原因"),
        ("r.csv", "工作表,错误原因\n".encode(), "主键"),
        ("r.csv", "工作表,承诺编码,错误原因\n".encode(), "没有退回的行"),
        ("r.csv", "承诺编码,错误原因\n1,x\n".encode(), "工作表"),
    ],
)
def test_unreadable_files_mark_nothing(data, tmp_path, name, content, words):
    with pytest.raises(ReturnFileError) as info:
        run(tmp_path, name, content)
    assert words in str(info.value)
    assert not info.value.errors
    assert not ReturnFile.objects.exists()


# --- all or nothing -----------------------------------------------------------------------------------


def test_one_unknown_key_marks_nothing_and_names_the_line(data, tmp_path):
    rows = [
        ["工作表", "承诺编码", "错误原因"],
        ["信用承诺", PLEDGE_KEY, "承诺内容为空"],
        ["信用承诺", "42130020261015999999", "承诺内容为空"],
    ]
    with pytest.raises(ReturnFileError) as info:
        run(tmp_path, "r.csv", csv_bytes(rows))
    assert [str(e) for e in info.value.errors] == ["row 3: 工作表“信用承诺”中没有已导出的承诺编码 42130020261015999999"]
    assert info.value.errors[0].display.startswith("第 3 行：")
    assert returned(data["rows"]["pledge"]).returned_at is None
    assert Batch.objects.get(number="202610-01").status == BatchStatus.SUBMITTED
    assert not ReturnFile.objects.exists()
    assert not AuditEntry.objects.filter(model__in=["batchrow", "batch", "batchreturn"]).exists()


def test_held_row_draft_row_and_bad_cells_are_refused(data, tmp_path):
    rows = [
        ["工作表", "承诺编码", "错误原因"],
        ["信用承诺", HELD_KEY, "x"],
        ["信用承诺", DRAFT_KEY, "x"],
        ["", PLEDGE_KEY, "x"],
        ["信用报告", PLEDGE_KEY, "x"],
        ["信用承诺", "", "x"],
        ["信用承诺", PLEDGE_KEY, ""],
        ["信用评价", "91421300MA49XXXX0X", "x"],
    ]
    with pytest.raises(ReturnFileError) as info:
        run(tmp_path, "r.csv", csv_bytes(rows))
    reasons = {e.row: e.reason for e in info.value.errors}
    assert "暂缓报送" in reasons[2] and "202610-01" in reasons[2]
    assert "草稿批次 202611-01" in reasons[3]
    assert "“工作表”为空" in reasons[4]
    assert "信用报告" in reasons[5]
    assert "“承诺编码”为空" in reasons[6]
    assert "“错误原因”为空" in reasons[7]
    assert "统一社会信用代码" in reasons[8]  # no such column in the file
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8]
    assert not BatchRow.objects.filter(returned_at__isnull=False).exists()


def test_the_same_file_twice_changes_nothing(data, tmp_path):
    content = csv_bytes(standard_rows(data))
    first = run(tmp_path, "退回.csv", content)
    marked_at = returned(data["rows"]["pledge"]).returned_at
    entries = AuditEntry.objects.count()

    again = run(tmp_path, "退回(1).csv", content)

    assert again.duplicate and again.return_file == first.return_file and again.total == 0
    assert "导入过" in again.message()
    assert ReturnFile.objects.count() == 1
    assert returned(data["rows"]["pledge"]).returned_at == marked_at
    assert AuditEntry.objects.count() == entries


def test_a_row_returned_before_is_left_as_it_was(data, tmp_path):
    run(tmp_path, "a.csv", csv_bytes([["工作表", "承诺编码", "错误原因"], ["信用承诺", PLEDGE_KEY, "第一次的原因"]]))
    second = run(
        tmp_path,
        "b.csv",
        csv_bytes(
            [
                ["工作表", "承诺编码", "错误原因"],
                ["信用承诺", PLEDGE_KEY, "第二次的原因"],
                ["履约践诺", FULFIL_KEY, "状态错误"],
                ["履约践诺", FULFIL_KEY, "认定日期为空"],
            ]
        ),
    )
    assert second.already_returned == 1 and second.total == 1
    assert second.batches_returned == []  # already 部分退回
    assert returned(data["rows"]["pledge"]).return_reason == "第一次的原因"
    assert returned(data["rows"]["fulfilment"]).return_reason == "状态错误;认定日期为空"


def test_the_most_recently_exported_row_is_the_one_returned(data, tmp_path, city_customer):
    later = Batch.objects.create(
        number="202611-02",
        period=dt.date(2026, 11, 1),
        status=BatchStatus.EXPORTED,
        generation=3,
        exported_at=timezone.make_aware(dt.datetime(2026, 12, 2, 9, 0)),
    )
    stale = make_row(later, Sheet.PLEDGE, PLEDGE_KEY, city_customer, pledge_values(PLEDGE_KEY, city_customer))
    BatchRow.objects.filter(pk=stale.pk).update(generation=2)  # an earlier build of that batch: not its rows
    resent = make_row(later, Sheet.PLEDGE, PLEDGE_KEY, city_customer, pledge_values(PLEDGE_KEY, city_customer))

    result = run(tmp_path, "r.csv", csv_bytes([["工作表", "承诺编码", "错误原因"], ["信用承诺", PLEDGE_KEY, "仍有误"]]))

    assert result.batches_returned == ["202611-02"]
    assert returned(resent).returned_at is not None
    assert returned(stale).returned_at is None
    assert returned(data["rows"]["pledge"]).returned_at is None


def test_a_returned_repair_goes_into_the_next_batch_again(data, tmp_path):
    rows = [["工作表", "编号", "错误原因"], ["信用修复", REPAIR_NO, "修复事项不完整"]]
    run(tmp_path, "r.csv", csv_bytes(rows))
    request = RepairRequest.objects.get(number=REPAIR_NO)
    assert request.queued_for_report is True
    assert request.reported_batch == ""
    entry = AuditEntry.objects.filter(model="repair").latest("id")
    assert "修复事项不完整" in entry.note


def test_a_user_may_only_return_rows_of_their_companies(data, tmp_path, supervisor_city):
    with pytest.raises(ReturnFileError) as info:
        run(tmp_path, "r.csv", csv_bytes(standard_rows(data)), user=supervisor_city)
    assert [e.row for e in info.value.errors] == [4]  # the county customer's 信用评价 row


# --- the command --------------------------------------------------------------------------------------


def test_command_prints_the_rows_per_sheet_and_the_batches(data, tmp_path):
    path = write(tmp_path, "202610-01_退回.csv", csv_bytes(standard_rows(data)))
    out, err = io.StringIO(), io.StringIO()
    call_command("import_return", path, stdout=out, stderr=err)
    text = out.getvalue()
    assert "已标记退回 4 行" in text
    for line in ("信用承诺: 1", "履约践诺: 1", "信用评价: 1", "信用修复: 1", "变为部分退回的批次：202610-01"):
        assert line in text
    assert err.getvalue() == ""
    entries = AuditEntry.objects.filter(model__in=["batchrow", "batch", "batchreturn"])
    assert entries.count() == 6
    assert set(entries.values_list("actor", flat=True)) == {"command:import_return"}
    assert ReturnFile.objects.get().imported_by_label == "command:import_return"

    out = io.StringIO()
    call_command("import_return", path, stdout=out)
    assert "导入过" in out.getvalue()


def test_command_lists_bad_lines_and_marks_nothing(data, tmp_path):
    rows = [["工作表", "主键", "错误原因"], ["信用承诺", PLEDGE_KEY, "x"], ["信用修复", "XF-CITY-20261020-0099", "x"]]
    path = write(tmp_path, "r.csv", csv_bytes(rows))
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_return", path, stdout=io.StringIO(), stderr=err)
    assert err.getvalue().splitlines() == ["row 3: 工作表“信用修复”中没有已导出的编号 XF-CITY-20261020-0099"]
    assert not BatchRow.objects.filter(returned_at__isnull=False).exists()


def test_command_exit_status_for_real(tmp_path):
    """A file that cannot be read: exit 1, the reason in Chinese, no traceback."""
    path = write(tmp_path, "退回.xlsx", b"PK\x03\x04 truncated")
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    done = subprocess.run(
        [sys.executable, "manage.py", "import_return", path], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 1
    assert "Excel" in done.stderr
    assert "Traceback" not in done.stderr
    missing = subprocess.run(
        [sys.executable, "manage.py", "import_return", str(tmp_path / "无此文件.csv")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "文件不存在" in missing.stderr


# --- the upload on the batch page ---------------------------------------------------------------------

URL = "/reporting/batches/202610-01/return/"


def upload(name: str, content: bytes) -> dict:
    return {"file": SimpleUploadedFile(name, content, content_type="application/octet-stream")}


def messages_of(response) -> list[str]:
    """The messages this response added (the test client keeps earlier unread ones in its cookie)."""
    return [str(m) for m in get_messages(response.wsgi_request)][-1:]


def test_supervisor_uploads_a_return_file(data, login, supervisor):
    response = login(supervisor).post(URL, upload("退回.csv", csv_bytes(standard_rows(data))))
    assert response.status_code == 302
    assert response["Location"] == "/reporting/batches/202610-01/"
    [message] = messages_of(response)
    assert "标记退回 4 行" in message and "202610-01 变为部分退回" in message
    assert ReturnFile.objects.get().imported_by == supervisor
    entry = AuditEntry.objects.filter(model="batch").get()
    assert entry.user == supervisor


def test_supervisor_uploads_a_bad_file(data, login, supervisor):
    rows = [["工作表", "承诺编码", "错误原因"]] + [["信用承诺", f"4213002026101599{i:04d}", "x"] for i in range(25)]
    response = login(supervisor).post(URL, upload("退回.xlsx", xlsx_bytes(rows)))
    assert response.status_code == 302
    [message] = messages_of(response)
    assert "未标记任何行" in message and "只列出前 20 行" in message
    assert "第 2 行：" in message and "第 21 行：" in message and "第 22 行" not in message
    assert not BatchRow.objects.filter(returned_at__isnull=False).exists()

    response = login(supervisor).post(URL, upload("退回.pdf", b"%PDF-1.4"))
    assert ".xlsx 或 .csv" in messages_of(response)[0]
    response = login(supervisor).post(URL, upload("退回.csv", b"PK\x03\x04\x14\x00"))
    assert "Excel" in messages_of(response)[0]
    response = login(supervisor).post(URL, {})
    assert "请选择" in messages_of(response)[0]


def test_upload_needs_a_supervisor_of_every_company(data, client, login, clerk_city, supervisor_city, supervisor):
    content = csv_bytes(standard_rows(data))
    anonymous = client.post(URL, upload("r.csv", content))
    assert anonymous.status_code == 302 and "/login" in anonymous["Location"]
    assert login(clerk_city).post(URL, upload("r.csv", content)).status_code == 403

    refused = login(supervisor_city).post(URL, upload("r.csv", content))
    assert refused.status_code == 302
    assert "全部供水公司" in messages_of(refused)[0]
    assert not BatchRow.objects.filter(returned_at__isnull=False).exists()

    assert login(supervisor).get(URL).status_code == 405
    assert login(supervisor).post("/reporting/batches/209901-01/return/", upload("r.csv", content)).status_code == 404


def test_a_draft_batch_takes_no_return_file(data, login, supervisor):
    response = login(supervisor).post("/reporting/batches/202611-01/return/", upload("r.csv", b"x"))
    assert "草稿" in messages_of(response)[0]
    assert re.search(r"/reporting/batches/202611-01/$", response["Location"])


def test_upload_size_limit_and_a_second_upload_of_the_same_file(data, login, supervisor, monkeypatch):
    content = csv_bytes(standard_rows(data))
    monkeypatch.setattr("reporting.forms.RETURN_MAX_BYTES", len(content) - 1)
    response = login(supervisor).post(URL, upload("退回.csv", content))
    assert "超过上限" in messages_of(response)[0]
    assert not ReturnFile.objects.exists()

    monkeypatch.undo()
    login(supervisor).post(URL, upload("退回.csv", content))
    again = login(supervisor).post(URL, upload("退回-副本.csv", content))
    assert "导入过" in messages_of(again)[0] and "未做任何更改" in messages_of(again)[0]
    assert ReturnFile.objects.count() == 1
