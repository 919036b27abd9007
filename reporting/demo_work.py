"""Demo data of the credit work (seed_demo): checks on the platform, a reported case, publicity items and
last month's progress reports, made through the services as the demo clerks and the supervisor, so that a
new user finds every tab of 信用工作 filled in."""

from __future__ import annotations

import datetime

from django.contrib.auth.models import User

from customers.models import Company, Customer

from . import cases, checks, publicity, tracker
from .models_cases import CaseKind
from .models_checks import CheckMatter, CheckResult, CheckSource, CheckUsage
from .models_publicity import Occasion, PublicityChannel, PublicityKind
from .models_tracker import Unit

# (result, usage, note) of the checks made for each company, oldest first.
CHECKS = (
    (CheckResult.CLEAN, CheckUsage.FAST_TRACK, ""),
    (CheckResult.CLEAN, CheckUsage.NORMAL, ""),
    (CheckResult.DISHONEST, CheckUsage.SUPERVISE, "报告显示2025年有一条行政处罚记录（拖欠工资），已加强监管"),
    (CheckResult.CLEAN, CheckUsage.PLEDGE, "以告知承诺方式办理过户"),
)


def seed_credit_work(today: datetime.date) -> None:
    """Nothing when a check exists already (seed_demo runs it once, inside its time travel)."""
    if checks.CreditCheck.objects.exists():
        return
    supervisor = User.objects.filter(username="supervisor").first()
    matters = list(CheckMatter.objects.filter(active=True).order_by("position", "id"))
    occasion = Occasion.objects.filter(active=True).order_by("position", "id").first()
    last_month = (today.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)
    for code in (Company.CITY, Company.COUNTY):
        clerk = User.objects.filter(username=f"clerk_{code}").first()
        company = Company.objects.get(code=code)
        if clerk is None or not matters:
            continue
        customers = list(Customer.objects.filter(company=company).exclude(uscc="").order_by("account_no")[:4])
        for i, (customer, (result, usage, note)) in enumerate(zip(customers, CHECKS, strict=False)):
            checks.record_check(
                customer,
                checked_on=today - datetime.timedelta(days=12 - 3 * i),
                matter=matters[i % len(matters)],
                sources=[CheckSource.REPORT, CheckSource.XYZG] if i % 2 else [CheckSource.REPORT],
                result=result,
                usage=usage,
                note=note,
                user=clerk,
            )
        case = cases.create_case(
            company,
            kind=CaseKind.GRADED,
            title=f"{company.name}实施供水客户信用分级分类监管",
            occurred_on=last_month,
            actions="按附件4对供水客户开展信用评价，对黄色、红色客户书面告知并加强抄表巡查。",
            effect="欠费户数较上月减少，黄色客户中有一户签订信用修复承诺书后完成修复。",
            accounts=customers[0].account_no if customers else "",
            user=clerk,
        )
        if supervisor is not None:
            cases.review_case(case.pk, user=supervisor)
            cases.report_case(case.pk, reported_on=today, user=supervisor)
        publicity.log_item(
            company,
            published_on=today - datetime.timedelta(days=5),
            kind=PublicityKind.ACTIVITY,
            occasion=occasion,
            channels=[PublicityChannel.HALL, PublicityChannel.WECHAT],
            title="营业厅开展“诚信用水”宣传",
            text="在营业厅发放信用承诺宣传册，讲解信易供水和信用修复的办理流程。",
            user=clerk,
        )
        unit = Unit.objects.filter(company=company).first()
        if unit is not None:
            for task in unit.tasks.filter(active=True, number__in=(4, 5)):
                tracker.submit_report(
                    unit,
                    task,
                    last_month,
                    text=f"{last_month:%Y年%m月}按计划推进{task.title}工作，数据见下。",
                    user=clerk,
                )
