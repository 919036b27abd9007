"""One data generator for the benchmarks: N customers and their records, written by COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/datagen.py \
        [--customers N] [--db NAME] [--only customers]

Fills the benchmark database NAME (default `sz_bench_data`, created next to DATABASE_URL's, migrated)
with N customers (default 1,000,000) and, skewed as a utility's register is, their records:

- customers: names from Chinese company-name patterns (bench/names.py), valid USCCs whose kind
  prefix matches the name (企业 / 个体工商户 / 合作社 / 事业单位 / 机关), 60 % city and 40 % county,
  opened mostly in recent years, a few opening next month;
- bills: 12 monthly bills each for the last year; most customers always pay on time, one in ten
  sometimes late, one in fifty with unpaid bills, a few hundred with arrears every month;
- events: most customers none; 3 % one or two; a long tail (0.05 %) with dozens to hundreds;
- pledges: half of the rateable customers signed, some printed or prepared, a few revoked;
- rating runs: the last two month-ends with a result per customer, stored counts and movers;
- repair requests and objections: 1 per 100 customers, 5 % open;
- notices (信用提示), pledge print batches and platform batches: a few per month.

`generate()` is importable by the other benchmarks (`from bench.datagen import generate`); it
reuses the database when it already holds what was asked for (the `bench_datagen` marker table).
"""

from __future__ import annotations

import argparse
import datetime
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.names import NameMaker  # noqa: E402

DEFAULT_DB = "sz_bench_data"
STAGES = ("customers", "bills", "events", "pledges", "runs", "repairs", "notices", "batches")
ORG_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
AREAS = {"city": ("421302", "421303", "421371"), "county": ("421321",)}


def org_code(serial: int) -> str:
    """A 9-character organisation code (GB 11714): 8 digits and their check character."""
    body = f"{serial:08d}"
    check = 11 - sum(int(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return body + ("0" if check == 11 else "X" if check == 10 else str(check))


def uscc(kind: str, area: str, serial: int) -> str:
    from stdnum.cn.uscc import calc_check_digit

    body = kind + area + org_code(serial)
    return body + calc_check_digit(body)


def _copy(cur, table: str, columns: list[str], rows) -> int:
    n = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            n += 1
    return n


def _say(text: str, started: float) -> None:
    print(f"  {text} ({time.perf_counter() - started:.1f} s)", flush=True)


def gen_customers(cur, n: int, today: datetime.date, seed: int) -> None:
    from customers.uscc import uscc_kind

    rng = random.Random(seed)
    cur.execute("SELECT code, id FROM customers_company")
    company = dict(cur.fetchall())
    names = NameMaker(seed).names(n)
    now = datetime.datetime.now(datetime.UTC)
    serial = {"city": 0, "county": 0}
    # Opening dates: a register grows, so later years are denser (triangular towards today); 0.1 %
    # open next month (not yet rateable).
    span = (today - datetime.date(1995, 1, 1)).days

    def rows():
        for i, (name, kind) in enumerate(names):
            code = "city" if rng.random() < 0.6 else "county"
            serial[code] += 1
            area = rng.choice(AREAS[code])
            code_ = uscc(kind, area, 10_000_000 + i * 7919 % 89_999_999)
            if rng.random() < 0.001:
                opened = today + datetime.timedelta(days=rng.randint(1, 30))
            else:
                opened = today - datetime.timedelta(days=int(span * (1 - rng.triangular(0, 1, 1))))
            yield (
                f"{'01' if code == 'city' else '02'}{serial[code]:08d}",
                name,
                code_,
                uscc_kind(code_),
                company[code],
                opened,
                "prepaid" if rng.random() < 0.3 else "postpaid",
                "",
                "",
                "",
                now,
                now,
            )

    _copy(
        cur,
        "customers_customer",
        [
            "account_no",
            "name",
            "uscc",
            "kind",
            "company_id",
            "opened_on",
            "payment_mode",
            "legal_representative",
            "phone",
            "address",
            "created_at",
            "updated_at",
        ],
        rows(),
    )


def _marker(cur) -> dict:
    cur.execute("CREATE TABLE IF NOT EXISTS bench_datagen (stage text PRIMARY KEY, n bigint, seed int)")
    cur.execute("SELECT stage, n FROM bench_datagen")
    return dict(cur.fetchall())


def generate(n: int = 1_000_000, *, only: tuple[str, ...] = STAGES, seed: int = 13, verbose: bool = True) -> None:
    """Fill the current (Django) database with n customers and the stages' records, unless already there."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    with connection.cursor() as cur:
        have = _marker(cur)
        if all(have.get(stage) == n for stage in only):
            if verbose:
                print(f"reusing the generated data ({n:,} customers: {', '.join(only)})")
            return
        started = time.perf_counter()
        print(f"generating {n:,} customers and their records ({', '.join(only)}) …", flush=True)
        with transaction.atomic():
            if have.get("customers") != n:
                cur.execute("TRUNCATE customers_customer, bench_datagen CASCADE")
                have = {}
                gen_customers(cur, n, today, seed)
                cur.execute("INSERT INTO bench_datagen VALUES ('customers', %s, %s)", [n, seed])
                _say(f"{n:,} customers", started)
            for stage in only:
                if stage == "customers" or have.get(stage) == n:
                    continue
                globals()[f"gen_{stage}"](cur, n, today, seed)
                cur.execute(
                    "INSERT INTO bench_datagen VALUES (%s, %s, %s) ON CONFLICT (stage) DO UPDATE SET n = excluded.n",
                    [stage, n, seed],
                )
                _say(stage, started)
        cur.execute("ANALYZE")
        _say("analyzed", started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--db", default=DEFAULT_DB, help=f"benchmark database (default {DEFAULT_DB})")
    parser.add_argument("--only", nargs="+", choices=STAGES, default=list(STAGES))
    args = parser.parse_args()
    from bench.common import setup_django

    setup_django(args.db)
    generate(args.customers, only=tuple(args.only))


if __name__ == "__main__":
    main()
