"""Every URL the project defines, walked with hostile path and query values: never a 500.

The patterns are read from the URL configuration, so a new page is covered without anyone
remembering it. PostgreSQL refuses NUL in text and a number past bigint with an error, which
is where such values used to become 500s (`/customers/file/a%00b/`, `?page=99999999999999999999`,
the admin's `?kind=a%00b`). Runs against PostgreSQL when DATABASE_URL names it.
"""

from __future__ import annotations

import re
import sys

import pytest
from django.core.signals import got_request_exception
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from tests import factories

HUGE = "99999999999999999999999"
NUL = "a\x00b"
# Every query parameter a view or filter of the project reads (request.GET and the filter sets).
QUERY_PARAMS = [
    "q", "page", "npage", "rpage", "company", "payment_mode", "overdue", "level", "state", "kind", "source",
    "sort", "move", "run", "sheet", "as_of", "done", "type", "format", "export", "per_page",
]  # fmt: skip
# Every form field name the project's forms and views read from a POST (forms, and request.POST in views).
POST_FIELDS = [
    "company", "kind", "mode", "next", "pledge", "received_by", "signed_on", "account_no", "number", "reason",
    "note", "type", "occurred_on", "amount", "level", "as_of", "period", "on", "valid_until", "events", "bills",
    "template", "given_on", "given_to", "sheet", "action", "severity", "pipe_diameter_mm", "date_1",
]  # fmt: skip
HOSTILE_QUERY_VALUES = [HUGE, "-1", "a\x1bb", "a\u202eb", "x" * 300, "1' OR '1'='1", "<script>"]
PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def routes(*, admin: bool = True) -> list[str]:
    """Every route of the URLconf (admin's regex catch-alls aside), e.g. `repair/<key:number>/edit/`."""
    found = []
    for route in _walk(get_resolver().url_patterns):
        if route.startswith("^") or "(?P" in route or "$" in route:
            continue
        if not admin and route.startswith("admin/"):
            continue
        found.append(route)
    return found


def fill(route: str, text: str, number: str = "1") -> str:
    """The route with every int converter given `number` and every other converter `text`."""
    return "/" + PARAM.sub(lambda m: number if m.group(1) == "int" else text, route)


def probe(client, method: str, url: str, data=None):
    """(status, exception) of one request, inside a savepoint that is rolled back afterwards."""
    caught = []

    def record(sender, **kw):
        caught.append(repr(sys.exc_info()[1])[:160])

    got_request_exception.connect(record)
    try:
        with transaction.atomic():  # a database error rolls back to here, not the whole test
            response = getattr(client, method)(url, data or {})
            transaction.set_rollback(True)  # nothing a probe wrote stays
    finally:
        got_request_exception.disconnect(record)
    return response, (caught[-1] if caught else "")


@pytest.fixture
def root(client, db):
    user = factories.user(
        "root", roles=("clerk", "supervisor"), companies=("city", "county"), is_superuser=True, is_staff=True
    )
    client.force_login(user)
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
def test_nul_in_any_path_is_not_found_and_in_any_query_parameter_a_bad_request(root):
    customer = factories.customer("city")
    failures = []
    for route in routes():
        if "<" in route:
            for method in ("get", "post"):
                response, exc = probe(root, method, fill(route, NUL))
                if response.status_code != 404:
                    failures.append(f"{method} {fill(route, NUL)!r}: {response.status_code} {exc}")
        url = fill(route, customer.account_no)
        response, exc = probe(root, "get", url, {"kind": NUL})
        if response.status_code != 400 or "请求参数 kind 含有空字符" not in response.content.decode():
            failures.append(f"get {url}?kind=NUL: {response.status_code} {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["a\x1bb", "a\u202eb", "a\u2066b", "\x7f", "a\x85b", "a\u200bb"])
def test_key_converters_refuse_control_and_bidi_characters(root, bad):
    failures = []
    for route in routes(admin=False):
        if "<" not in route:
            continue
        response, exc = probe(root, "get", fill(route, bad))
        if response.status_code != 404:
            failures.append(f"{fill(route, bad)!r}: {response.status_code} {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_hostile_form_posts_on_every_page(root):
    """Every field a form or view reads, posted with NUL, a control character, a bidi override, an
    overlong or a huge value, to every route: a message or a refusal, never a 500."""
    customer = factories.customer("city")
    failures = []
    for route in routes(admin=False):
        url = fill(route, customer.account_no)
        for bad in (NUL, "a\x1bb", "a\u202eb", "x" * 3000, HUGE, "-1"):
            response, exc = probe(root, "post", url, dict.fromkeys(POST_FIELDS, bad))
            if response.status_code >= 500:
                failures.append(f"POST {url} all fields={bad[:10]!r}: {response.status_code} {exc}"[:300])
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_huge_numbers_in_paths_are_not_found(root):
    customer = factories.customer("city")
    failures = []
    for route in routes(admin=False):
        if "<int:" not in route:
            continue
        url = fill(route, customer.account_no, number=HUGE)
        for method in ("get", "post"):
            response, exc = probe(root, method, url)
            if response.status_code >= 500:
                failures.append(f"{method} {url}: {response.status_code} {exc}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_hostile_query_values_on_every_page(root):
    customer = factories.customer("city")
    failures = []
    for route in routes(admin=False):
        if route.endswith(("pdf/", ".pdf")):  # documents read no query parameter, and take a second each
            continue
        url = fill(route, customer.account_no)
        for bad in HOSTILE_QUERY_VALUES:
            # Every parameter at once (a page reads the few it knows), then each alone on the lists,
            # where one refused parameter could otherwise hide what another does.
            queries = [dict.fromkeys(QUERY_PARAMS, bad)]
            if "<" not in route and bad in (HUGE, "a\u202eb"):
                queries += [{param: bad} for param in QUERY_PARAMS]
            for query in queries:
                response, exc = probe(root, "get", url, query)
                if response.status_code >= 500:
                    failures.append(f"{url}?{query}: {response.status_code} {exc}"[:300])
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/customers/", "/pledges/", "/repair/"])
@pytest.mark.parametrize("param", ["page", "per_page"])
def test_a_huge_page_number_shows_a_page(root, url, param):
    factories.customer("city", name="翻页测试有限公司")
    response = root.get(url, {param: HUGE})
    assert response.status_code == 200
    if url == "/customers/":
        assert "翻页测试有限公司" in response.content.decode()  # the first page, not an error


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/customers/", "/pledges/", "/repair/"])
def test_a_search_with_a_bidi_override_says_why(root, url):
    factories.customer("city", name="搜索测试有限公司")
    response = root.get(url, {"q": "搜索\u202e测试"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "不能包含文字方向控制符 U+202E（第 3 个字符）" in body
