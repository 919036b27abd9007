"""What the import page tells a user about each kind, and the downloadable .xlsx templates.

One source for both: the format of each column, the allowed values (codes with their
Chinese labels, as the importer accepts either), the date formats, and an example row
that imports as it stands (the bills and events examples refer to the customers example).
"""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from ..models import Company, Customer, EventType, Severity
from ..uscc import make_uscc
from .specs import SPECS

DATE_FORMATS = ("YYYY-MM-DD", "YYYY/M/D")
EXAMPLE_ACCOUNT_NO = "SZ0001"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
TEXT_COLUMNS = {"account_no", "uscc", "phone", "ref", "period"}  # kept as text cells: leading zeros stay


@dataclass(frozen=True)
class AllowedValues:
    column: str  # the column's Chinese header
    values: tuple[tuple[str, str], ...]  # (code, Chinese label)
    labels_accepted: bool = True  # the label may be written instead of the code


def date_formats_text() -> str:
    return _("YYYY-MM-DD（如 2020-03-05）或 YYYY/M/D（如 2020/3/5，Excel 显示的格式）；Excel 日期单元格也可以")


def column_hints(kind: str) -> dict[str, str]:
    """The format of each column of `kind`, in Chinese, as data-contract.md states it."""
    date = _("日期")
    not_future = _("日期，不晚于今天")
    hints = {
        "account_no": _("1-32 位字母、数字或 -") if kind == "customers" else _("已有客户的户号"),
        "name": _("文本，最多 200 字"),
        "uscc": _("18 位，符合 GB 32100-2015（含校验位）"),
        "company": _("city 或 county，也可填中文名称"),
        "opened_on": not_future,
        "payment_mode": _("prepaid 或 postpaid，也可填 预存 / 后付"),
        "legal_representative": _("文本"),
        "phone": _("数字、-、+、空格，5-20 位"),
        "address": _("文本"),
        "period": _("YYYY-MM（如 2024-03）"),
        "amount": _("元，>= 0，最多两位小数") if kind == "bills" else _("元，> 0，最多两位小数；窃水必填"),
        "due_on": date,
        "paid_on": _("日期，不晚于今天；空 = 未缴"),
        "ref": _("1-64 个字符，同一编号再次导入即更新"),
        "type": _("类型代码或中文名称，见下"),
        "occurred_on": _("日期，不晚于今天，不早于立户日期"),
        "pipe_diameter_mm": _("整数毫米，15-3000；造成公用管网停水必填"),
        "force_majeure": _("0 或 1，仅用于造成公用管网停水，默认 0"),
        "severity": _("minor 或 serious；故意破坏供水设施必填"),
        "note": _("文本，可换行"),
    }
    return {col.name: hints[col.name] for col in SPECS[kind].columns}


def allowed_values(kind: str) -> list[AllowedValues]:
    """The coded columns of `kind` and what they accept."""
    if kind == "customers":
        return [
            AllowedValues(_("所属公司"), tuple((code, str(label)) for code, label in Company.CODE_CHOICES)),
            AllowedValues(_("缴费方式"), tuple((code, str(label)) for code, label in Customer.PAYMENT_MODE_CHOICES)),
        ]
    if kind == "events":
        return [
            AllowedValues(_("类型"), tuple((code, str(label)) for code, label in EventType.choices)),
            AllowedValues(_("情节"), tuple((code, str(label)) for code, label in Severity.choices)),
            AllowedValues(_("不可抗力"), (("0", _("否")), ("1", _("是"))), labels_accepted=False),
        ]
    return []


def example_row(kind: str) -> dict[str, object]:
    """A row of `kind` that imports as it stands (bills and events: once the customers example is in)."""
    if kind == "customers":
        return {
            "account_no": EXAMPLE_ACCOUNT_NO,
            "name": _("随州市示例商贸有限公司"),
            "uscc": make_uscc("91421300123456789"),
            "company": Company.CITY,
            "opened_on": datetime.date(2020, 3, 5),
            "payment_mode": Customer.PREPAID,
            "legal_representative": _("张三"),
            "phone": "0722-3251234",
            "address": _("随州市曾都区示例路 1 号"),
        }
    if kind == "bills":
        return {
            "account_no": EXAMPLE_ACCOUNT_NO,
            "period": "2024-03",
            "amount": 1280.5,
            "due_on": datetime.date(2024, 4, 25),
            "paid_on": datetime.date(2024, 4, 20),
        }
    return {
        "ref": "ZF-2024-0001",
        "account_no": EXAMPLE_ACCOUNT_NO,
        "type": EventType.WATER_THEFT.value,
        "occurred_on": datetime.date(2024, 3, 1),
        "amount": 12000.5,
        "pipe_diameter_mm": None,
        "force_majeure": None,
        "severity": None,
        "note": _("稽查发现私接管道"),
    }


def template_filename(kind: str) -> str:
    return f"import-template-{kind}.xlsx"


def template_workbook(kind: str) -> bytes:
    """The .xlsx template of `kind`: sheet 1 the Chinese headers and the example row, sheet 2
    each column's English name, whether it is required and its format, the allowed values
    and the date formats."""
    spec = SPECS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = _("导入数据")
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    ws.append([col.zh for col in spec.columns])
    example = example_row(kind)
    ws.append([example.get(col.name) for col in spec.columns])
    for index, col in enumerate(spec.columns, start=1):
        letter = get_column_letter(index)
        header = ws.cell(row=1, column=index)
        header.font, header.fill = bold, fill
        cell = ws.cell(row=2, column=index)
        if isinstance(cell.value, datetime.date):
            cell.number_format = "yyyy/m/d"
        elif col.name in TEXT_COLUMNS:
            cell.number_format = "@"
            ws.column_dimensions[letter].number_format = "@"
        elif col.name == "amount":
            cell.number_format = "0.00"
        ws.column_dimensions[letter].width = max(12, len(col.zh) * 2 + 4, len(str(cell.value or "")) + 4)
    ws.freeze_panes = "A2"

    guide = wb.create_sheet(_("填写说明"))
    guide.append([_("中文列名（第一行用这些列名）"), _("英文列名（也可作表头）"), _("必填"), _("格式")])
    hints = column_hints(kind)
    for col in spec.columns:
        guide.append([col.zh, col.name, _("是") if col.required else _("否"), hints[col.name]])
    guide.append([])
    guide.append([_("日期格式"), date_formats_text()])
    guide.append(
        [_("文件"), _("CSV 可为 UTF-8（带或不带 BOM）或 GBK/GB18030（Excel“CSV（逗号分隔）”）；或 .xlsx 第一个工作表")]
    )
    guide.append([_("规则"), _("整个文件全部导入或全部不导入；单元格中不能有 NUL 等控制字符；空单元格表示未填写")])
    for allowed in allowed_values(kind):
        guide.append([])
        guide.append([allowed.column, _("代码"), _("中文名称（也可填写）") if allowed.labels_accepted else _("含义")])
        guide.cell(row=guide.max_row, column=1).font = bold
        for code, label in allowed.values:
            guide.append(["", code, label])
    for cell in guide[1]:
        cell.font, cell.fill = bold, fill
    for letter, width in zip("ABCD", (30, 26, 36, 60), strict=True):
        guide.column_dimensions[letter].width = width

    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
