"""What an approved repair does to a customer's level, in words (pure: level codes in, sentences out).

Three levels tell it truthfully (`repair.services.approval_preview` computes them before a decision,
`repair.services.approve` stores them on the request):

* `stored` — the customer's result in the latest succeeded run, before the decision (`level_before`);
* `unrepaired` — what the records give now for that run's date, the repaired records still counting
  (`level_unrepaired`);
* `after` — what the records give with the repaired records excluded: the re-rated result (`level_after`).

The repair's own effect is `unrepaired` → `after`; anything between `stored` and `unrepaired` comes from
other records recorded or voided since the run, and is named apart, neutrally. An approved repair never
reads as having lowered a level: excluding records cannot make a rating worse.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

LEVEL_RANK = {"green": 0, "blue": 1, "yellow": 2, "red": 3}


def level_name(level: str | None) -> str:
    from .models import level_label

    return level_label(level or "")


def repair_effect(unrepaired: str | None, after: str | None) -> str:
    """The repair's own effect: "本次修复使信用等级由红色恢复为黄色" / "本次修复不改变信用等级(红色)"."""
    if unrepaired and after and LEVEL_RANK.get(after, 9) < LEVEL_RANK.get(unrepaired, -1):
        return _("本次修复使信用等级由%(before)s恢复为%(after)s") % {
            "before": level_name(unrepaired),
            "after": level_name(after),
        }
    if (unrepaired or "") == (after or ""):
        if not after:
            return _("本次修复不改变信用等级（未评级）")
        return _("本次修复不改变信用等级（%(level)s）") % {"level": level_name(after)}
    # Not expected (excluding records does not worsen a rating): say what the records give, neutrally.
    return _("按修复后的记录评定，信用等级为%(level)s") % {"level": level_name(after)}


def other_change(
    stored: str | None, unrepaired: str | None, run_date: datetime.date | None, objection: bool = False
) -> str:
    """Other records changed since the run (the stored level differs from what they give without the
    repair): "另:自上次评级(2026-11-30,黄色)以来信用记录的其他变动使评定结果为红色,与本次修复无关"; "" when
    nothing else changed the level."""
    if run_date is None or (stored or "") == (unrepaired or ""):
        return ""
    if objection:
        return _(
            "另：自上次评级（%(day)s，%(stored)s）以来信用记录的其他变动使评定结果为%(now)s，与本次异议处理无关"
        ) % {
            "day": run_date.isoformat(),
            "stored": level_name(stored),
            "now": level_name(unrepaired),
        }
    return _("另：自上次评级（%(day)s，%(stored)s）以来信用记录的其他变动使评定结果为%(now)s，与本次修复无关") % {
        "day": run_date.isoformat(),
        "stored": level_name(stored),
        "now": level_name(unrepaired),
    }


def objection_effect(unrepaired: str | None, after: str | None) -> str:
    """An upheld objection's own effect (the records concerned voided or corrected):
    "异议成立使信用等级由红色调整为黄色" / "异议成立不改变信用等级（红色）"."""
    if (unrepaired or "") == (after or ""):
        if not after:
            return _("异议成立不改变信用等级（未评级）")
        return _("异议成立不改变信用等级（%(level)s）") % {"level": level_name(after)}
    return _("异议成立使信用等级由%(before)s调整为%(after)s") % {
        "before": level_name(unrepaired) if unrepaired else _("未评级"),
        "after": level_name(after) if after else _("未评级"),
    }


def decision_sentences(
    stored: str | None,
    unrepaired: str | None,
    after: str | None,
    run_date: datetime.date | None,
    objection: bool = False,
) -> list[str]:
    """The sentences the decision's message and the letter say about the level, in order: the
    decision's own effect (a repair's, or an upheld objection's), then other changes since the run."""
    sentences = [objection_effect(unrepaired, after) if objection else repair_effect(unrepaired, after)]
    other = other_change(stored, unrepaired, run_date, objection)
    if other:
        sentences.append(other)
    return sentences
