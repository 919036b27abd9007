"""python manage.py build_batch --period YYYY-MM [--out DIR] [--export] (data-contract.md)."""

from __future__ import annotations

import os
import shutil

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from customers import audit
from reporting import services
from reporting.columns import SHEET_NAMES
from reporting.models import SHEET_ORDER, Batch, BatchRow, BuildState


class Command(BaseCommand):
    help = "生成某月的信易供水报送批次（草稿则原号重建），列出暂缓报送的行；--out 写出文件，--export 标记为已导出"

    def add_arguments(self, parser):
        parser.add_argument("--period", required=True, help="报送期间 YYYY-MM")
        parser.add_argument("--out", help="把 NUMBER.xlsx 和 NUMBER-csv.zip 写到这个目录")
        parser.add_argument("--export", action="store_true", help="标记为已导出（其中的行从此算作已报送）")

    def handle(self, *args, period, out=None, export=False, **options):
        if out and os.path.exists(out) and not os.path.isdir(out):
            raise CommandError(_("--out %(path)s 不是目录") % {"path": out})
        try:
            day = services.parse_period(period)
            with audit.acting_as("command:build_batch"):
                batch = services.build_now(day, label="command:build_batch")
                if batch.build_state != BuildState.DONE:
                    raise CommandError(batch.build_error or _("批次 %(no)s 未能生成") % {"no": batch.number})
                if export:
                    batch = services.export_batch(batch, user=None)
        except services.BatchError as exc:
            raise CommandError(str(exc)) from None
        except Exception as exc:  # the build marked the batch failed and logged the details
            failed = Batch.objects.filter(period=day, status="draft").first()
            raise CommandError(failed.build_error if failed and failed.build_error else str(exc)) from None
        if out:
            try:
                os.makedirs(out, exist_ok=True)
                for field, name in ((batch.xlsx, f"{batch.number}.xlsx"), (batch.csv_zip, f"{batch.number}-csv.zip")):
                    with field.open("rb") as src, open(os.path.join(out, name), "wb") as dst:
                        shutil.copyfileobj(src, dst)
            except OSError as exc:
                raise CommandError(
                    _("--out %(path)s 无法写入：%(error)s") % {"path": out, "error": exc.strerror or exc}
                ) from None
            self.stdout.write(
                _("已写出 %(dir)s/%(no)s.xlsx 和 %(no)s-csv.zip") % {"dir": out.rstrip("/"), "no": batch.number}
            )
        write = self.stdout.write
        write(
            _("批次 %(no)s（%(period)s，%(status)s）")
            % {
                "no": batch.number,
                "period": batch.period_label,
                "status": batch.get_status_display(),
            }
        )
        for sheet in SHEET_ORDER:
            c = batch.counts.get(sheet, {})
            write(
                _("%(sheet)s：%(n)d 行报送，%(held)d 行暂缓")
                % {
                    "sheet": SHEET_NAMES[sheet],
                    "n": c.get("included", 0),
                    "held": c.get("held", 0),
                }
            )
        if batch.rating_note:
            write(batch.rating_note)
        held = BatchRow.objects.filter(batch=batch, generation=batch.generation, held=True).select_related("customer")
        for row in held.order_by("sheet", "position").iterator(chunk_size=2000):
            key = row.key or (row.customer.account_no if row.customer else "")
            reasons = ";".join(f"{r['column']}: {r['reason']}" for r in row.reasons)
            write(f"held: {SHEET_NAMES[row.sheet]}, {key}: {reasons}")
