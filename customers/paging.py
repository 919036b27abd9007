"""Paging that a typed-in URL cannot break: page numbers and page sizes are clamped.

django-tables2's LazyPaginator turns `?page=` straight into an OFFSET; a number past
PostgreSQL's bigint (`?page=99999999999999999999`) made the list pages answer 500 ("bigint
out of range"), and `?per_page=` let anyone ask for every row at once. Here a page past
MAX_PAGE is read as MAX_PAGE (an empty page, which the table shows as its first page), and
the page size stays between 1 and MAX_PER_PAGE.
"""

from __future__ import annotations

from django_tables2.paginators import LazyPaginator

MAX_PAGE = 1_000_000  # × at most MAX_PER_PAGE rows stays far inside bigint
MAX_PER_PAGE = 100


def clamp_page_number(number, *, max_page: int = MAX_PAGE) -> int:
    """A page number as typed (text, None, huge, negative) → 1 … max_page."""
    try:
        value = int(str(number or 1).strip()[:20])
    except (TypeError, ValueError):
        return 1
    return min(max(1, value), max_page)


class BoundedLazyPaginator(LazyPaginator):
    """LazyPaginator (no COUNT(*)) whose page number and page size are clamped."""

    def __init__(self, object_list, per_page, *args, **kwargs):
        try:
            per_page = int(per_page)
        except (TypeError, ValueError):
            per_page = MAX_PER_PAGE
        super().__init__(object_list, min(max(1, per_page), MAX_PER_PAGE), *args, **kwargs)

    def validate_number(self, number):
        return min(super().validate_number(number), MAX_PAGE)
