"""URL path converters for the keys in the project's URLs (account numbers, request, batch and
notice numbers, kinds and actions).

Django's `str` converter takes any character but `/`, NUL included: `/customers/file/a%00b/`
reached the database, which refuses NUL in text, and answered 500. `key` takes what a key can
hold — no control character (C0, DEL, C1), no bidi override, isolate or mark, no invisible
character — so such a URL simply matches no page (404) and never reaches a query.
"""

from __future__ import annotations

from django.urls import register_converter

from .validation import FORBIDDEN_CHARS_CLASS


class KeyConverter:
    regex = f"[^/{FORBIDDEN_CHARS_CLASS}]+"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value) -> str:
        return str(value)


def register() -> None:
    register_converter(KeyConverter, "key")


register()
