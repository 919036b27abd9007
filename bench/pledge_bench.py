"""How fast a pledge PDF renders, against a floor measured in the same process, and a 500-pledge batch.

(a) the floor: a bare one-page WeasyPrint document — the same font family, the same shared
    FontConfiguration, the same words (title, intro, the five clauses, the signature lines and the
    small print) as plain paragraphs: no Django template, no page-margin footer, no boxes;
(b) one pledge through the product's code: `pledges.pdf.render_pdf("pdf/pledge.html", …)` (the
    template, the small print, the seal and signature boxes), as the pledge's PDF page serves it;
each the median of N runs after a warm-up (the two alternate), and their ratio (goal: at most 1.5×); then
(c) a batch of B pledges (default 500) through `pledges.batches.run_batch` in this process
    (what the Celery task runs): prepares the missing pledges, renders 25 at a time, combines
    the pages into ONE PDF; seconds, pages per second, file size and peak RSS;
(d) `pledges.services.sync_breaches(None)` — what an import of many events triggers — over S signed
    pledges (default 100,000, loaded with INSERT … SELECT generate_series) of which one in five has
    two counting events after its signing date: the first sync (breaching them, with an audit
    entry each), a second one with nothing to change (the detection query alone), and the sync of
    one customer (what recording one event costs).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pledge_bench.py [--runs 30] [--batch 500]

A PostgreSQL database of its own, `sz_pledgebench`, is created next to DATABASE_URL's (or reused).
`--customers` (given by `make bench` to every benchmark) is accepted and ignored.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import bench_url, ensure_database, report  # noqa: E402

BENCH_DB = "sz_pledgebench"

FLOOR_HTML = """<!doctype html><html lang="zh-Hans"><head><meta charset="utf-8"><style>
@page {{ size: A4; margin: 25mm; }}
html {{ font-family: "{family}"; font-size: 12pt; }}
h1 {{ font-size: 22pt; text-align: center; font-weight: normal; }}
p {{ line-height: 1.9; text-indent: 2em; }}
</style></head><body><h1>信用承诺书</h1>{paragraphs}</body></html>"""


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median_ms(fns, runs: int) -> list[float]:
    """The median time of each function, run alternately (so a change in the machine's load hits both)."""
    for fn in fns:
        fn()  # warm-up (fonts, template loading)
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, out in zip(fns, times, strict=True):
            started = time.perf_counter()
            fn()
            out.append((time.perf_counter() - started) * 1000)
    return [statistics.median(t) for t in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each single PDF (default 30)")
    parser.add_argument("--batch", type=int, default=500, help="pledges in the batch (default 500)")
    parser.add_argument(
        "--sync-pledges",
        type=int,
        default=100_000,
        help="signed pledges for the breach-sync timing (default 100,000; 0 skips it)",
    )
    parser.add_argument("--customers", type=int, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()

    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    if not base.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must name a PostgreSQL server")
    ensure_database(base, BENCH_DB)
    os.environ["DATABASE_URL"] = bench_url(base, BENCH_DB)
    os.environ.pop("REDIS_URL", None)  # the batch runs in this process
    media = tempfile.mkdtemp(prefix="pledgebench-")
    os.environ["MEDIA_ROOT"] = media
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suizhou_credit.settings")

    import django

    django.setup()
    import datetime

    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from weasyprint import HTML

    from customers.models import Company, Customer
    from customers.uscc import make_uscc
    from pledges import batches, pdf, services
    from pledges.models import Pledge, PledgeBatch

    city = Company.objects.get(code="city")
    have = Customer.objects.filter(company=city).count()
    if have < args.batch:
        Customer.objects.bulk_create(
            [
                Customer(
                    account_no=f"PB{n:08d}",
                    name=f"随州市曾都区示范商贸{n}号有限责任公司",
                    uscc=make_uscc(f"91421300{n:09d}"),
                    company=city,
                    opened_on=datetime.date(2015, 1, 1),
                    payment_mode=Customer.POSTPAID,
                )
                for n in range(have, args.batch)
            ]
        )
    customer = Customer.objects.filter(company=city).order_by("account_no").first()
    pledge = Pledge.objects.filter(customer=customer).exclude(state="revoked").first() or services.prepare_pledge(
        customer
    )
    floor_html = FLOOR_HTML.format(
        family=pdf.PDF_FONT_FAMILY,
        paragraphs="".join(
            f"<p>{text}</p>"
            for text in [
                pledge.intro,
                pledge.preamble,
                *pledge.clauses,
                "承诺单位(加盖公章)",
                "法定代表人签章:",
                "年 月 日",
                f"主动型承诺书 · 模板第 1 版 · 内部编号 {pledge.internal_id}(签署后给出承诺编码)",
            ]
        ),
    )

    def floor() -> bytes:
        return HTML(string=floor_html).render(font_config=pdf.font_configuration()).write_pdf()

    def one_pledge() -> bytes:
        return pdf.render_pdf("pdf/pledge.html", {"pledges": [pledge]})

    floor_ms, pledge_ms = median_ms([floor, one_pledge], args.runs)
    print(f"floor (bare one-page WeasyPrint, same font):   {floor_ms:7.1f} ms  (median of {args.runs})")
    print(f"one pledge PDF (render_pdf, pdf/pledge.html):  {pledge_ms:7.1f} ms  (median of {args.runs})")
    print(f"ratio: {pledge_ms / floor_ms:.2f}x the floor (goal <= 1.5x)")
    report("one pledge PDF vs a bare WeasyPrint page", floor_ms, pledge_ms, 1.5)
    print(f"single PDF size: {len(one_pledge()):,} bytes; peak RSS so far {peak_rss_mb():.0f} MB")

    rss_before = peak_rss_mb()
    batch = PledgeBatch.objects.create(company=city, total=0)
    started = time.perf_counter()
    batch = batches.run_batch(batch.pk)
    seconds = time.perf_counter() - started
    size = batch.output.size
    print(
        f"batch of {batch.done} pledges as one PDF: {seconds:.1f} s ({batch.done / seconds:.1f} pages/s), "
        f"{size / 1e6:.1f} MB, peak RSS {peak_rss_mb():.0f} MB (before the batch {rss_before:.0f} MB)"
    )
    if args.sync_pledges:
        sync_bench(args.sync_pledges, pledge)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def sync_bench(n: int, model) -> None:
    """(d): breach sync over `n` signed pledges (loaded once; breaches reset before each run)."""
    from django.db import connection, transaction

    from customers.models import Company
    from pledges import services
    from pledges.models import Pledge

    county = Company.objects.get(code="county")
    with connection.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM pledges_pledge WHERE number LIKE 'SB%%'", [])
        have = cur.fetchone()[0]
        if have != n:
            with transaction.atomic():
                cur.execute("DELETE FROM pledges_pledge WHERE number LIKE 'SB%%'", [])
                cur.execute("DELETE FROM customers_event WHERE ref LIKE 'SB%%'", [])
                cur.execute("DELETE FROM customers_customer WHERE account_no LIKE 'SB%%'", [])
                cur.execute(
                    """INSERT INTO customers_customer (account_no, name, uscc, kind, company_id, opened_on,
                         payment_mode, legal_representative, phone, address, created_at, updated_at)
                       SELECT 'SB' || lpad(g::text, 8, '0'), '随州同步测试' || g || '号有限公司',
                              '91421300' || lpad(g::text, 10, '0'), 'enterprise', %s, DATE '2015-01-01',
                              'postpaid', '', '', '', now(), now()
                       FROM generate_series(1, %s) g""",
                    [county.pk, n],
                )
                cur.execute(
                    """INSERT INTO pledges_pledge (customer_id, company_id, kind, template_id, title, intro, preamble,
                         clauses, content, consequences, reason, disclosure, customer_name, customer_uscc, state,
                         number, signed_on, scan, scan_sha256, scan_content_type, revoke_reason, created_at)
                       SELECT c.id, c.company_id, 'voluntary', %s, %s, %s, %s, %s::jsonb, %s, %s, %s, 'public',
                              c.name, c.uscc, 'signed', 'SB' || c.account_no, DATE '2026-03-01', '', '', '', '', now()
                       FROM customers_customer c WHERE c.account_no LIKE 'SB%%'""",
                    [
                        model.template_id,
                        model.title,
                        model.intro,
                        model.preamble,
                        __import__("json").dumps(model.clauses, ensure_ascii=False),
                        model.content,
                        model.consequences,
                        model.reason,
                    ],
                )
                cur.execute(
                    """INSERT INTO customers_event (ref, customer_id, type, occurred_on, force_majeure, severity,
                         note, void_reason, created_at)
                       SELECT 'SB' || c.id || '-' || k, c.id, 'contract_violation', DATE '2026-04-01' + k, false, '',
                              '', '', now()
                       FROM customers_customer c CROSS JOIN generate_series(1, 2) k
                       WHERE c.account_no LIKE 'SB%%' AND c.id %% 5 = 0""",
                    [],
                )
                cur.execute("ANALYZE customers_customer; ANALYZE customers_event; ANALYZE pledges_pledge")
        cur.execute(
            "UPDATE pledges_pledge SET state = 'signed', breached_on = NULL, breach_event_id = NULL "
            "WHERE number LIKE 'SB%%'",
            [],
        )
    started = time.perf_counter()
    changed = services.sync_breaches(None)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = services.sync_breaches(None)
    second = time.perf_counter() - started
    one = Pledge.objects.filter(number__startswith="SB").order_by("pk").first()
    started = time.perf_counter()
    services.sync_breaches([one.customer_id])
    single = (time.perf_counter() - started) * 1000
    print(
        f"breach sync over {n:,} signed pledges: {first:.1f} s breaching {changed:,} (audited), "
        f"{second:.1f} s with nothing to change ({again}), one customer {single:.1f} ms"
    )


if __name__ == "__main__":
    main()
