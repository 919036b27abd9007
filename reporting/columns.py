"""The sheets' column names, exactly as reporting-batch.md writes them, and each sheet's key column."""

from __future__ import annotations

from repair import reporting as repair_reporting

from .models import Sheet

COLUMNS: dict[str, tuple[str, ...]] = {
    Sheet.PLEDGE: (
        "承诺编码",
        "承诺人名称",
        "承诺人类别",
        "承诺人代码",
        "承诺类型",
        "承诺事由",
        "承诺内容",
        "违诺责任",
        "承诺作出日期",
        "承诺有效期",
        "承诺受理单位",
        "承诺受理单位代码",
        "公开类型",
        "备注",
    ),
    Sheet.FULFILMENT: (
        "承诺编码",
        "承诺履行状态",
        "未履行的承诺内容",
        "违诺责任追究内容",
        "承诺履行状态认定日期",
        "认定单位",
        "认定单位代码",
    ),
    Sheet.RATING: (
        "企业名称",
        "统一社会信用代码",
        "评定内容",
        "等级",
        "评定时间",
        "评定单位",
        "评定单位代码",
    ),
    Sheet.REPAIR: repair_reporting.COLUMNS,  # the repair app builds these rows (repair/reporting.py)
}

# The column that names a row to the platform (and in a return file).
KEY_COLUMN: dict[str, str] = {
    Sheet.PLEDGE: "承诺编码",
    Sheet.FULFILMENT: "承诺编码",
    Sheet.RATING: "统一社会信用代码",
    Sheet.REPAIR: "编号",
}

# The sheet names as the workbook, the CSV files and the platform write them.
SHEET_NAMES: dict[str, str] = {
    Sheet.PLEDGE: "信用承诺",
    Sheet.FULFILMENT: "履约践诺",
    Sheet.RATING: "信用评价",
    Sheet.REPAIR: "信用修复",
}
SHEET_BY_NAME: dict[str, str] = {name: sheet for sheet, name in SHEET_NAMES.items()}
