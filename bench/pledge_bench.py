"""How fast a pledge PDF renders, against a floor measured in the same process, and a 500-pledge batch.

(a) the floor: a bare one-page WeasyPrint document — the same font family, the same shared
    FontConfiguration, the same words (title, intro, the five clauses, the signature lines and the
    small print) as plain paragraphs: no Django template, no page-margin footer, no boxes;
(b) one pledge through the product's code: `pledges.pdf.render_pdf("pdf/pledge.html", …)` (the
    template, the small print, the seal and signature boxes), as the pledge's PDF page serves it;
each the median of N runs after a warm-up (the two alternate), and their ratio (goal: at most 1.5×); then
(c) a batch of B pledges (default 500) through `pledges.batches.run_batch` in this process
    (what the Celery task runs): prepares the missing pledges, renders 25 at a time, combines
    the pages into ONE PDF; seconds, pages per second, file size and peak RSS.

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

from bench.common import bench_url, ensure_database  # noqa: E402

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
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
