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


def _bench_user(cur) -> int:
    cur.execute(
        "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, "
        "is_active, date_joined) VALUES ('!', false, 'bench_datagen', '数据', '', '', false, true, now()) "
        "ON CONFLICT (username) DO UPDATE SET is_active = true RETURNING id"
    )
    return cur.fetchone()[0]


def _month_start(day: datetime.date, back: int) -> datetime.date:
    y, m = divmod(day.year * 12 + day.month - 1 - back, 12)
    return datetime.date(y, m + 1, 1)


# A customer's class, from its id (a multiplicative hash: spread over companies and opening dates).
H = "((c.id * 2654435761) %% 10000)"


def gen_bills(cur, n: int, today: datetime.date, seed: int) -> None:
    """12 monthly bills (the last 12 finished months) from each customer's opening month.

    Classes by hash: 0.05 % never pay; 2 % owe the last bill; 10 % pay one bill in four 5–40 days
    late; the rest pay on time. Amounts are heavy-tailed (most ~50–500 yuan, a few tens of thousands).
    """
    cur.execute("TRUNCATE customers_bill CASCADE")
    cur.execute(
        f"""
        INSERT INTO customers_bill (customer_id, period, amount, due_on, paid_on)
        SELECT c.id, to_char(p.start, 'YYYY-MM'),
               round((30 + power(((c.id * 37 + m * 101) %% 997) / 997.0, 4) * 30000)::numeric, 2),
               p.start + 24,
               CASE WHEN {H} < 5 THEN NULL
                    WHEN {H} < 205 AND m = 0 THEN NULL
                    WHEN {H} < 1205 AND (c.id + m) %% 4 = 0
                    THEN least(p.start + 24 + 5 + ((c.id + m) %% 36)::int, %(today)s::date)
                    ELSE p.start + 24 - ((c.id + m) %% 10)::int END
        FROM customers_customer c
        CROSS JOIN generate_series(0, 11) AS m
        CROSS JOIN LATERAL (SELECT (date_trunc('month', %(today)s::date) - ((m + 1) || ' month')::interval)::date
                            AS start) p
        WHERE c.opened_on <= p.start + 24
        """,
        {"today": today},
    )


EVENT_TYPES = ["contract_violation"] * 6 + ["late_payment"] * 3 + ["safety_hazard_unrectified", "water_theft"]


def gen_events(cur, n: int, today: datetime.date, seed: int) -> None:
    """Most customers none; 3 % one or two; 0.05 % from 20 to 300 (the files with hundreds of records)."""
    cur.execute("TRUNCATE customers_event CASCADE")
    types = "ARRAY[" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + "]"
    h2 = "((c.id * 104729) %% 10000)"
    cur.execute(
        f"""
        INSERT INTO customers_event (ref, customer_id, type, occurred_on, amount, pipe_diameter_mm, force_majeure,
                                     severity, note, void_reason, created_at)
        SELECT 'GEN' || c.id || '-' || k, c.id, t.type,
               greatest(c.opened_on, %(today)s::date - 1 - ((c.id * 7 + k * 13) %% 700)::int),
               CASE WHEN t.type = 'water_theft' THEN 500 + (c.id + k) %% 5000 END, NULL, false, '', '', '', now()
        FROM customers_customer c
        CROSS JOIN LATERAL generate_series(1, CASE WHEN {h2} < 5 THEN 20 + (c.id %% 281)::int
                                                   WHEN {h2} < 300 THEN 1 + (c.id %% 2)::int ELSE 0 END) AS k
        CROSS JOIN LATERAL (SELECT ({types})[1 + ((c.id + k) %% {len(EVENT_TYPES)})::int] AS type) t
        WHERE c.opened_on < %(today)s::date
        """,
        {"today": today},
    )


def gen_pledges(cur, n: int, today: datetime.date, seed: int) -> None:
    """Of the rateable customers: 45 % signed, 3 % fulfilled, 2 % breached (half of them with a pledge in
    force), 5 % printed, 3 % prepared, 1 % revoked; signed over the last two years."""
    user = _bench_user(cur)
    cur.execute("TRUNCATE pledges_pledge CASCADE")
    h3 = "((c.id * 48271) %% 100)"
    cur.execute(
        f"""
        INSERT INTO pledges_pledge
          (kind, title, intro, preamble, clauses, content, consequences, reason, disclosure, customer_name,
           customer_uscc, state, number, printed_at, signed_on, scan, scan_sha256, scan_content_type,
           revoke_reason, revoked_at, fulfilled_on, breached_on, created_at, company_id, customer_id,
           template_id, source, received_by_id, created_by_id)
        SELECT 'voluntary', t.title, t.intro, t.preamble, t.clauses, t.intro, '', t.reason, t.disclosure,
               c.name, c.uscc, s.state,
               CASE WHEN s.state IN ('signed', 'fulfilled', 'breached') THEN 'G' || lpad(c.id::text, 12, '0') END,
               CASE WHEN s.state <> 'prepared' THEN now() - ((c.id %% 700) || ' days')::interval END,
               CASE WHEN s.state IN ('signed', 'fulfilled', 'breached') THEN %(today)s::date - (c.id %% 700)::int END,
               '', '', '', CASE WHEN s.state = 'revoked' THEN '客户申请撤回' ELSE '' END,
               CASE WHEN s.state = 'revoked' THEN now() END,
               CASE WHEN s.state = 'fulfilled' THEN %(today)s::date - (c.id %% 30)::int END,
               CASE WHEN s.state = 'breached' THEN %(today)s::date - (c.id %% 30)::int END,
               now() - ((c.id %% 700) || ' days')::interval, c.company_id, c.id, t.id, 'system',
               CASE WHEN s.state IN ('signed', 'fulfilled', 'breached') THEN %(user)s END, %(user)s
        FROM customers_customer c
        CROSS JOIN (SELECT * FROM pledges_pledgetemplate WHERE kind = 'voluntary' ORDER BY version DESC LIMIT 1) t
        CROSS JOIN LATERAL (SELECT CASE WHEN {h3} < 45 THEN 'signed' WHEN {h3} < 48 THEN 'fulfilled'
                                        WHEN {h3} < 50 THEN 'breached' WHEN {h3} < 55 THEN 'printed'
                                        WHEN {h3} < 58 THEN 'prepared' WHEN {h3} < 59 THEN 'revoked' END AS state) s
        WHERE s.state IS NOT NULL AND c.uscc <> '' AND c.opened_on <= %(today)s::date
        """,
        {"today": today, "user": user},
    )


def gen_runs(cur, n: int, today: datetime.date, seed: int) -> None:
    """The last two month-end runs, succeeded, a result for every customer opened by then (90 % green, 6 %
    blue, 3 % yellow, 1 % red; ~2 % change level between the two), their stored counts and movers."""
    from ratings import summary
    from ratings.models import RatingRun

    cur.execute("TRUNCATE ratings_ratingresult, ratings_runlevelcount, ratings_runmove, ratings_ratingrun CASCADE")
    for back in (1, 0):
        as_of = _month_start(today, back) - datetime.timedelta(days=1)
        run = RatingRun.objects.create(as_of=as_of, status=RatingRun.Status.SUCCEEDED, trigger="command")
        shift = "0" if back else "CASE WHEN (c.id * 7) %% 50 = 0 THEN 4000 ELSE 0 END"
        cur.execute(
            f"""
            INSERT INTO ratings_ratingresult (run_id, customer_id, level, criteria)
            SELECT %(run)s, c.id,
                   CASE WHEN x.h < 9000 THEN 'green' WHEN x.h < 9600 THEN 'blue'
                        WHEN x.h < 9900 THEN 'yellow' ELSE 'red' END, ''
            FROM customers_customer c
            CROSS JOIN LATERAL (SELECT (((c.id * 2654435761) %% 10000) + {shift}) %% 10000 AS h) x
            WHERE c.opened_on <= %(as_of)s
            """,
            {"run": run.pk, "as_of": as_of},
        )
        done = cur.rowcount
        summary.count_levels(run.pk)
        RatingRun.objects.filter(pk=run.pk).update(
            total=done, done=done, started_at=run.created_at, finished_at=run.created_at
        )
        summary.compute_moves(RatingRun.objects.get(pk=run.pk))


def gen_repairs(cur, n: int, today: datetime.date, seed: int) -> None:
    """One repair request or objection per 100 customers over the last years, 5 % open (a tenth overdue)."""
    user = _bench_user(cur)
    cur.execute(
        "TRUNCATE repair_repairrequest_editors, repair_repairrequest_events, repair_repairrequest_bills, "
        "repair_evidence, repair_restrictionrelease, repair_repairrequest, repair_numbercounter CASCADE"
    )
    r = max(1, n // 100)
    cur.execute(
        """
        INSERT INTO repair_repairrequest
          (number, kind, customer_id, company_id, reason, status, submitted_at, submitted_by_id, accept_by,
           accepted_at, accepted_by_id, decide_by, extension_reason, decided_at, decided_by_id,
           decision_reason, level_before, level_after, queued_for_report, reported_batch)
        SELECT (CASE WHEN i %% 3 = 0 THEN 'YY-' ELSE 'XF-' END) || upper(co.code) || '-'
               || to_char(%(today)s::date - (i / 50), 'YYYYMMDD') || '-' || lpad((i %% 50 + 1)::text, 4, '0'),
               CASE WHEN i %% 3 = 0 THEN 'objection' ELSE 'repair' END,
               c.id, c.company_id, '已整改，申请信用修复', s.status,
               now() - ((%(r)s - i) * interval '1 minute' * 40), %(user)s,
               CASE WHEN i %% 200 = 0 THEN %(today)s::date - 2 ELSE %(today)s::date + (i %% 5) END,
               CASE WHEN s.status <> 'submitted' THEN now() END,
               CASE WHEN s.status <> 'submitted' THEN %(user)s END,
               CASE WHEN s.status = 'accepted' THEN %(today)s::date + (i %% 9) END, '',
               CASE WHEN s.status IN ('approved', 'dismissed') THEN now() END,
               CASE WHEN s.status IN ('approved', 'dismissed') THEN %(user)s END,
               CASE WHEN s.status = 'dismissed' THEN '材料不足' ELSE '' END, '', '', false, ''
        FROM generate_series(1, %(r)s) AS i
        JOIN customers_customer c ON c.id = (SELECT min(id) FROM customers_customer) + ((i::bigint * 7919) %% %(n)s)
        JOIN customers_company co ON co.id = c.company_id
        CROSS JOIN LATERAL (SELECT CASE
            WHEN i > %(r)s * 0.95 THEN (CASE WHEN i %% 2 = 0 THEN 'submitted' ELSE 'accepted' END)
            WHEN i %% 3 = 0 THEN 'dismissed' ELSE 'approved' END AS status) s
        """,
        {"r": r, "n": n, "today": today, "user": user},
    )


def gen_notices(cur, n: int, today: datetime.date, seed: int) -> None:
    """信用等级告知 for the red and yellow customers of the latest run (what the utility hands out), half given."""
    user = _bench_user(cur)
    cur.execute("TRUNCATE reporting_notice CASCADE")
    cur.execute(
        """
        INSERT INTO reporting_notice (number, kind, customer_name, uscc, level, as_of, content, given_on, method,
                                      created_at, company_id, customer_id, created_by_id, given_by_id)
        SELECT 'TZ-' || to_char(run.as_of, 'YYYYMM') || '-' || lpad(r.customer_id::text, 9, '0'), 'level',
               c.name, c.uscc, r.level, run.as_of, '贵单位本期供水用水信用等级为' || CASE r.level WHEN 'red' THEN '红色' ELSE '黄色' END || '。',
               CASE WHEN r.customer_id %% 2 = 0 THEN %(today)s::date END,
               CASE WHEN r.customer_id %% 2 = 0 THEN 'in_person' ELSE '' END,
               now(), c.company_id, c.id, %(user)s, CASE WHEN r.customer_id %% 2 = 0 THEN %(user)s END
        FROM (SELECT * FROM ratings_ratingrun WHERE status = 'succeeded' ORDER BY as_of DESC LIMIT 1) run
        JOIN ratings_ratingresult r ON r.run_id = run.id AND r.level IN ('red', 'yellow')
        JOIN customers_customer c ON c.id = r.customer_id
        """,
        {"today": today, "user": user},
    )


def gen_batches(cur, n: int, today: datetime.date, seed: int) -> None:
    """Platform batches for the last 12 months (submitted, the latest a draft) and 24 pledge print batches."""
    user = _bench_user(cur)
    cur.execute("TRUNCATE reporting_batch, pledges_pledgebatch CASCADE")
    cur.execute(
        """
        INSERT INTO reporting_batch (number, period, status, build_state, build_total, build_done, build_error,
                                     generation, building_generation, counts, rating_note, xlsx, csv_zip, created_at,
                                     built_at, built_by_label, build_error_detail, build_resumes, built_by_id)
        SELECT 'XY' || to_char(p, 'YYYYMM') || '01', p, CASE WHEN m = 1 THEN 'draft' ELSE 'submitted' END,
               'done', 0, 0, '', 1, 1, '{}'::jsonb, '', '', '', now(), now(), '', '', 0, %(user)s
        FROM generate_series(1, 12) AS m
        CROSS JOIN LATERAL (SELECT (date_trunc('month', %(today)s::date) - (m || ' month')::interval)::date AS p) x
        """,
        {"today": today, "user": user},
    )
    cur.execute(
        """
        INSERT INTO pledges_pledgebatch (status, total, done, error, output, created_at, finished_at, company_id,
                                         created_by_id, error_detail, prepared, resumes)
        SELECT 'succeeded', 500, 500, '', '', now() - (i || ' days')::interval, now() - (i || ' days')::interval,
               co.id, %(user)s, '', true, 0
        FROM generate_series(1, 12) AS i CROSS JOIN customers_company co
        """,
        {"user": user},
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
            regenerated = False
            if have.get("customers") != n:
                cur.execute(
                    "TRUNCATE customers_customer, bench_datagen, ratings_ratingresult, ratings_runmove, "
                    "ratings_runlevelcount, ratings_ratingrun CASCADE"
                )
                have = {}
                regenerated = True
                gen_customers(cur, n, today, seed)
                cur.execute("INSERT INTO bench_datagen VALUES ('customers', %s, %s)", [n, seed])
                _say(f"{n:,} customers", started)
            for stage in STAGES[1:]:
                if stage not in only:
                    if regenerated:  # a TRUNCATE … CASCADE of an earlier stage may have emptied it
                        cur.execute("DELETE FROM bench_datagen WHERE stage = %s", [stage])
                    continue
                if have.get(stage) == n and not regenerated:
                    continue
                globals()[f"gen_{stage}"](cur, n, today, seed)
                regenerated = True
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
