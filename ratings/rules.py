"""Annex 4, pure: a customer's facts as of a date `D` in, the level and the criteria that hold out.

No database and no Django here. Each criterion is one small function named by its code,
documented with Annex 4's words and the rule of `annex4-rules.md`, so a reader can hold
this module against the spec line by line. The facts are gathered by `ratings.facts`
(one aggregate query for one customer or for a million), always with these windows:

- "一年内": dated after `D` minus one year and on or before `D` (`one_year_before`);
- "三年内": likewise with three years;
- "自立户起": any date up to `D`;
- criteria that give no window (Y5, Y6, R8–R11) use the one-year window.

What counts (applied by the facts query, see `ratings.facts`): events dated on or before
`D`, neither voided nor repaired; a `pipe_outage` marked `force_majeure` never counts.
A late payment is a bill paid after its due date (`due_on < paid_on <= D`) or overdue at
`D`, dated at its `due_on`, unless the bill's late payment was repaired; plus every
counting `late_payment` event.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, fields

from customers.dates import add_months, months_between

GREEN, BLUE, YELLOW, RED = "green", "blue", "yellow", "red"


def years_before(day: datetime.date, years: int) -> datetime.date:
    """`day` moved back whole years; 29 February becomes 28 February."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def one_year_before(day: datetime.date) -> datetime.date:
    """The exclusive start of "一年内": the window is (one_year_before(D), D]."""
    return years_before(day, 1)


def three_years_before(day: datetime.date) -> datetime.date:
    """The exclusive start of "三年内": the window is (three_years_before(D), D]."""
    return years_before(day, 3)


@dataclass(frozen=True, slots=True)
class Facts:
    """Everything Annex 4 looks at for one customer as of `D`; counts are of counting records only.

    `_1y` / `_3y` / `_ever` name the window: one year, three years, or since the account was opened.
    The field order is the column order of the facts query (`ratings.facts.FACT_COLUMNS`).
    """

    prepaid: bool
    oldest_overdue_due_on: datetime.date | None  # O: due_on of the oldest bill overdue at D
    late_payments_1y: int  # late bills (dated at due_on) + late_payment events
    late_payments_3y: int
    violations_1y: int  # contract_violation
    violations_3y: int
    violations_ever: int
    thefts_1y: int  # water_theft
    thefts_3y: int
    thefts_ever: int
    thefts_large_1y: int  # water_theft with amount >= 10,000.00
    thefts_small_1y: int  # water_theft with amount < 10,000.00 (or no amount recorded)
    dishonesty_general_1y: int
    dishonesty_general_3y: int
    dishonesty_serious_1y: int
    dishonesty_serious_3y: int
    outages_small_1y: int  # pipe_outage, not force majeure, diameter <= 160 mm (or none recorded)
    outages_large_1y: int  # pipe_outage, not force majeure, diameter > 160 mm
    damage_minor_1y: int  # facility_damage, severity minor
    damage_serious_1y: int  # facility_damage, severity serious
    misrepresentations_1y: int  # usage_misrepresentation
    hazards_unrectified_1y: int  # safety_hazard_unrectified
    meter_faults_refused_1y: int  # meter_fault_refused
    zone_violations_1y: int  # protection_zone_violation
    agreement_refusals_1y: int  # agreement_refusal
    order_disruptions_1y: int  # order_disruption

    @classmethod
    def empty(cls, prepaid: bool = False) -> Facts:
        """A customer with no bills overdue and no records at all."""
        values = {f.name: 0 for f in fields(cls)}
        values.update(prepaid=prepaid, oldest_overdue_due_on=None)
        return cls(**values)


def arrears_months(facts: Facts, day: datetime.date) -> int:
    """Whole calendar months from O to `day` (0 when no bill is overdue)."""
    if facts.oldest_overdue_due_on is None:
        return 0
    return months_between(facts.oldest_overdue_due_on, day)


# --- Green: all four must hold -------------------------------------------------------------


def g1(f: Facts, d: datetime.date) -> bool:
    """G1 采用预存方式缴纳水费,水费账户无实时欠费行为: prepaid and no overdue bill."""
    return f.prepaid and f.oldest_overdue_due_on is None


def g2(f: Facts, d: datetime.date) -> bool:
    """G2 三年内未发生未按合同、协议约定的方式和期限缴纳水费的行为: no late payment in three years."""
    return f.late_payments_3y == 0


def g3(f: Facts, d: datetime.date) -> bool:
    """G3 自立户起无违约用水行为: no contract_violation and no water_theft ever (theft is the graver form)."""
    return f.violations_ever == 0 and f.thefts_ever == 0


def g4(f: Facts, d: datetime.date) -> bool:
    """G4 湖北省法人公共信用信息查询报告结果显示无失信行为: no dishonesty record (general or serious) in three years."""
    return f.dishonesty_general_3y == 0 and f.dishonesty_serious_3y == 0


# --- Blue: reported as information; blue is every rated customer neither red, yellow nor green ----


def b1(f: Facts, d: datetime.date) -> bool:
    """B1 拖欠水费2个月以上3个月以内: an overdue bill and O + 2 months < D <= O + 3 months."""
    o = f.oldest_overdue_due_on
    return o is not None and add_months(o, 2) < d <= add_months(o, 3)


def b2(f: Facts, d: datetime.date) -> bool:
    """B2 一年内未发生未按合同、协议约定的方式和期限缴纳水费的行为: no late payment in one year."""
    return f.late_payments_1y == 0


def b3(f: Facts, d: datetime.date) -> bool:
    """B3 三年内无违约用水行为: no contract_violation or water_theft in three years."""
    return f.violations_3y == 0 and f.thefts_3y == 0


def b4(f: Facts, d: datetime.date) -> bool:
    """B4 湖北省法人公共信用信息查询报告结果显示无失信行为: as G4."""
    return g4(f, d)


# --- Yellow: any one (one-year window) -----------------------------------------------------


def y1(f: Facts, d: datetime.date) -> bool:
    """Y1 一年内发生3次及以上5次以下未按约定缴纳水费的行为: 3 <= late payments < 5 (5 is R2)."""
    return 3 <= f.late_payments_1y < 5


def y2(f: Facts, d: datetime.date) -> bool:
    """Y2 一年内发生2次违约用水或1次窃水的行为(窃水金额1万元以下的): violations >= 2, or a theft below 10,000."""
    return f.violations_1y >= 2 or f.thefts_small_1y >= 1


def y3(f: Facts, d: datetime.date) -> bool:
    """Y3 一年内发生2次及以上一般失信行为: dishonesty_general >= 2."""
    return f.dishonesty_general_1y >= 2


def y4(f: Facts, d: datetime.date) -> bool:
    """Y4 …造成直径160mm以内等级公用水管网停水的行为: a counting pipe_outage with diameter <= 160 mm."""
    return f.outages_small_1y >= 1


def y5(f: Facts, d: datetime.date) -> bool:
    """Y5 故意破坏供水设施,情节较轻,且能主动赔偿造成损失的行为: a facility_damage with severity minor."""
    return f.damage_minor_1y >= 1


def y6(f: Facts, d: datetime.date) -> bool:
    """Y6 歪曲用水量或用水行为,企图通过不正当途径取得不正当得益的行为: a usage_misrepresentation."""
    return f.misrepresentations_1y >= 1


# --- Red: any one (one-year window) -----------------------------------------------------------


def r1(f: Facts, d: datetime.date) -> bool:
    """R1 拖欠水费6个月及以上: an overdue bill and D >= O + 6 months."""
    o = f.oldest_overdue_due_on
    return o is not None and d >= add_months(o, 6)


def r2(f: Facts, d: datetime.date) -> bool:
    """R2 一年内发生5次及以上未按约定缴纳水费的行为: late payments >= 5."""
    return f.late_payments_1y >= 5


def r3(f: Facts, d: datetime.date) -> bool:
    """R3 一年内发生3次及以上违约用水行为或2次及以上窃水行为或1次窃水的行为(金额1万元及以上的)."""
    return f.violations_1y >= 3 or f.thefts_1y >= 2 or f.thefts_large_1y >= 1


def r4(f: Facts, d: datetime.date) -> bool:
    """R4 一年内发生2次及以上较重失信行为: dishonesty_serious >= 2."""
    return f.dishonesty_serious_1y >= 2


def r5(f: Facts, d: datetime.date) -> bool:
    """R5 一年内发生4次及以上未及时整改用水安全隐患的行为: safety_hazard_unrectified >= 4."""
    return f.hazards_unrectified_1y >= 4


def r6(f: Facts, d: datetime.date) -> bool:
    """R6 一年内发生3次及以上计量装置故障,拒不整改、拒不补缴纳水费的行为: meter_fault_refused >= 3."""
    return f.meter_faults_refused_1y >= 3


def r7(f: Facts, d: datetime.date) -> bool:
    """R7 …造成直径160mm以上等级公用水管网停水的行为: a counting pipe_outage with diameter > 160 mm."""
    return f.outages_large_1y >= 1


def r8(f: Facts, d: datetime.date) -> bool:
    """R8 故意破坏供水设施,情节较重,造成较大损失或较坏影响的行为: a facility_damage with severity serious."""
    return f.damage_serious_1y >= 1


def r9(f: Facts, d: datetime.date) -> bool:
    """R9 在供水设施保护范围内违章作业,拒不接受劝阻和处理的行为: a protection_zone_violation."""
    return f.zone_violations_1y >= 1


def r10(f: Facts, d: datetime.date) -> bool:
    """R10 拒不依法依规履行用水方案、用水协议的行为: an agreement_refusal."""
    return f.agreement_refusals_1y >= 1


def r11(f: Facts, d: datetime.date) -> bool:
    """R11 扰乱供水企业秩序,致使生产、工作和经营不能正常进行的行为: an order_disruption."""
    return f.order_disruptions_1y >= 1


Criterion = Callable[[Facts, datetime.date], bool]

# Numeric order within each level: this order is the order criteria are reported in.
CRITERIA: dict[str, Criterion] = {
    "G1": g1,
    "G2": g2,
    "G3": g3,
    "G4": g4,
    "B1": b1,
    "B2": b2,
    "B3": b3,
    "B4": b4,
    "Y1": y1,
    "Y2": y2,
    "Y3": y3,
    "Y4": y4,
    "Y5": y5,
    "Y6": y6,
    "R1": r1,
    "R2": r2,
    "R3": r3,
    "R4": r4,
    "R5": r5,
    "R6": r6,
    "R7": r7,
    "R8": r8,
    "R9": r9,
    "R10": r10,
    "R11": r11,
}


@dataclass(frozen=True, slots=True)
class Rating:
    """The outcome: the level, its own criteria that hold (numeric order), and every code that holds."""

    level: str
    criteria: tuple[str, ...]
    holding: tuple[str, ...]


def holding_codes(facts: Facts, day: datetime.date) -> tuple[str, ...]:
    """Every criterion code (of any level) that holds, in numeric order G, B, Y, R."""
    return tuple(code for code, rule in CRITERIA.items() if rule(facts, day))


def decide(holding: tuple[str, ...]) -> str:
    """annex4-rules.md "Deciding the level": red if any R, else yellow if any Y, else green if G1–G4, else blue."""
    prefixes = {code[0] for code in holding}
    if "R" in prefixes:
        return RED
    if "Y" in prefixes:
        return YELLOW
    if all(code in holding for code in ("G1", "G2", "G3", "G4")):
        return GREEN
    return BLUE


LEVEL_PREFIX = {GREEN: "G", BLUE: "B", YELLOW: "Y", RED: "R"}


def rate(facts: Facts, day: datetime.date) -> Rating:
    """The level of a rated customer with `facts` as of `day`, and the criteria reported with it."""
    holding = holding_codes(facts, day)
    level = decide(holding)
    own = tuple(code for code in holding if code[0] == LEVEL_PREFIX[level])
    return Rating(level, own, holding)
