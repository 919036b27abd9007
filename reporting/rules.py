"""The checks every batch row passes before export (reporting-batch.md): pure, no database.

Each check is one small function that returns the reason a value fails, in Chinese, or None.
The builder (`reporting.builder`) applies them column by column; a row with any reason is held back.

Formats, as the sheets write them: `C200` = text of at most 200 characters; `E` = one of the listed
values; dates `YYYY-MM-DD`; codes (`…代码`) are USCCs checked under GB 32100-2015.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.utils.translation import gettext as _

from customers.uscc import uscc_error

AREA_CODE = "421300"
PLEDGE_NUMBER = re.compile(r"^421300(\d{8})(\d{6})$")

# GB 32100-2015, table 1: position 1 is the registration authority, position 2 the kind of holder it
# registers. Everything else the standard allows is listed; anything else is not a USCC.
AUTHORITY_TYPES: dict[str, str] = {
    "1": "1239",  # 机构编制: 机关, 事业单位, 中央编办直接管理机构编制的群众团体, 其他
    "2": "19",  # 外交: 外国常驻新闻机构, 其他
    "3": "123459",  # 司法行政: 律师执业机构, 公证处, 基层法律服务所, 司法鉴定机构, 仲裁委员会, 其他
    "4": "19",  # 文化: 外国在华文化中心, 其他
    "5": "1239",  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
    "6": "129",  # 旅游: 外国旅游部门常驻代表机构, 港澳台地区旅游部门常驻内地(大陆)代表机构, 其他
    "7": "129",  # 宗教: 宗教活动场所, 宗教院校, 其他
    "8": "19",  # 工会: 基层工会, 其他
    "9": "123",  # 工商: 企业, 个体工商户, 农民专业合作社
    "A": "19",  # 中央军委改革和编制办公室: 军队事业单位, 其他
    "N": "1239",  # 农业: 组级, 村级, 乡镇级集体经济组织, 其他
    "Y": "1",  # 其他
}

# Control characters and bidirectional overrides never belong in a field sent to the platform; line
# breaks are allowed in the long texts (承诺内容 and the like).
_BIDI = {
    "\u202a",
    "\u202b",
    "\u202c",
    "\u202d",
    "\u202e",
    "\u2066",
    "\u2067",
    "\u2068",
    "\u2069",
    "\u200e",
    "\u200f",
}


def text(value: str, limit: int, *, required: bool = True, multiline: bool = False) -> str | None:
    """C<limit>: required unless optional, at most `limit` characters, no control characters."""
    if not value or not value.strip():
        return _("必填，不能为空") if required else None
    if len(value) > limit:
        return _("最多 %(limit)d 个字符，实际 %(n)d 个") % {
            "limit": limit,
            "n": len(value),
        }
    allowed = "\n\r\t" if multiline else ""
    for ch in value:
        if ch in _BIDI or (unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") and ch not in allowed):
            return _("含有不可见的控制字符（U+%(code)04X）") % {"code": ord(ch)}
    return None


def empty(value: str) -> str | None:
    """A column that must stay empty (e.g. 未履行的承诺内容 when 全部履行)."""
    return _("状态为全部履行时应为空") if value else None


def enum(value: str, allowed: tuple[str, ...]) -> str | None:
    if value not in allowed:
        return _("应为 %(allowed)s 之一，实际为“%(value)s”") % {
            "allowed": " / ".join(allowed),
            "value": value,
        }
    return None


def date(value: str, *, required: bool = True, latest: datetime.date | None = None) -> str | None:
    """YYYY-MM-DD, a real date, not after `latest` when given."""
    if not value:
        return _("必填，不能为空") if required else None
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return _("日期格式应为 YYYY-MM-DD，实际为“%(value)s”") % {"value": value}
    try:
        day = datetime.date.fromisoformat(value)
    except ValueError:
        return _("不是有效日期：%(value)s") % {"value": value}
    if latest is not None and day > latest:
        return _("日期 %(day)s 晚于报送期间末日 %(latest)s") % {
            "day": value,
            "latest": latest.isoformat(),
        }
    return None


def uscc(value: str) -> str | None:
    """A valid USCC under GB 32100-2015: length, characters, check character, authority and type positions,
    and the six-digit administrative division code."""
    if not value:
        return _("必填，不能为空")
    reason = uscc_error(value)
    if reason:
        return _("统一社会信用代码 %(code)s 无效：%(reason)s") % {
            "code": value,
            "reason": reason,
        }
    authority, kind = value[0], value[1]
    if authority not in AUTHORITY_TYPES:
        return _("统一社会信用代码 %(code)s 的第1位（登记管理部门代码）“%(c)s”不在 GB 32100 规定的范围内") % {
            "code": value,
            "c": authority,
        }
    if kind not in AUTHORITY_TYPES[authority]:
        return _("统一社会信用代码 %(code)s 的第2位（机构类别代码）“%(c)s”不是登记管理部门“%(a)s”可用的类别") % {
            "code": value,
            "c": kind,
            "a": authority,
        }
    if not value[2:8].isdigit():
        return _("统一社会信用代码 %(code)s 的第3–8位（登记管理机关行政区划码）应为数字") % {"code": value}
    return None


INDIVIDUAL = "个体工商户"
ORGANISATION = "法人及非法人组织"


def holder_class(code: str, is_individual: bool) -> str | None:
    """承诺人类别: 个体工商户 exactly when the USCC starts with 92 (registered by 工商 as an individual business)."""
    starts_92 = code.startswith("92")
    if is_individual and not starts_92:
        return _("承诺人类别为个体工商户，但统一社会信用代码 %(code)s 不以 92 开头") % {"code": code}
    if starts_92 and not is_individual:
        return _("统一社会信用代码 %(code)s 以 92 开头（个体工商户），但承诺人类别不是个体工商户") % {"code": code}
    return None


def pledge_number(value: str, signed_on: datetime.date | None) -> str | None:
    """承诺编码: 421300 + the pledge date YYYYMMDD + a 6-digit serial."""
    if not value:
        return _("必填，不能为空")
    found = PLEDGE_NUMBER.fullmatch(value)
    if not found:
        return _("承诺编码应为 421300 + 8 位日期 + 6 位序号（共 20 位数字），实际为“%(value)s”") % {"value": value}
    try:
        day = datetime.datetime.strptime(found.group(1), "%Y%m%d").date()
    except ValueError:
        return _("承诺编码中的日期 %(d)s 不是有效日期") % {"d": found.group(1)}
    if signed_on is not None and day != signed_on:
        return _("承诺编码中的日期 %(d)s 与承诺作出日期 %(signed)s 不一致") % {
            "d": day.isoformat(),
            "signed": signed_on.isoformat(),
        }
    return None


PUBLIC = "可向社会公开"


def voluntary_is_public(kind: str, disclosure: str) -> str | None:
    """Annex 3 clause 5: a 主动型 pledge is 可向社会公开."""
    if kind == "主动型" and disclosure != PUBLIC:
        return _("主动型承诺的公开类型应为“可向社会公开”，实际为“%(value)s”") % {"value": disclosure}
    return None


FULFILLED = "全部履行"
PARTLY = "部分履行"
NOT_FULFILLED = "全部未履行"
FULFILMENT_STATES = (FULFILLED, PARTLY, NOT_FULFILLED)
LEVELS = ("绿色", "蓝色", "黄色", "红色")
DISHONEST_LEVELS = ("黄色", "红色")
PLEDGE_KINDS = ("主动型", "信用修复型")
DISCLOSURES = (PUBLIC, "特定范围内公开", "不可公开")
HOLDER_CLASSES = (ORGANISATION, INDIVIDUAL)
DECISIONS = ("准予修复", "不予修复")
RATING_SUBJECT = "供水用水信用等级"
