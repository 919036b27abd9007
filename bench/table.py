"""Print `make bench`'s table from the rows the benchmarks reported (bench.common.report), as Markdown.

    .venv/bin/python bench/table.py RESULTS.jsonl

Ratio = value / floor, both measured in the same run; "goal" is the ratio not to exceed.
"""

from __future__ import annotations

import datetime
import json
import os
import sys


def main() -> None:
    with open(sys.argv[1], encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"\nmeasured {now}, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}\n")
    print("| job | floor | value | ratio | goal | met | peak memory |")
    print("| --- | ---: | ---: | ---: | ---: | --- | ---: |")
    for r in rows:
        ratio = r["value"] / r["floor"] if r["floor"] else float("inf")
        unit = r["unit"]
        print(
            f"| {r['job']} | {r['floor']:,.1f} {unit} | {r['value']:,.1f} {unit} | {ratio:.2f}× | ≤ {r['goal']:g}× "
            f"| {'yes' if ratio <= r['goal'] else 'no'} | {r['peak_mb']:.0f} MB |"
        )


if __name__ == "__main__":
    main()
