"""Demo data for `manage.py seed_demo`: Suizhou business customers, three years of bills, events.

Deterministic: one seeded `random.Random` makes every choice, so the same seed on the same
day gives the same data. Dates are relative to `today` (bills run up to last month).
Everything is written with bulk_create and logged in the audit log as `command:seed_demo`.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from . import audit
from .models import AuditEntry, Bill, Company, Customer, Event, EventType, Severity
from .roles import ADMIN, CLERK, ROLE_LABELS, SERVICE_CENTER, SUPERVISOR
from .uscc import make_uscc, uscc_kind

DEMO_ACTOR = "command:seed_demo"
DEMO_SEED = 20260101
DEMO_PASSWORD = "suizhou-demo"
DEMO_EMAIL_DOMAIN = "demo.invalid"
DEMO_NOTE = "演示数据"


@dataclass(frozen=True)
class DemoUser:
    username: str
    name: str
    roles: tuple[str, ...]
    companies: tuple[str, ...]
    superuser: bool = False

    @property
    def email(self) -> str:
        return f"{self.username}@{DEMO_EMAIL_DOMAIN}"


DEMO_USERS = (
    DemoUser("clerk_city", "王敏", (CLERK,), (Company.CITY,)),
    DemoUser("clerk_county", "刘洋", (CLERK,), (Company.COUNTY,)),
    DemoUser("supervisor", "陈静", (SUPERVISOR,), (Company.CITY, Company.COUNTY)),
    DemoUser("admin", "张伟", (ADMIN,), (Company.CITY, Company.COUNTY), superuser=True),
    # 客户服务中心: follows both companies' credit work and comments on their progress reports (reads only).
    DemoUser("service_center", "肖丽", (SERVICE_CENTER,), (Company.CITY, Company.COUNTY)),
)

# --- Word lists -------------------------------------------------------------------------

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏付方白邹孟熊秦邱江尹薛段雷侯龙史陶贺顾毛郝龚邵万严武戴向汤"
)
GIVEN_NAMES = (
    "伟 芳 娜 秀英 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀兰 霞 平 刚 桂英 建华 志强 国庆 海燕 红梅 "
    "春生 德明 建国 小红 文杰 玉兰 永红 金华 庆丰 长林 俊 斌 慧 琳 浩 鹏 晓东 卫东 明华 新民 学文 家豪 子涵"
).split()
BRANDS = (
    "恒达 鑫源 华盛 金穗 福瑞 德润 安泰 永兴 楚天 汉东 炎帝 神农 编钟 季梁 曾侯 白云 大洪山 涢水 厉山 银河 "
    "天成 润泽 宏远 正通 瑞丰 佳禾 盛世 锦程 同心 新源 金凤 双龙 祥和 万顺 龙腾 汇通 康宁 惠民 长盛 广源 "
    "九州 泰和 鸿运 丰泽 兴隆 明珠 绿源 晨光 美景 金桥"
).split()

# 曾都区 (city company): streets, towns and roads.
CITY_AREAS = "西城街道 东城街道 南郊街道 北郊街道 城南新区 何店镇 洛阳镇 府河镇 万店镇 淅河镇".split()
CITY_ROADS = (
    "烈山大道 沿江大道 舜井大道 解放路 青年路 清河路 汉东路 交通大道 文帝大道 季梁大道 明珠路 白云大道 "
    "编钟大道 曾都大道 擂鼓墩大道 神农大道 玉波门路 新华街 中山街 迎宾大道 碧波大道"
).split()
CITY_PARKS = ("随州高新区十岗工业园", "曾都经济开发区", "随州高新区淅河工业园", "随州高新区裕民工业园")
# 随县 (county company): towns and villages.
COUNTY_TOWNS = (
    "厉山镇 高城镇 殷店镇 草店镇 小林镇 淮河镇 万和镇 尚市镇 唐县镇 吴山镇 新街镇 安居镇 环潭镇 洪山镇 "
    "长岗镇 三里岗镇 柳林镇 均川镇"
).split()
COUNTY_ROADS = "神农大道 炎帝大道 烈山路 向阳路 解放街 建设路 人民路 新华路 工业大道 商贸街".split()
VILLAGES = "红山 黄土 桃园 双河 三合 龙泉 新建 联合 团结 岗河 花园 青龙 白果 杨家湾 石门 两河 九里 凤凰".split()
GUANGSHUI_AREAS = "应山街道 十里街道 广水街道 马坪镇 杨寨镇 郝店镇".split()

ENTERPRISE_TRADES = {
    # trade: (size weights small/medium/large)
    "专用汽车制造": (0.1, 0.4, 0.5),
    "机械制造": (0.3, 0.5, 0.2),
    "纺织": (0.2, 0.5, 0.3),
    "食品": (0.3, 0.5, 0.2),
    "香菇食品": (0.3, 0.5, 0.2),
    "酒业": (0.4, 0.4, 0.2),
    "混凝土": (0.2, 0.5, 0.3),
    "建材": (0.5, 0.4, 0.1),
    "医药连锁": (0.6, 0.4, 0.0),
    "酒店管理": (0.2, 0.6, 0.2),
    "餐饮管理": (0.5, 0.5, 0.0),
    "餐饮": (0.7, 0.3, 0.0),
    "物业管理": (0.3, 0.6, 0.1),
    "商贸": (0.8, 0.2, 0.0),
    "汽车销售服务": (0.6, 0.4, 0.0),
    "房地产开发": (0.5, 0.5, 0.0),
    "建筑工程": (0.5, 0.4, 0.1),
    "印务": (0.6, 0.4, 0.0),
    "洗涤服务": (0.2, 0.6, 0.2),
    "农业发展": (0.6, 0.4, 0.0),
    "纯净水": (0.3, 0.5, 0.2),
    "物流": (0.6, 0.4, 0.0),
}
COUNTY_WORKS = ("食品厂", "建材厂", "米业加工厂", "香菇加工厂", "茶厂", "酒厂", "砖厂", "豆制品厂")
SHOPS = (
    "面馆 早餐店 洗车行 理发店 农家乐 小吃店 宾馆 干洗店 豆腐坊 茶楼 烧烤店 便利店 快餐店 火锅店 "
    "拐子饭店 泡泡青菜馆 水果店 汽修店"
).split()
COOP_CROPS = "香菇种植 茶叶种植 水稻种植 生猪养殖 蔬菜种植 葡萄种植 油茶种植 蜜蜂养殖 食用菌 花卉苗木".split()

# Monthly water bill in yuan, by size.
AMOUNT_RANGES = {
    "tiny": (60, 600),
    "small": (300, 3000),
    "medium": (3000, 20000),
    "large": (20000, 120000),
}

EVENT_NOTES = {
    EventType.LATE_PAYMENT: [
        "未按分期缴费协议约定时间缴纳欠费",
        "催缴通知送达后仍未按期缴纳水费",
        "未按供用水合同约定期限缴纳水费",
    ],
    EventType.CONTRACT_VIOLATION: [
        "擅自改变用水性质，居民用水转经营用水",
        "擅自向其他单位转供水",
        "未经许可擅自接用消防管道用水",
        "擅自超计划用水，经通知未整改",
    ],
    EventType.WATER_THEFT: ["绕越计量表具用水，现场查获", "私自开启消火栓取水", "在供水管道上私接管道用水"],
    EventType.DISHONESTY_GENERAL: [
        "湖北省法人公共信用信息查询报告：一般失信行为（行政处罚）",
        "湖北省法人公共信用信息查询报告：未按期报送年度报告",
    ],
    EventType.DISHONESTY_SERIOUS: [
        "湖北省法人公共信用信息查询报告：较重失信行为（列入经营异常名录）",
        "湖北省法人公共信用信息查询报告：较重失信行为（拖欠工资被行政处罚）",
    ],
    EventType.PIPE_OUTAGE: ["施工违章开挖，挖断供水管道，造成周边停水", "厂区内部管道爆裂未及时处置，造成公用管网停水"],
    EventType.FACILITY_DAMAGE: ["车辆撞坏室外消火栓", "擅自拆除阀门井盖", "损坏水表井及表箱"],
    EventType.USAGE_MISREPRESENTATION: [
        "私自调整水表，少报用水量",
        "虚报用水性质以适用较低水价",
        "多次拒绝抄表并谎报用水量",
    ],
    EventType.SAFETY_HAZARD_UNRECTIFIED: [
        "二次供水水箱未按期清洗消毒，限期整改未整改",
        "自备水源与公共管网直连，限期整改未整改",
        "用水设施存在回流污染隐患，未按通知整改",
    ],
    EventType.METER_FAULT_REFUSED: ["水表损坏拒不更换，拒绝补缴水费", "计量装置故障经通知拒不整改"],
    EventType.PROTECTION_ZONE_VIOLATION: [
        "在输水管道保护范围内违章搭建，拒不接受劝阻",
        "在管道保护范围内打桩作业，劝阻无效",
    ],
    EventType.AGREEMENT_REFUSAL: ["拒不执行计划用水方案", "拒不履行节水改造协议"],
    EventType.ORDER_DISRUPTION: ["在营业厅聚众吵闹，致营业中断", "阻挠抄表及维修人员正常作业"],
}
VOID_REASONS = (
    "录入错误：户号填错，已在正确户号下重新登记",
    "重复录入，保留另一条记录",
    "经现场复核，系表具故障，非客户责任",
    "经核实为相邻单位所为，非本户责任",
)

# --- Helpers ------------------------------------------------------------------------------

_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _org_code(rng: random.Random, new_style: bool) -> str:
    """A 9-character organisation code with its GB 11714 check character."""
    if new_style:  # codes assigned after the 2015 reform: MA + 6 characters
        body = "MA" + "".join(rng.choice(_USCC_ALPHABET[:10] + "ABCDEFGH") for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum(w * (int(c) if c.isdigit() else ord(c) - 55) for w, c in zip(weights, body, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _month_start(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def _rand_date(rng: random.Random, start: datetime.date, end: datetime.date) -> datetime.date:
    if end <= start:
        return start
    return start + datetime.timedelta(days=rng.randint(0, (end - start).days))


def _aware(day: datetime.date, rng: random.Random) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(8, 17), rng.randint(0, 59)))
    return timezone.make_aware(naive)


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN_NAMES)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return f"0722-{rng.randint(3000000, 8999999)}"  # 随州's area code
    return f"1{rng.choice('35789')}{rng.randint(0, 9)}{rng.randint(0, 99999999):08d}"


# --- Customers -----------------------------------------------------------------------------


@dataclass
class Plan:
    """A customer to create and how it behaves."""

    customer: Customer
    size: str
    behaviour: str = "good"  # good | late | arrears
    late_rate: float = 0.0
    arrears_months: int = 0
    events: list[Event] = field(default_factory=list)


def _customer_name_and_kind(rng: random.Random, company: str) -> tuple[str, str, str, str, str]:
    """(name, uscc prefix, region code, address, size) for a new customer."""
    if company == Company.CITY:
        region = rng.choices(("421302", "421300", "421381"), weights=(70, 20, 10))[0]
        area = rng.choice(CITY_AREAS)
        address = f"随州市曾都区{area}{rng.choice(CITY_ROADS)}{rng.randint(1, 300)}号"
        kind = rng.choices(("91", "92", "12", "93", "51", "52"), weights=(55, 27, 10, 2, 3, 3))[0]
    else:
        region = rng.choices(("421321", "421300"), weights=(92, 8))[0]
        area = rng.choice(COUNTY_TOWNS)
        if rng.random() < 0.5:
            address = f"随县{area}{rng.choice(COUNTY_ROADS)}{rng.randint(1, 200)}号"
        else:
            address = f"随县{area}{rng.choice(VILLAGES)}村{rng.randint(1, 12)}组"
        kind = rng.choices(("91", "92", "12", "93", "52"), weights=(45, 25, 12, 15, 3))[0]
    brand = rng.choice(BRANDS)
    if kind != "91":  # registered in their district; only enterprises come from 随州市 level or 广水
        region = "421302" if company == Company.CITY else "421321"
    if kind == "91":
        trade = rng.choice(list(ENTERPRISE_TRADES))
        size = rng.choices(("small", "medium", "large"), weights=ENTERPRISE_TRADES[trade])[0]
        if region == "421381":
            name = f"广水市{brand}{trade}有限公司"
            address = f"随州市曾都区{rng.choice(CITY_PARKS)}{rng.randint(1, 60)}号"
        elif company == Company.COUNTY and rng.random() < 0.35:
            name = f"随县{area}{brand}{rng.choice(COUNTY_WORKS)}"
            size = rng.choice(("small", "medium"))
        else:
            place = {"421302": "随州市曾都区", "421300": rng.choice(("随州市", "湖北", "随州")), "421321": "随县"}[
                region
            ]
            suffix = "股份有限公司" if size == "large" and rng.random() < 0.3 else "有限公司"
            name = f"{place}{brand}{trade}{suffix}"
            if size == "large" and company == Company.CITY:
                address = f"随州市曾都区{rng.choice(CITY_PARKS)}{rng.randint(1, 60)}号"
    elif kind == "92":
        size = "tiny"
        shop = rng.choice(SHOPS)
        owner = rng.choice(SURNAMES)
        style = rng.random()
        if company == Company.CITY:
            place = f"随州市曾都区{area}" if style < 0.5 else "曾都区"
        else:
            place = f"随县{area}"
        if style < 0.35:
            name = f"{place}{owner}记{shop}"
        elif style < 0.7:
            name = f"{place}老{owner}{shop}"
        else:
            name = f"{place}{brand}{shop}"
    elif kind == "12":
        size = rng.choice(("small", "medium", "medium", "large"))
        if company == Company.CITY:
            name = rng.choice(
                (
                    f"随州市曾都区{area}中心学校",
                    f"随州市曾都区{area}社区卫生服务中心",
                    f"随州市曾都区第{rng.randint(1, 12)}中学",
                    f"随州市曾都区{rng.choice(CITY_ROADS)}小学",
                    f"随州市曾都区{area}农业技术推广服务中心",
                )
            )
        else:
            name = rng.choice(
                (
                    f"随县{area}中心卫生院",
                    f"随县{area}中心学校",
                    f"随县{area}初级中学",
                    f"随县{area}农业技术推广服务中心",
                    f"随县{area}敬老院",
                )
            )
        region = "421302" if company == Company.CITY else "421321"
    elif kind == "93":
        size = rng.choice(("tiny", "small"))
        place = f"随县{area}" if company == Company.COUNTY else f"随州市曾都区{area}"
        name = f"{place}{brand}{rng.choice(COOP_CROPS)}专业合作社"
        region = "421321" if company == Company.COUNTY else "421302"
    elif kind == "51":
        size = "small"
        name = f"随州市曾都区{rng.choice(('餐饮', '汽车', '香菇', '建材', '酒店'))}行业商会"
        region = "421302"
    else:  # 52: private non-enterprise units
        size = "small"
        place = "随州市曾都区" if company == Company.CITY else f"随县{area}"
        name = f"{place}{brand}{rng.choice(('幼儿园', '养老服务中心', '培训学校'))}"
    return name, kind, region, address, size


def build_customers(rng: random.Random, count: int, today: datetime.date, companies: dict[str, Company]) -> list[Plan]:
    plans: list[Plan] = []
    names: set[str] = set()
    usccs: set[str] = set()
    city_count = round(count * 0.6)
    serial = {Company.CITY: 0, Company.COUNTY: 0}
    latest_open = min(datetime.date(2025, 12, 31), today - datetime.timedelta(days=1))
    for i in range(count):
        code = Company.CITY if i < city_count else Company.COUNTY
        while True:
            name, prefix, region, address, size = _customer_name_and_kind(rng, code)
            if name not in names:
                break
        names.add(name)
        # Older accounts are more common than new ones.
        opened_on = _rand_date(rng, datetime.date(2010, 1, 1), latest_open)
        if rng.random() < 0.4:
            opened_on = _rand_date(rng, datetime.date(2010, 1, 1), opened_on)
        while True:
            uscc = make_uscc(f"{prefix}{region}{_org_code(rng, opened_on.year >= 2015)}")
            if uscc not in usccs:
                break
        usccs.add(uscc)
        serial[code] += 1
        account_no = f"{'01' if code == Company.CITY else '02'}{opened_on:%y}{serial[code]:05d}"
        prepaid = rng.random() < 0.4
        customer = Customer(
            account_no=account_no,
            name=name,
            uscc=uscc,
            kind=uscc_kind(uscc),
            company=companies[code],
            opened_on=opened_on,
            payment_mode=Customer.PREPAID if prepaid else Customer.POSTPAID,
            legal_representative=_person(rng),
            phone=_phone(rng),
            address=address,
        )
        plan = Plan(customer, size)
        roll = rng.random()
        if prepaid:
            if roll < 0.06:
                plan.behaviour, plan.late_rate = "late", rng.uniform(0.03, 0.1)
            elif roll < 0.09:
                plan.behaviour, plan.arrears_months = "arrears", rng.randint(1, 3)
        elif roll < 0.25:
            plan.behaviour, plan.late_rate = "late", rng.uniform(0.05, 0.3)
        elif roll < 0.37:
            plan.behaviour, plan.arrears_months = "arrears", rng.randint(1, 8)
        plans.append(plan)
    return plans


# --- Bills ------------------------------------------------------------------------------


def build_bills(rng: random.Random, plan: Plan, today: datetime.date) -> list[Bill]:
    """Monthly bills for the last 36 months (up to last month), due the 25th of the next month."""
    customer = plan.customer
    last = _month_index(today) - 1
    first = max(last - 35, _month_index(customer.opened_on))
    low, high = AMOUNT_RANGES[plan.size]
    base = rng.uniform(low, high)
    bills = []
    for index in range(first, last + 1):
        period_start = _month_start(index)
        next_month = _month_start(index + 1)
        season = 1.25 if period_start.month in (6, 7, 8, 9) else 0.9 if period_start.month in (12, 1, 2) else 1.0
        amount = Decimal(str(round(base * season * rng.uniform(0.85, 1.15), 2)))
        due_on = next_month.replace(day=25)
        bills.append(Bill(customer=customer, period=f"{period_start:%Y-%m}", amount=amount, due_on=due_on))
    overdue_capable = [b for b in bills if b.due_on < today]
    unpaid = set()
    if plan.behaviour == "arrears":
        unpaid = {id(b) for b in overdue_capable[-plan.arrears_months :]}
    yesterday = today - datetime.timedelta(days=1)
    for bill in bills:
        billed_on = _month_start(_month_index(bill.due_on))  # the 1st of the month after the period
        if id(bill) in unpaid:
            continue
        if bill.due_on >= today:  # not due yet: some have paid already
            if customer.payment_mode == Customer.PREPAID:
                bill.paid_on = min(billed_on, yesterday)
            elif rng.random() < 0.5 and billed_on <= yesterday:
                bill.paid_on = _rand_date(rng, billed_on, yesterday)
            continue
        if plan.behaviour == "late" and rng.random() < plan.late_rate:
            bill.paid_on = bill.due_on + datetime.timedelta(days=rng.randint(1, 45))
            if bill.paid_on > yesterday:
                bill.paid_on = None  # still owed
        elif customer.payment_mode == Customer.PREPAID:
            bill.paid_on = billed_on  # deducted from the prepaid balance when billed
        else:
            bill.paid_on = _rand_date(rng, billed_on, bill.due_on)
    return bills


# --- Events -----------------------------------------------------------------------------


@dataclass
class EventSpec:
    type: str
    recent: bool = True  # within the last year
    amount: str | None = None
    pipe_diameter_mm: int | None = None
    force_majeure: bool = False
    severity: str = ""


# Each inner list goes to one customer: the cases a demo should show (every colour, every rule).
SCRIPTED_EVENTS: list[list[EventSpec]] = [
    [EventSpec(EventType.WATER_THEFT, amount="10000.00")],
    [EventSpec(EventType.WATER_THEFT, amount="23650.00")],
    [EventSpec(EventType.WATER_THEFT, amount="56800.00", recent=False)],
    [EventSpec(EventType.WATER_THEFT, amount="3280.50")],
    [EventSpec(EventType.WATER_THEFT, amount="1860.00", recent=False)],
    [EventSpec(EventType.WATER_THEFT, amount="960.00"), EventSpec(EventType.WATER_THEFT, amount="1420.00")],
    [EventSpec(EventType.PIPE_OUTAGE, pipe_diameter_mm=160)],
    [EventSpec(EventType.PIPE_OUTAGE, pipe_diameter_mm=200)],
    [EventSpec(EventType.PIPE_OUTAGE, pipe_diameter_mm=315, force_majeure=True)],
    [EventSpec(EventType.PIPE_OUTAGE, pipe_diameter_mm=160, force_majeure=True)],
    [EventSpec(EventType.PIPE_OUTAGE, pipe_diameter_mm=110, recent=False)],
    [EventSpec(EventType.PIPE_OUTAGE, pipe_diameter_mm=75)],
    [EventSpec(EventType.FACILITY_DAMAGE, severity=Severity.MINOR)],
    [EventSpec(EventType.FACILITY_DAMAGE, severity=Severity.SERIOUS)],
    [EventSpec(EventType.FACILITY_DAMAGE, severity=Severity.MINOR, recent=False)],
    [EventSpec(EventType.SAFETY_HAZARD_UNRECTIFIED)] * 4,
    [EventSpec(EventType.SAFETY_HAZARD_UNRECTIFIED)] * 2,
    [EventSpec(EventType.METER_FAULT_REFUSED)] * 3,
    [EventSpec(EventType.METER_FAULT_REFUSED, recent=False)],
    [EventSpec(EventType.CONTRACT_VIOLATION)] * 3,
    [EventSpec(EventType.CONTRACT_VIOLATION)] * 2,
    [EventSpec(EventType.CONTRACT_VIOLATION)],
    [EventSpec(EventType.DISHONESTY_GENERAL)] * 2,
    [EventSpec(EventType.DISHONESTY_GENERAL)],
    [EventSpec(EventType.DISHONESTY_SERIOUS)] * 2,
    [EventSpec(EventType.DISHONESTY_SERIOUS, recent=False)],
    [EventSpec(EventType.USAGE_MISREPRESENTATION)],
    [EventSpec(EventType.USAGE_MISREPRESENTATION, recent=False)],
    [EventSpec(EventType.PROTECTION_ZONE_VIOLATION)],
    [EventSpec(EventType.PROTECTION_ZONE_VIOLATION, recent=False)],
    [EventSpec(EventType.AGREEMENT_REFUSAL)],
    [EventSpec(EventType.AGREEMENT_REFUSAL, recent=False)],
    [EventSpec(EventType.ORDER_DISRUPTION)],
    [EventSpec(EventType.ORDER_DISRUPTION, recent=False)],
    [EventSpec(EventType.LATE_PAYMENT)] * 3,
    [EventSpec(EventType.LATE_PAYMENT)],
]
# Background events spread over the other customers, by how often they happen.
RANDOM_EVENT_WEIGHTS = {
    EventType.LATE_PAYMENT: 30,
    EventType.CONTRACT_VIOLATION: 14,
    EventType.SAFETY_HAZARD_UNRECTIFIED: 12,
    EventType.DISHONESTY_GENERAL: 8,
    EventType.METER_FAULT_REFUSED: 6,
    EventType.PIPE_OUTAGE: 6,
    EventType.WATER_THEFT: 5,
    EventType.USAGE_MISREPRESENTATION: 4,
    EventType.FACILITY_DAMAGE: 4,
    EventType.DISHONESTY_SERIOUS: 3,
    EventType.PROTECTION_ZONE_VIOLATION: 3,
    EventType.AGREEMENT_REFUSAL: 2,
    EventType.ORDER_DISRUPTION: 2,
}


def _random_spec(rng: random.Random) -> EventSpec:
    type_ = rng.choices(list(RANDOM_EVENT_WEIGHTS), weights=list(RANDOM_EVENT_WEIGHTS.values()))[0]
    spec = EventSpec(type_, recent=rng.random() < 0.4)
    if type_ == EventType.WATER_THEFT:
        spec.amount = f"{rng.choice((rng.uniform(300, 9999.99), rng.uniform(10000, 40000))):.2f}"
    elif type_ == EventType.PIPE_OUTAGE:
        spec.pipe_diameter_mm = rng.choice((50, 75, 100, 110, 160, 200, 250, 315))
        spec.force_majeure = rng.random() < 0.25
    elif type_ == EventType.FACILITY_DAMAGE:
        spec.severity = rng.choice((Severity.MINOR, Severity.MINOR, Severity.SERIOUS))
    return spec


def _event_note(rng: random.Random, spec: EventSpec) -> str:
    note = rng.choice(EVENT_NOTES[spec.type])
    if spec.type == EventType.PIPE_OUTAGE:
        if spec.force_majeure:
            return f"暴雨致路基塌陷，DN{spec.pipe_diameter_mm}管道断裂停水约{rng.randint(2, 10)}小时（不可抗力）"
        return f"{note}（DN{spec.pipe_diameter_mm}，停水约{rng.randint(2, 12)}小时）"
    if spec.type == EventType.WATER_THEFT:
        return f"{note}，追缴水费及违约金"
    if spec.type == EventType.FACILITY_DAMAGE:
        return note + ("，已主动赔偿" if spec.severity == Severity.MINOR else "，造成片区停水，影响较大")
    return note


def build_events(
    rng: random.Random, plans: list[Plan], today: datetime.date, clerks: dict[int, User | None]
) -> list[Event]:
    """Scripted cases on randomly chosen customers, then background events on others."""
    window_start = today - datetime.timedelta(days=3 * 365 - 1)
    year_start = today - datetime.timedelta(days=364)
    yesterday = today - datetime.timedelta(days=1)
    # Scripted cases go to customers open for more than a year, one case each.
    eligible = [p for p in plans if p.customer.opened_on < year_start]
    chosen = rng.sample(eligible, min(len(eligible), len(SCRIPTED_EVENTS)))
    assignments: list[tuple[Plan, EventSpec]] = [
        (plan, spec) for plan, specs in zip(chosen, SCRIPTED_EVENTS, strict=False) for spec in specs
    ]
    scripted = {id(p) for p in chosen}
    scripted_count = len(assignments)
    others = [p for p in plans if id(p) not in scripted]
    for plan in rng.sample(others, k=len(others) // 5):
        for _ in range(rng.choice((1, 1, 1, 2))):
            assignments.append((plan, _random_spec(rng)))
    # Late-payment records for customers who pay late.
    for plan in plans:
        if plan.behaviour == "late" and rng.random() < 0.3 and id(plan) not in scripted:
            assignments.append((plan, EventSpec(EventType.LATE_PAYMENT, recent=rng.random() < 0.5)))

    events = []
    for seq, (plan, spec) in enumerate(assignments, start=1):
        customer = plan.customer
        start = max(customer.opened_on, year_start if spec.recent else window_start)
        end = yesterday if spec.recent else max(start, year_start - datetime.timedelta(days=1))
        occurred_on = _rand_date(rng, start, end)
        created_at = min(_aware(occurred_on + datetime.timedelta(days=rng.randint(0, 5)), rng), timezone.now())
        clerk = clerks.get(customer.company_id)
        by_clerk = clerk is not None and rng.random() < 0.4
        ref = f"WEB-{created_at:%Y%m%d}-{rng.getrandbits(32):08X}" if by_clerk else f"SJ{occurred_on:%Y%m}{seq:05d}"
        event = Event(
            ref=ref,
            customer=customer,
            type=spec.type,
            occurred_on=occurred_on,
            amount=Decimal(spec.amount) if spec.amount is not None else None,
            pipe_diameter_mm=spec.pipe_diameter_mm,
            force_majeure=spec.force_majeure,
            severity=spec.severity,
            note=_event_note(rng, spec),
            created_at=created_at,
            created_by=clerk if by_clerk else None,
        )
        event.demo_scripted = len(events) < scripted_count
        events.append(event)
        plan.events.append(event)
    events.sort(key=lambda e: (e.occurred_on, e.ref))
    return events


# --- Users ------------------------------------------------------------------------------


def ensure_users(companies: dict[str, Company]) -> dict[str, User]:
    """Create the demo users that do not exist; never touch an existing user."""
    users = {}
    groups = {g.name: g for g in Group.objects.filter(name__in=[CLERK, SUPERVISOR, ADMIN, SERVICE_CENTER])}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is None:
            user = User.objects.create_user(
                spec.username,
                email=spec.email,
                password=DEMO_PASSWORD,
                first_name=spec.name,
                is_staff=spec.superuser,
                is_superuser=spec.superuser,
            )
            user.groups.set([groups[r] for r in spec.roles])
            for code in spec.companies:
                companies[code].members.add(user)
        users[spec.username] = user
    return users


def login_rows() -> list[tuple[str, str, str, str, str]]:
    """(username, password, name, roles, companies) of the demo users in the database."""
    rows = []
    names = {code: str(label) for code, label in Company.CODE_CHOICES}
    for spec in DEMO_USERS:
        user = User.objects.filter(username=spec.username, email=spec.email).first()
        if user is None:
            continue
        roles = "、".join(str(ROLE_LABELS[r]) for r in spec.roles) + ("（超级用户）" if user.is_superuser else "")
        companies = "、".join(names.get(c.code, c.name) for c in user.companies.order_by("id"))
        rows.append((spec.username, DEMO_PASSWORD, user.first_name, roles, companies))
    return rows


# --- The whole data set -----------------------------------------------------------------------


@dataclass
class Summary:
    customers: int = 0
    bills: int = 0
    events: int = 0
    voided: int = 0
    audit_entries: int = 0
    users: int = 0


def demo_exists() -> bool:
    return AuditEntry.objects.filter(actor=DEMO_ACTOR).exists()


def _create_entry(obj, object_id: str, customer_id: int) -> AuditEntry:
    return AuditEntry(
        action=AuditEntry.CREATE,
        model=obj._meta.model_name,
        object_id=object_id,
        customer_id=customer_id,
        after=audit.snapshot(obj),
        note=DEMO_NOTE,
    )


def seed(*, count: int = 300, seed: int = DEMO_SEED, today: datetime.date | None = None) -> Summary:
    """Create the demo users, customers, bills and events, with their audit entries."""
    today = today or timezone.localdate()
    rng = random.Random(seed)
    summary = Summary()
    with transaction.atomic(), audit.acting_as(DEMO_ACTOR):
        companies = {c.code: c for c in Company.objects.all()}
        missing = {Company.CITY, Company.COUNTY} - set(companies)
        if missing:
            raise RuntimeError(f"companies missing (run migrate first): {', '.join(sorted(missing))}")
        before_users = User.objects.count()
        users = ensure_users(companies)
        summary.users = User.objects.count() - before_users
        clerks = {
            companies[Company.CITY].pk: users.get("clerk_city"),
            companies[Company.COUNTY].pk: users.get("clerk_county"),
        }

        plans = build_customers(rng, count, today, companies)
        customers = Customer.objects.bulk_create([p.customer for p in plans], batch_size=1000)
        summary.customers = len(customers)
        entries = [_create_entry(c, c.account_no, c.pk) for c in customers]

        bills = [bill for plan in plans for bill in build_bills(rng, plan, today)]
        Bill.objects.bulk_create(bills, batch_size=2000)
        summary.bills = len(bills)
        entries += [_create_entry(b, audit.object_key(b), b.customer_id) for b in bills]

        events = build_events(rng, plans, today, clerks)
        Event.objects.bulk_create(events, batch_size=1000)
        summary.events = len(events)
        entries += [_create_entry(e, e.ref, e.customer_id) for e in events]

        # A few events recorded in error and voided by the supervisor, with a reason.
        voider = users.get("supervisor")
        background = [
            e for e in events if not e.demo_scripted and e.ref.startswith("SJ") and e.type != EventType.LATE_PAYMENT
        ]
        to_void = rng.sample(background, min(5, len(background)))
        for event in to_void:
            before = audit.snapshot(event)
            event.voided_at = min(event.created_at + datetime.timedelta(days=rng.randint(1, 20)), timezone.now())
            event.voided_by = voider
            event.void_reason = rng.choice(VOID_REASONS)
            entries.append(
                AuditEntry(
                    action=AuditEntry.VOID,
                    model="event",
                    object_id=event.ref,
                    customer_id=event.customer_id,
                    before=before,
                    after=audit.snapshot(event),
                    note=event.void_reason,
                )
            )
        Event.objects.bulk_update(to_void, ["voided_at", "voided_by", "void_reason"])
        summary.voided = len(to_void)
        summary.audit_entries = audit.record_many(entries)
    return summary
