"""`python manage.py export_ratings --as-of YYYY-MM-DD [--out FILE]`: the stored run of a date as CSV.

UTF-8 without BOM, `\\n` line ends, header `account_no,level,criteria`, one row per rated
customer sorted by account_no, the computed level (not overrides) and its criteria in numeric
order. Streams rows from the database; exits 1 when that date has no stored (finished) run.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ratings.management.commands.run_rating import parse_day
from ratings.models import RatingRun
from ratings.services import export_lines


class Command(BaseCommand):
    help = "Write the stored ratings of a date as CSV (account_no,level,criteria)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--as-of", dest="as_of", help="YYYY-MM-DD (required)")
        parser.add_argument("--out", help="output file; default standard output")

    def handle(self, *args, as_of: str | None = None, out: str | None = None, **options) -> None:
        if not as_of:
            raise CommandError(_("缺少 --as-of YYYY-MM-DD"))
        day = parse_day(as_of, "--as-of")
        run = RatingRun.objects.filter(as_of=day).first()
        if run is None:
            raise CommandError(_("%(day)s 没有已保存的评级结果；请先运行 run_rating --as-of %(day)s") % {"day": day})
        if run.status != RatingRun.Status.SUCCEEDED:
            raise CommandError(
                _("%(day)s 的评级尚未完成（状态：%(status)s），没有可导出的完整结果")
                % {"day": day, "status": run.get_status_display()}
            )
        if out:
            with open(out, "w", encoding="utf-8", newline="") as f:
                for line in export_lines(run):
                    f.write(line)
            return
        stream = self.stdout._out
        binary = getattr(stream, "buffer", None) if stream is sys.stdout else None
        for line in export_lines(run):
            if binary is not None:
                binary.write(line.encode("utf-8"))
            else:
                stream.write(line)
        if binary is not None:
            binary.flush()
