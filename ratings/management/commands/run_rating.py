"""`python manage.py run_rating [--as-of YYYY-MM-DD]`: rate every customer as of a date (data-contract.md).

Stores the results as that date's run (a rerun replaces them: one result per customer per
date) by the same code as the monthly scheduled run, and prints the count per level.
Without --as-of it rates as of today (Asia/Shanghai); a later date is a forecast and says so.
A run of the same date still in progress is refused (exit 1) unless --restart is given
(to take over at once a run whose worker died; without it the sweeper on beat resumes such a run,
and a run silent for JOB_STALE_AFTER — two minutes — may be taken over by any new claim).
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.audit import acting_as
from ratings.models import LEVEL_ORDER, Level, RatingRun
from ratings.runs import RunInProgress, level_counts, run_rating

ACTOR = "command:run_rating"


def parse_day(value: str, option: str) -> datetime.date:
    """A YYYY-MM-DD date, or a CommandError (exit status 1) naming the option."""
    try:
        if len(value) != 10:
            raise ValueError(value)
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(
            _("%(option)s 应为日期 YYYY-MM-DD，而不是 %(value)r") % {"option": option, "value": value}
        ) from None


class Command(BaseCommand):
    help = "Rate every customer as of a date (Annex 4) and store the results as that date's run."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD; default today (Asia/Shanghai)")
        parser.add_argument(
            "--restart", action="store_true", help="take over a run of the same date that is still marked running"
        )

    def handle(self, *args, as_of: str | None = None, restart: bool = False, **options) -> None:
        today = timezone.localdate()
        day = parse_day(as_of, "--as-of") if as_of else today
        if day > today:
            self.stdout.write(
                _("预测：%(day)s 晚于今天（%(today)s），按目前已有的记录评定该日的等级。")
                % {"day": day.isoformat(), "today": today.isoformat()}
            )
        with acting_as(ACTOR):
            try:
                run = run_rating(day, RatingRun.Trigger.COMMAND, restart=restart, inline=True)
            except RunInProgress as exc:
                raise CommandError(str(exc) + _(" 如该次评级已中断，可加 --restart 重新执行。")) from None
        counts = level_counts(run)
        self.stdout.write(
            _("评定基准日 %(day)s：共评定 %(total)s 户") % {"day": day.isoformat(), "total": sum(counts.values())}
        )
        for level in LEVEL_ORDER:
            self.stdout.write(f"{level} {Level(level).label} {counts[level]}")
