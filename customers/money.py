"""Amounts of money as staff read them: 12,000.50 (two decimals, thousands grouped)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")


def format_yuan(value) -> str:
    """`value` (Decimal, int, float or numeric string) as "12,000.50"; "" for None or ""; anything
    that is not a number is returned as it is."""
    if value is None or value == "":
        return ""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value))
        return f"{amount.quantize(CENT, rounding=ROUND_HALF_UP):,}"
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
