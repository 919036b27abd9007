"""python manage.py recount [--all-runs]: count the dashboard's stored figures again from the records.

The dashboard (工作台) reads stored counts: the pledge coverage per company (pledges/coverage.py, kept by
PostgreSQL triggers) and a run's customers per company and level (ratings.summary, written by the run and
by re-ratings). This command recounts both from the customers, pledges and rating results, prints each
figure and says which ones were wrong. Nothing else is changed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from customers.models import Company
from pledges import coverage
from ratings import summary
from ratings.models import LEVEL_ORDER, Level, RatingRun, RunLevelCount


def _level_counts(run: RatingRun) -> dict[tuple[int, str], int]:
    return {
        (c, lv): n
        for c, lv, n in RunLevelCount.objects.filter(run=run, n__gt=0).values_list("company_id", "level", "n")
    }


class Command(BaseCommand):
    help = "重新统计工作台的承诺覆盖户数和评级批次各等级户数（从客户、承诺书和评级结果），并报告哪些曾不一致"

    def add_arguments(self, parser):
        parser.add_argument(
            "--all-runs", action="store_true", help="重新统计所有已完成的评级批次（默认只统计最近一次）"
        )

    def handle(self, *args, all_runs=False, **options):
        companies = list(Company.objects.order_by("id"))
        names = {c.pk: c.name for c in companies}
        before = coverage.coverage_counts(companies)
        coverage.recount()
        after = coverage.coverage_counts(companies)
        self.stdout.write(_("承诺覆盖："))
        for company in companies:
            rateable, signed = after[company.pk]
            line = _("  %(company)s：可签署 %(rateable)s 户，已签署 %(signed)s 户") % {
                "company": company.name,
                "rateable": f"{rateable:,}",
                "signed": f"{signed:,}",
            }
            if before[company.pk] != after[company.pk]:
                line += _("（已更正，原为 %(rateable)s / %(signed)s）") % {
                    "rateable": f"{before[company.pk][0]:,}",
                    "signed": f"{before[company.pk][1]:,}",
                }
            self.stdout.write(line)

        runs = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of")
        for run in runs if all_runs else runs[:1]:
            stored = _level_counts(run)
            with transaction.atomic():
                summary.count_levels(run.pk)
            counted = _level_counts(run)
            self.stdout.write(_("评级批次（基准日 %(day)s）：") % {"day": run.as_of.isoformat()})
            for company_id, name in names.items():
                parts = [f"{Level(lv).label} {counted.get((company_id, lv), 0):,}" for lv in LEVEL_ORDER]
                line = f"  {name}：" + "，".join(parts)
                wrong = [
                    lv for lv in LEVEL_ORDER if stored.get((company_id, lv), 0) != counted.get((company_id, lv), 0)
                ]
                if wrong:
                    line += _("（已更正：%(levels)s）") % {"levels": "，".join(str(Level(lv).label) for lv in wrong)}
                self.stdout.write(line)
        if not runs.exists():
            self.stdout.write(_("还没有已完成的评级批次。"))
