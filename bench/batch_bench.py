"""How fast the monthly 信易供水 batch writes its files for a million 信用评价 rows, against floors
measured in the same run.

Loads N customers (default 1,000,000, valid USCCs, 60 % city / 40 % county) and one succeeded rating
run as of 2026-11-30 with a result for each (80 % 绿色, 20 % 蓝色: no yellow or red, which would be
held back without a written notice) into a PostgreSQL database of its own (INSERT … SELECT
generate_series, deterministic), sets both companies' registered name and USCC, then times:

(a) the CSV floor: PostgreSQL `COPY (SELECT <the 7 信用评价 columns as text> …) TO STDOUT WITH CSV`
    of the same rows in the builder's order, received by this process and written to a file;
(b) the bare writer floors: the same rows, fetched into a Python list first (not timed), written
    straight to an .xlsx by each library as a user would call it — XlsxWriter `constant_memory`
    (`write_row`) and openpyxl write-only (`append`) — and by each as the contract needs it (every
    cell a text cell formatted "@", no formula: XlsxWriter `write_string`, openpyxl cells forced to
    type "s"), which decides the writer `reporting/exporters.py` uses;
(d) the whole build of the period's batch as `build_batch` does it (rows checked and stored, both
    files written), with its peak memory (with --no-build, a batch already built by an earlier run is reused);
(c) the export as the product does it: our `write_csv_zip` and `write_xlsx` on that batch's stored rows
    (`reporting.builder.export_sheets`: on PostgreSQL the CSV is written by COPY from the stored rows, the
    workbook from a server-side cursor), with the ratios CSV / (a) (goal ≤ 3) and workbook / XlsxWriter's
    bare `write_row` (goal ≤ 1.5), and the peak memory of each (VmHWM, reset before each step;
    goal < 300 MB).

(d) and (c) run first, alone, for their peak memory; then (b)'s list of a million rows is built and
--repeat rounds (default 2) time (b)'s XlsxWriter floors, (a) and (c) one after the other, so that
the machine's load (shared and noisy, 2 cores) falls on floor and product alike. The summary is
the best run of each; openpyxl's lines run once. Prints the load average with each step.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/batch_bench.py \\
        [--customers N] [--repeat 2] [--no-openpyxl] [--no-build]

The database named `sz_batchbench` is created (or reused when it already holds N customers and the run).
"""

from __future__ import annotations

import argparse
import datetime
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import setup_django  # noqa: E402

BENCH_DB = "sz_batchbench"
AS_OF = datetime.date(2026, 11, 30)
PERIOD = datetime.date(2026, 11, 1)
SHEET = "信用评价"
CITY_USCC_BODY, COUNTY_USCC_BODY = "91421300707200011", "91421321707200021"

# The check character of "91421300" + a 9-digit number, in SQL: the first 8 characters' weighted sum
# is constant; weights of positions 9–17 from GB 32100-2015 (python-stdnum's calc_check_digit).
_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_PREFIX = "91421300"
_PREFIX_SUM = sum(int(ch) * w for ch, w in zip(_PREFIX, _W, strict=False))
_DIGITS_SUM = " + ".join(f"{w} * mod(i / {10 ** (16 - k)}, 10)" for k, w in enumerate(_W[8:], start=8))
USCC_SQL = (
    f"'{_PREFIX}' || lpad(i::text, 9, '0') || "
    f"substr('0123456789ABCDEFGHJKLMNPQRTUWXY', mod(31 - mod({_PREFIX_SUM} + {_DIGITS_SUM}, 31), 31) + 1, 1)"
)

LEVEL_LABEL_SQL = (
    "CASE r.level WHEN 'green' THEN '绿色' WHEN 'blue' THEN '蓝色' WHEN 'yellow' THEN '黄色' ELSE '红色' END"
)


def rows_sql() -> str:
    """The 信用评价 sheet's seven columns as text, for every result of the run, in the builder's order."""
    return f"""
        SELECT c.name, c.uscc, '供水用水信用等级', {LEVEL_LABEL_SQL}, '{AS_OF.isoformat()}',
               co.registered_name, co.uscc
        FROM ratings_ratingresult r
        JOIN customers_customer c ON c.id = r.customer_id
        JOIN customers_company co ON co.id = c.company_id
        WHERE r.run_id = %s
        ORDER BY c.uscc COLLATE "C", c.account_no COLLATE "C"
    """


def load(n: int) -> int:
    """N customers and the succeeded run as of AS_OF with N results; returns the run's id."""
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from customers.models import Company
    from customers.uscc import make_uscc, uscc_error
    from ratings.models import RatingRun

    call_command("migrate", verbosity=0)
    Company.objects.filter(code=Company.CITY).update(
        registered_name="随州市城市供水有限公司", uscc=make_uscc(CITY_USCC_BODY)
    )
    Company.objects.filter(code=Company.COUNTY).update(
        registered_name="随县供水有限公司", uscc=make_uscc(COUNTY_USCC_BODY)
    )
    run = RatingRun.objects.filter(as_of=AS_OF, status=RatingRun.Status.SUCCEEDED).first()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_customer")
        customers = cur.fetchone()[0]
        if run is not None and customers == n and run.results.count() == n:
            print(f"reusing {n:,} customers and the run as of {AS_OF} already loaded")
            return run.pk
    print(f"loading {n:,} customers and a run as of {AS_OF} with {n:,} results …", flush=True)
    t = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "TRUNCATE reporting_batchrow, reporting_batch, reporting_batchnumbercounter, ratings_ratingresult, "
            "ratings_runlevelcount, ratings_runmove, ratings_ratingrun, customers_auditentry, customers_customer "
            "RESTART IDENTITY CASCADE"
        )
        cur.execute(
            f"""
            INSERT INTO customers_customer
              (account_no, name, uscc, kind, company_id, opened_on, payment_mode,
               legal_representative, phone, address, created_at, updated_at)
            SELECT 'A' || lpad(i::text, 9, '0'), '随州测试' || i::text || '号有限公司', {USCC_SQL}, 'enterprise',
                   (SELECT id FROM customers_company WHERE code = CASE WHEN i %% 5 < 3 THEN 'city' ELSE 'county' END),
                   DATE '2010-01-01' + (i %% 6200), CASE WHEN i %% 5 < 2 THEN 'prepaid' ELSE 'postpaid' END,
                   '', '', '', now(), now()
            FROM generate_series(1, %s) AS i
            """,
            [n],
        )
        run = RatingRun.objects.create(
            as_of=AS_OF,
            status=RatingRun.Status.SUCCEEDED,
            trigger=RatingRun.Trigger.COMMAND,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            total=n,
            done=n,
            chunks_total=1,
            chunks_done=1,
            attempt=1,
        )
        cur.execute(
            """
            INSERT INTO ratings_ratingresult (run_id, customer_id, level, criteria)
            SELECT %s, id, CASE WHEN id %% 10 < 8 THEN 'green' ELSE 'blue' END,
                   CASE WHEN id %% 10 < 8 THEN '' ELSE 'B1' END
            FROM customers_customer
            """,
            [run.pk],
        )
        cur.execute(
            """
            INSERT INTO ratings_runlevelcount (run_id, company_id, level, n)
            SELECT r.run_id, c.company_id, r.level, count(*)
            FROM ratings_ratingresult r JOIN customers_customer c ON c.id = r.customer_id
            WHERE r.run_id = %s GROUP BY r.run_id, c.company_id, r.level
            """,
            [run.pk],
        )
        cur.execute("SELECT uscc FROM customers_customer ORDER BY random() LIMIT 1000")
        bad = [code for (code,) in cur.fetchall() if uscc_error(code)]
        if bad:
            sys.exit(f"the loader made invalid USCCs, e.g. {bad[:3]}")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    print(f"loaded in {time.perf_counter() - t:.1f} s", flush=True)
    return run.pk


# --- measuring ------------------------------------------------------------------------------------


def reset_peak() -> None:
    """Reset this process's VmHWM (Linux ≥ 4.0: writing 5 to clear_refs); a no-op elsewhere."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
    except OSError:
        pass


def peak_mb() -> float:
    """Peak resident memory since the last reset_peak() (VmHWM), or of the process (ru_maxrss)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def best_of(repeat: int, fn) -> tuple[float, float, object]:
    """(best wall time in s, highest peak memory in MB, fn's last result) over `repeat` calls."""
    times, peaks, result = [], [], None
    for _ in range(repeat):
        reset_peak()
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
        peaks.append(peak_mb())
    return min(times), max(peaks), result


def load_avg() -> str:
    return "load " + " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- the bare writers (b) ---------------------------------------------------------------------------


def xlsxwriter_plain(path: Path, columns, rows: list) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(SHEET)
    ws.write_row(0, 0, columns)
    for r, row in enumerate(rows, 1):
        ws.write_row(r, 0, row)
    wb.close()


def xlsxwriter_text(path: Path, columns, rows: list) -> None:
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(SHEET)
    text = wb.add_format({"num_format": "@"})
    put = ws.write_string
    for c, name in enumerate(columns):
        put(0, c, name, text)
    for r, row in enumerate(rows, 1):
        for c, value in enumerate(row):
            put(r, c, value, text)
    wb.close()


def openpyxl_plain(path: Path, columns, rows: list) -> None:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    ws.append(columns)
    for row in rows:
        ws.append(row)
    wb.save(path)


def openpyxl_text(path: Path, columns, rows: list) -> None:
    """Every cell a text cell formatted "@": one styled cell per column, its type forced after each value
    (assigning a str starting with "=" makes openpyxl write a formula)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(SHEET)
    cells = [WriteOnlyCell(ws) for _ in columns]
    for cell in cells:
        cell.number_format = "@"

    def typed(values):
        for cell, value in zip(cells, values, strict=True):
            cell.value = value
            cell.data_type = "s"
            yield cell

    ws.append(typed(columns))
    for row in rows:
        ws.append(typed(row))
    wb.save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="rounds of (a), (b)'s XlsxWriter floors and (c); the best of each is printed",
    )
    parser.add_argument("--no-openpyxl", dest="openpyxl", action="store_false", help="skip openpyxl's lines in (b)")
    parser.add_argument("--no-build", dest="build", action="store_false", help="skip (d), the whole build")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="batch_bench_"))
    setup_django(BENCH_DB, MEDIA_ROOT=str(workdir / "media"))
    try:
        run(args, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def run(args, workdir: Path) -> None:
    import gc

    from django.db import connection

    from reporting import exporters
    from reporting.columns import COLUMNS
    from reporting.models import Sheet

    run_id = load(args.customers)
    columns = COLUMNS[Sheet.RATING]
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM ratings_ratingresult WHERE run_id = %s", [run_id])
        n = cur.fetchone()[0]
    print(f"data: {n:,} 信用评价 rows (run as of {AS_OF}); {load_avg()}", flush=True)

    copy_path = workdir / "copy.csv"
    zip_path, xlsx_path, bare_path = workdir / "ours-csv.zip", workdir / "ours.xlsx", workdir / "bare.xlsx"

    def copy_floor() -> int:
        """(a): COPY … TO STDOUT, received here and written to a file; returns the bytes."""
        sql = connection.ops.compose_sql(rows_sql(), [run_id])
        size = 0
        with (
            connection.cursor() as cur,
            open(copy_path, "wb") as out,
            cur.copy(f"COPY ({sql}) TO STDOUT WITH CSV") as copy,
        ):
            for block in copy:
                out.write(block)
                size += len(block)
        return size

    from reporting import builder

    batch = build(workdir, fresh=args.build)

    def our_csv() -> int:
        return exporters.write_csv_zip(zip_path, batch.number, builder.export_sheets(batch))

    def our_xlsx() -> int:
        return exporters.write_xlsx(xlsx_path, builder.export_sheets(batch))

    times: dict[str, list[float]] = {}

    def timing(name: str, fn) -> tuple[float, float, object]:
        took, mb, result = best_of(1, fn)
        times.setdefault(name, []).append(took)
        return took, mb, result

    copy_floor()  # warms the cache for what follows
    took, _, size = timing("copy", copy_floor)
    with open(copy_path, "rb") as f:
        copy_rows = sum(1 for _ in f)
    print(
        f"(a) COPY (SELECT …) TO STDOUT WITH CSV: {took:.2f} s, {copy_rows:,} rows, {size / 2**20:.0f} MB   {load_avg()}"
    )

    # (c) first, alone in the process, for its peak memory.
    took, csv_mb, rows_written = timing("csv", our_csv)
    print(
        f"(c) write_csv_zip, from the batch's stored rows: {took:.2f} s, {rows_written:,} rows, "
        f"{zip_path.stat().st_size / 2**20:.0f} MB zip, peak memory {csv_mb:.0f} MB   {load_avg()}",
        flush=True,
    )
    took, xlsx_mb, rows_written = timing("xlsx", our_xlsx)
    print(
        f"    write_xlsx, from the batch's stored rows: {took:.2f} s, {rows_written:,} rows, "
        f"{xlsx_path.stat().st_size / 2**20:.0f} MB, peak memory {xlsx_mb:.0f} MB   {load_avg()}",
        flush=True,
    )

    # (b) needs the rows in a list: from here on the peak memory is the list's.
    with connection.cursor() as cur:
        cur.execute(rows_sql(), [run_id])
        rows = cur.fetchall()
    gc.freeze()  # a million tuples the collector need not walk again
    print(f"(b) the bare writers on the same {len(rows):,} rows from a list in memory, alternating with (a) and (c):")
    rounds = [
        ("xlsxwriter_plain", lambda: xlsxwriter_plain(bare_path, columns, rows)),
        ("xlsxwriter_text", lambda: xlsxwriter_text(bare_path, columns, rows)),
        ("copy", copy_floor),
        ("csv", our_csv),
        ("xlsx", our_xlsx),
    ]
    for i in range(args.repeat):
        for name, fn in rounds:
            timing(name, fn)
        print(
            f"    round {i + 1}: "
            + ", ".join(f"{name} {times[name][-1]:.2f} s" for name, _ in rounds)
            + f"   {load_avg()}",
            flush=True,
        )
    if args.openpyxl:
        timing("openpyxl_plain", lambda: openpyxl_plain(bare_path, columns, rows))
        timing("openpyxl_text", lambda: openpyxl_text(bare_path, columns, rows))
        print(
            f"    openpyxl write-only, once: append {times['openpyxl_plain'][0]:.2f} s, "
            f"cells typed 's' + '@' {times['openpyxl_text'][0]:.2f} s   {load_avg()}",
            flush=True,
        )

    best = {name: min(values) for name, values in times.items()}
    per_s = len(rows) or 1
    print(f"best run of each ((a), (c): {args.repeat + 1} runs; XlsxWriter: {args.repeat}; openpyxl: 1):")
    print(f"    (a) COPY TO STDOUT CSV                                  {best['copy']:7.2f} s")
    print(
        f"    (c) write_csv_zip, the batch's stored rows              {best['csv']:7.2f} s   {best['csv'] / best['copy']:.2f}× (a)"
    )
    print(
        f"    (b) XlsxWriter constant_memory, write_row (plain)        {best['xlsxwriter_plain']:7.2f} s   "
        f"{per_s / best['xlsxwriter_plain']:,.0f} rows/s"
    )
    print(
        f"    (b) XlsxWriter constant_memory, write_string + '@'       {best['xlsxwriter_text']:7.2f} s   "
        f"{best['xlsxwriter_text'] / best['xlsxwriter_plain']:.2f}× plain"
    )
    if args.openpyxl:
        print(
            f"    (b) openpyxl write-only, append (plain)                  {best['openpyxl_plain']:7.2f} s   "
            f"{best['openpyxl_plain'] / best['xlsxwriter_plain']:.2f}× XlsxWriter plain"
        )
        print(
            f"    (b) openpyxl write-only, cells typed 's' + '@'           {best['openpyxl_text']:7.2f} s   "
            f"{best['openpyxl_text'] / best['xlsxwriter_text']:.2f}× XlsxWriter write_string + '@'"
        )
    print(
        f"    (c) write_xlsx, the batch's stored rows                 {best['xlsx']:7.2f} s   "
        f"{best['xlsx'] / best['xlsxwriter_plain']:.2f}× XlsxWriter plain, "
        f"{best['xlsx'] / best['xlsxwriter_text']:.2f}× XlsxWriter write_string + '@'"
    )
    print(
        f"summary: CSV {best['csv'] / best['copy']:.2f}× COPY (goal ≤ 3), workbook "
        f"{best['xlsx'] / best['xlsxwriter_plain']:.2f}× bare XlsxWriter (goal ≤ 1.5), peak memory "
        f"{max(csv_mb, xlsx_mb):.0f} MB (goal < 300 MB)"
    )


def build(workdir: Path, fresh: bool = True):
    """(d): `build_batch --period 2026-11` without the command; returns the built batch (with fresh=False,
    the batch an earlier run built, when there is one)."""
    from django.db import connection

    from reporting import services
    from reporting.models import Batch, BuildState, Sheet

    existing = Batch.objects.filter(period=PERIOD, build_state=BuildState.DONE).order_by("-number").first()
    if not fresh and existing is not None:
        print(f"(d) skipped: batch {existing.number} of an earlier run reused", flush=True)
        return existing
    with connection.cursor() as cur:  # a new batch each time, not the previous run's draft rebuilt
        cur.execute(
            "TRUNCATE reporting_batchrow, reporting_batch, reporting_batchnumbercounter RESTART IDENTITY CASCADE"
        )
    reset_peak()
    t = time.perf_counter()
    batch = services.build_now(PERIOD, label="batch_bench")
    took = time.perf_counter() - t
    mb = peak_mb()
    rating = batch.counts.get(Sheet.RATING.value, {}) if isinstance(batch.counts, dict) else {}
    print(
        f"(d) build_now({PERIOD}) — rows built, checked, stored, both files written: {took:.1f} s, "
        f"batch {batch.number} {batch.get_build_state_display()}, 信用评价 {rating}, peak memory {mb:.0f} MB   "
        f"{load_avg()}",
        flush=True,
    )
    if batch.build_error:
        print(f"    error: {batch.build_error}")
    return batch


if __name__ == "__main__":
    main()
