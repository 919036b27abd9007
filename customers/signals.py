"""Signals other apps listen to, so the credit file does not import them.

`events_changed(customer_ids=[...])` is sent inside the transaction that recorded, voided,
imported or repaired events, after the writes: a receiver that fails rolls the whole change
back, so nothing is left half-written. The pledges app re-checks breaches on it.
"""

import django.dispatch

events_changed = django.dispatch.Signal()  # kwargs: customer_ids (an iterable of customer ids)
