"""Annex 4's criteria: each code with its own words (annex4-rules.md, "The criteria").

The texts are shown to staff as they stand in the document, so they are not paraphrased.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .models import Level

GREEN_CODES = ("G1", "G2", "G3", "G4")
BLUE_CODES = ("B1", "B2", "B3", "B4")
YELLOW_CODES = ("Y1", "Y2", "Y3", "Y4", "Y5", "Y6")
RED_CODES = ("R1", "R2", "R3", "R4", "R5", "R6", "R7", "R8", "R9", "R10", "R11")

CODES_BY_LEVEL: dict[str, tuple[str, ...]] = {
    Level.GREEN.value: GREEN_CODES,
    Level.BLUE.value: BLUE_CODES,
    Level.YELLOW.value: YELLOW_CODES,
    Level.RED.value: RED_CODES,
}
LEVEL_BY_PREFIX = {"G": Level.GREEN.value, "B": Level.BLUE.value, "Y": Level.YELLOW.value, "R": Level.RED.value}

CRITERIA: dict[str, str] = {
    "G1": _("采用预存方式缴纳水费,水费账户无实时欠费行为"),
    "G2": _("三年内未发生未按合同、协议约定的方式和期限缴纳水费的行为"),
    "G3": _("自立户起无违约用水行为"),
    "G4": _("湖北省法人公共信用信息查询报告结果显示无失信行为"),
    "B1": _("拖欠水费2个月以上3个月以内"),
    "B2": _("一年内未发生未按合同、协议约定的方式和期限缴纳水费的行为"),
    "B3": _("三年内无违约用水行为"),
    "B4": _("湖北省法人公共信用信息查询报告结果显示无失信行为"),
    "Y1": _("一年内发生3次及以上5次以下未按约定缴纳水费的行为"),
    "Y2": _("一年内发生2次违约用水或1次窃水的行为(窃水金额1万元以下的)"),
    "Y3": _("一年内发生2次及以上一般失信行为"),
    "Y4": _("一年内发生1次因内部故障(不可抗力除外)或违章施工,造成直径160mm以内等级公用水管网停水的行为"),
    "Y5": _("故意破坏供水设施,情节较轻,且能主动赔偿造成损失的行为"),
    "Y6": _("歪曲用水量或用水行为,企图通过不正当途径取得不正当得益的行为"),
    "R1": _("拖欠水费6个月及以上"),
    "R2": _("一年内发生5次及以上未按约定缴纳水费的行为"),
    "R3": _("一年内发生3次及以上违约用水行为或2次及以上窃水行为或1次窃水的行为(金额1万元及以上的)"),
    "R4": _("一年内发生2次及以上较重失信行为"),
    "R5": _("一年内发生4次及以上未及时整改用水安全隐患的行为"),
    "R6": _("一年内发生3次及以上计量装置故障,拒不整改、拒不补缴纳水费的行为"),
    "R7": _("一年内发生1次及以上因内部故障(不可抗力除外)或违章施工,造成直径160mm以上等级公用水管网停水的行为"),
    "R8": _("故意破坏供水设施,情节较重,造成较大损失或较坏影响的行为"),
    "R9": _("在供水设施保护范围内违章作业,拒不接受劝阻和处理的行为"),
    "R10": _("拒不依法依规履行用水方案、用水协议的行为"),
    "R11": _("扰乱供水企业秩序,致使生产、工作和经营不能正常进行的行为"),
}


def code_key(code: str) -> tuple[int, int]:
    """Sort key giving Annex 4's numeric order within and across levels: G, B, Y, R, then R2 before R10."""
    return ("GBYR".index(code[0]), int(code[1:]))


def sort_codes(codes) -> tuple[str, ...]:
    """`codes` in numeric order (R1;R3;R10), never string order."""
    return tuple(sorted(codes, key=code_key))


def criterion_text(code: str) -> str:
    """Annex 4's words for `code` (in the active language)."""
    return str(CRITERIA[code])
