"""Signal receivers: events recorded, voided, imported or repaired re-check pledge breaches."""

from __future__ import annotations


def on_events_changed(sender, customer_ids=None, **kwargs) -> None:
    from .services import sync_breaches

    sync_breaches(customer_ids)
