"""Formula-safe spreadsheet cells, the ground floor's: every export (the lists' `customers.exports`, the
reporting batches' `reporting.exporters`) guards CSV fields the same way."""

from __future__ import annotations

# A field starting with one of these is run as a formula (or DDE) by spreadsheets (OWASP's
# "CSV injection"); data-contract.md names exactly these.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t")


def csv_safe(value: str) -> str:
    """`value` with a leading `'` when it starts with `= + - @` or a tab (the CSV formula guard)."""
    if value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
