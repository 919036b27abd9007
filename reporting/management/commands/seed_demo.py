"""`python manage.py seed_demo`: a realistic demo data set and the demo logins (idempotent).

In the top app (reporting), which may import every app below it: customers' demo customers, bills and
events, then each app's demo seeder (pledges, repairs, the reporting batch)."""

from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError

from customers import demo
from customers.models import Customer
from pledges.demo import seed_pledges
from repair.demo import seed_repairs
from reporting.demo import seed_reporting


class Command(BaseCommand):
    help = (
        "Create demo users and about 300 Suizhou customers with three years of bills and events "
        "(both companies, every event type). Does nothing when demo data exists; refuses to add "
        "demo data to a database that holds other customers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300, help="how many customers (default 300)")
        parser.add_argument("--seed", type=int, default=demo.DEMO_SEED, help="random seed (default %(default)s)")
        parser.add_argument(
            "--today",
            type=datetime.date.fromisoformat,
            default=None,
            help="YYYY-MM-DD to build the data as of (default: today, Asia/Shanghai)",
        )

    def handle(self, *args, customers: int, seed: int, today: datetime.date | None, **options):
        if customers < 60:
            raise CommandError("--customers must be at least 60 (the scripted cases need room)")
        if demo.demo_exists():
            self.stdout.write("演示数据已存在，未做任何修改。 (demo data already present: nothing created)")
        elif Customer.objects.exists():
            self.stderr.write(
                self.style.WARNING(
                    f"数据库中已有 {Customer.objects.count()} 个非演示客户，不写入演示数据。 "
                    "(this database holds real customers: no demo data added)"
                )
            )
            return
        else:
            started = time.monotonic()
            summary = demo.seed(count=customers, seed=seed, today=today)
            pledges = seed_pledges(seed=seed, today=today)
            repairs = seed_repairs(today=today)
            batch = seed_reporting(today=today)
            self.stdout.write(
                self.style.SUCCESS(
                    f"已创建演示数据：客户 {summary.customers} 户，账单 {summary.bills} 条，"
                    f"信用事件 {summary.events} 条（其中作废 {summary.voided} 条），"
                    f"用户 {summary.users} 个，信用承诺书 {pledges} 份，信用修复/异议申请 {repairs} 件，"
                    f"报送批次 {batch or '无'}，"
                    f"操作日志 {summary.audit_entries} 条"
                    f"（{time.monotonic() - started:.1f} s）"
                )
            )
        self.print_logins()

    def print_logins(self) -> None:
        rows = demo.login_rows()
        if not rows:
            return
        header = ("用户名", "密码", "姓名", "角色", "公司")
        widths = [max(_width(r[i]) for r in [header, *rows]) for i in range(len(header))]
        self.stdout.write("")
        self.stdout.write("演示账号 (demo logins)")
        for row in [header, *rows]:
            self.stdout.write("  " + "  ".join(_pad(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())


def _width(text: str) -> int:
    """Display width: CJK characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
