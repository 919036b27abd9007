"""Hostile input everywhere, drawn by hypothesis (issue 14, "Tests that must exist").

Every form a signed-in user can reach is found the way a user finds it: every page of the permission
matrix (tests/test_access_matrix.py) is opened, and each `<form method="post">` on it is read with
html.parser. Hypothesis then fills each field with hostile values (control, NUL and bidi characters,
overlong text, SQL and HTML fragments, impossible dates, negative and huge numbers, random bytes and
malformed CSV/Excel as files) and posts them: never a 500, and a form answered again (200) has written
nothing. Every list page gets hypothesis-drawn values for each of its filters, and `import_records`
gets malformed CSV and Excel files in wrong encodings: a CommandError (exit status 1) with a message,
never a traceback, no record written.

Runs derandomized (the same examples every run) and without shrinking, so CI is reproducible and
bounded; each request runs in a savepoint that is rolled back, so the examples do not pile up rows.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from html.parser import HTMLParser
from urllib.parse import urlsplit

import openpyxl
import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.signals import got_request_exception
from django.db import connection, transaction
from django.urls import Resolver404, resolve, reverse
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from pledges import services as pledge_services
from tests import factories
from tests.test_access_matrix import ACCESS, make_world
from tests.test_hostile_urls import QUERY_PARAMS
from tests.test_importer import BILL_HEADER, CUSTOMER_HEADER, EVENT_HEADER, ROOT, db_state

pytestmark = pytest.mark.django_db

FUZZ = settings(
    deadline=None,
    derandomize=True,  # the same examples on every run: a CI failure reproduces
    phases=[Phase.explicit, Phase.generate],  # no shrinking: a failure lists every request, which is enough
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
APPS = ("customers", "pledges", "ratings", "repair", "reporting")
# Pages that answer a file, not HTML (and take time to build): no form to find on them.
NOT_HTML = ("pdf", "download", "file", "evidence", "attachment", "template", "scan", "letter")
# Forms that end the session or switch the language are not the subject here.
SKIP_ACTIONS = {"logout", "set_language", "login"}

# What a page answering a refused form shows: the field's error (crispy's invalid-feedback, Django's
# errorlist), a form-wide alert, or the bad-input page's reason naming the parameter.
SAYS_WHY = ("invalid-feedback", "errorlist", "alert-danger", "请求参数")

# --- hostile values ------------------------------------------------------------------------

CONTROL = ["\x00", "\x01", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\u200b", "\u200e", "\ufeff"]
BIDI = ["\u202a", "\u202b", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069"]
FRAGMENTS = [
    "'; DROP TABLE customers_customer; --",
    "1' OR '1'='1",
    '" OR ""="',
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7|add:7 }}{% debug %}",
    "%(name)s%s%n",
    "../../../etc/passwd",
    "=cmd|' /C calc'!A0",
    "NULL",
    "\\x00",
]
DATES = [
    "2026-02-30",
    "0000-00-00",
    "99999-01-01",
    "2026-13-01",
    "2026-00-10",
    "-2026-01-01",
    "2026-2-30",
    "9999-12-31",
]
NUMBERS = ["-1", "-0.01", "0", "99999999999999999999999", "-99999999999999999999", "1e309", "NaN", "inf", "1,5", "0x10"]

strange_char = st.one_of(
    st.sampled_from(CONTROL + BIDI),
    st.characters(min_codepoint=0, max_codepoint=0x1F),
    st.characters(exclude_categories=("Cs",)),
)
hostile_text = st.one_of(
    st.text(alphabet=strange_char, min_size=1, max_size=30),
    st.builds(lambda ch, n: ch * n, st.sampled_from(["x", "汉", "\u202e", "'"]), st.integers(256, 6000)),
    st.sampled_from(FRAGMENTS + DATES + NUMBERS),
    st.builds(
        lambda a, b, c: a + b + c, st.sampled_from(FRAGMENTS), st.sampled_from(CONTROL + BIDI), st.sampled_from(DATES)
    ),
)
hostile_date = st.one_of(st.sampled_from(DATES), hostile_text)
hostile_number = st.one_of(
    st.sampled_from(NUMBERS), st.integers(min_value=-(10**30), max_value=10**30).map(str), hostile_text
)


def _xlsx(rows: list[list[str]]) -> bytes:
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append([ILLEGAL_CHARACTERS_RE.sub("?", cell) for cell in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


HEADERS = {"customers": CUSTOMER_HEADER, "bills": BILL_HEADER, "events": EVENT_HEADER}
# The column of each kind that always holds an impossible date, so no drawn file is a valid import.
DATE_COLUMN = {"customers": "opened_on", "bills": "due_on", "events": "occurred_on"}


@st.composite
def table(draw, kind: str | None = None) -> list[list[str]]:
    """A header (the contract's, or hostile) and hostile rows; with the contract's header, one row
    at least, each with an impossible date in its date column."""
    if kind is None:
        header = draw(st.lists(hostile_text, min_size=1, max_size=6))
        return [header] + draw(st.lists(st.lists(hostile_text, max_size=8), max_size=4))
    header = HEADERS[kind]
    rows = draw(st.lists(st.lists(hostile_text, min_size=len(header), max_size=len(header)), min_size=1, max_size=4))
    at = header.index(DATE_COLUMN[kind])
    for row in rows:
        row[at] = draw(st.sampled_from(DATES[:6]))
    return [header] + rows


def _csv(rows: list[list[str]], encoding: str) -> bytes:
    text = "\n".join(",".join(row) for row in rows)  # unquoted on purpose: commas and quotes break the columns
    return text.encode(encoding, errors="replace")


def malformed_file(kind: str | None = None):
    """Bytes a user might upload as a CSV or an Excel file: random, cut off, wrongly encoded, or a
    well-formed file of hostile values."""
    encodings = st.sampled_from(["utf-8", "utf-8-sig", "gbk", "utf-16", "latin-1", "shift_jis", "utf-32"])
    return st.one_of(
        st.binary(max_size=400),
        st.builds(lambda b: b"PK\x03\x04" + b, st.binary(max_size=200)),  # a broken zip, as .xlsx
        st.builds(lambda b: b"\xef\xbb\xbf" + "户号,单位名称\n".encode("gbk") + b, st.binary(max_size=60)),
        st.builds(_csv, table(kind), encodings),
        st.builds(_xlsx, table(kind)),
        st.builds(lambda data, n: data[:n], st.builds(_xlsx, table(kind)), st.integers(10, 400)),  # cut off
    )


FILE_NAMES = ["x.pdf", "x.jpg", "x.png", "x.csv", "x.xlsx", "x.xls", "x.html", "x.exe", "\u202egpj.exe", "a" * 300]
upload = st.builds(
    lambda name, content, ctype: SimpleUploadedFile(name, content, ctype),
    st.sampled_from(FILE_NAMES),
    st.one_of(malformed_file(), st.builds(lambda b: b"%PDF-1.4\n" + b, st.binary(max_size=200))),
    st.sampled_from(["application/pdf", "image/jpeg", "text/csv", "application/octet-stream", "text/html"]),
)

# --- the forms of the pages -----------------------------------------------------------------


class Forms(HTMLParser):
    """The `<form>`s of a page: method, action and fields (name, type, options, value)."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form = None
        self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self._form = {"method": (a.get("method") or "get").lower(), "action": a.get("action") or "", "fields": {}}
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or not a.get("name"):
            if tag == "option" and self._select is not None:
                self._select["options"].append(a.get("value", ""))
            return
        name = a["name"]
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "reset", "image"):
                value = a.get("value")
                if value is not None:
                    form["fields"].setdefault(name, {"type": "hidden", "options": [], "value": value})
                return
            field = form["fields"].setdefault(name, {"type": kind, "options": [], "value": a.get("value", "")})
            if kind in ("checkbox", "radio"):
                field["options"].append(a.get("value", "on"))
            if "multiple" in a:
                field["multiple"] = True
        elif tag in ("select", "textarea"):
            field = {"type": tag, "options": [], "value": "", "multiple": "multiple" in a}
            form["fields"].setdefault(name, field)
            self._select = form["fields"][name] if tag == "select" else None
        elif tag == "button" and a.get("value") is not None:
            form["fields"].setdefault(name, {"type": "hidden", "options": [a["value"]], "value": a["value"]})

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


def forms_of(html: str) -> list[dict]:
    parser = Forms()
    parser.feed(html)
    return parser.forms


def value_for(name: str, field: dict):
    """A strategy of hostile values for one field, sometimes a valid choice so the form goes deeper."""
    kind = field["type"]
    if kind == "file":
        return st.one_of(upload, st.lists(upload, min_size=2, max_size=3))
    if kind in ("number",) or name.endswith(("amount", "_mm", "count", "page")):
        plain = hostile_number
    elif kind in ("date", "month") or name.endswith(("_on", "date", "until", "as_of", "month", "period")):
        plain = hostile_date
    else:
        plain = hostile_text
    options = [o for o in field["options"] if o] or ([field["value"]] if field["value"] else [])
    if not options:
        return plain
    choice = st.sampled_from(options)
    if kind == "checkbox" or field.get("multiple"):
        return st.one_of(st.lists(st.one_of(choice, plain), max_size=4), plain)
    return st.one_of(choice, plain)


def counts() -> dict[str, int]:
    return {
        model._meta.label: model._base_manager.count()
        for label in APPS
        for model in apps.get_app_config(label).get_models()
    }


def probe(client, method: str, url: str, data=None, *, check_writes: bool = False):
    """(status, exception, rows written on a 200) of one request, in a savepoint rolled back afterwards."""
    caught = []

    def record(sender, **kw):
        caught.append(repr(sys.exc_info()[1])[:200])

    got_request_exception.connect(record)
    written = {}
    try:
        with transaction.atomic():
            before = counts() if check_writes else None
            response = getattr(client, method)(url, data or {})
            if check_writes and response.status_code in (200, 400):
                after = counts()
                written = {k: after[k] - before[k] for k in after if after[k] != before[k]}
            transaction.set_rollback(True)
    finally:
        got_request_exception.disconnect(record)
    return response, (caught[-1] if caught else ""), written


@pytest.fixture
def world(personas, eager_celery, settings) -> dict:
    """One of everything per company (the matrix's world): every URL names a real object."""
    settings.LOGGING = {"version": 1}
    world = make_world(personas["supervisor"], {"city": personas["clerk_city"], "county": personas["clerk_county"]})
    # Pledges prepared and printed, not signed yet, and a customer without one: the print, sign (scan
    # upload) and paper registration forms.
    prepared = pledge_services.prepare_pledge(factories.customer("city"), user=personas["clerk_city"])
    printed = pledge_services.prepare_pledge(factories.customer("city"), user=personas["clerk_city"])
    pledge_services.mark_printed([printed], user=personas["clerk_city"])
    world["extra"] = [
        reverse("pledges:detail", args=[prepared.pk]),
        reverse("pledges:sign", args=[printed.pk]),
        reverse("pledges:paper", args=[factories.customer("city").account_no]),
    ]
    return world


@pytest.fixture
def personas(db, clerk_city, clerk_county, supervisor):
    return {"clerk_city": clerk_city, "clerk_county": clerk_county, "supervisor": supervisor}


@pytest.fixture
def root(client, world):
    """A superuser clerk and supervisor of both companies: every page and every form is open to it."""
    user = factories.user(
        "fuzz_root", roles=("clerk", "supervisor"), companies=("city", "county"), is_superuser=True, is_staff=True
    )
    client.force_login(user)
    client.raise_request_exception = False
    return client


def page_urls(world: dict) -> list[str]:
    """Every HTML page of the matrix, on the city company's objects."""
    found = []
    for name, (_level, scoped) in sorted(ACCESS.items()):
        if any(word in name.split(":")[1] for word in NOT_HTML):
            continue
        args = world["city"].get(name) if scoped else world["any"].get(name, [])
        found.append(reverse(name, args=args))
    return found + world.get("extra", [])


def _url_name(url: str) -> str | None:
    try:
        return resolve(urlsplit(url).path).url_name
    except Resolver404:
        return None


def discover(client, world: dict, method: str) -> list[tuple[str, dict]]:
    """(action, fields) of every distinct form of `method` on every page, as the user finds them."""
    found: dict[tuple, tuple[str, dict]] = {}
    for url in page_urls(world):
        response = client.get(url)
        if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
            continue
        for form in forms_of(response.content.decode()):
            if form["method"] != method:
                continue
            action = form["action"] or url
            if not action.startswith("/") or _url_name(action) in SKIP_ACTIONS:
                continue
            key = (urlsplit(action).path, tuple(sorted(form["fields"])))
            found.setdefault(key, (action, form["fields"]))
    return list(found.values())


@pytest.fixture
def post_forms(root, world) -> list[tuple[str, dict]]:
    forms = discover(root, world, "post")
    assert len(forms) >= 20, [a for a, _ in forms]  # the walk found the forms (not an empty, passing loop)
    return forms


# --- the tests -------------------------------------------------------------------------------


@settings(FUZZ, max_examples=6)
@given(data=st.data())
def test_hostile_values_in_every_form_never_a_500_and_nothing_half_written(root, post_forms, data):
    failures = []
    for action, fields in post_forms:
        payload = {name: data.draw(value_for(name, field), label=f"{action} {name}") for name, field in fields.items()}
        response, exc, written = probe(root, "post", action, payload, check_writes=True)
        if response.status_code >= 500 or exc:
            failures.append(f"POST {action}: {response.status_code} {exc}")
        elif written:
            failures.append(f"POST {action}: answered {response.status_code} (the form again) but wrote {written}")
        elif response.status_code in (200, 400) and not any(m in response.content.decode() for m in SAYS_WHY):
            failures.append(f"POST {action}: answered {response.status_code} without a message")
    assert not failures, "\n".join(failures)


@settings(FUZZ, max_examples=8)
@given(data=st.data())
def test_hostile_filter_values_on_every_list_page_never_a_500(root, world, data):
    lists = [url for url in page_urls(world) if _url_name(url) and not resolve(url).kwargs]
    failures = []
    for url in lists:
        response = root.get(url)
        if response.status_code != 200:
            continue
        fields: dict = {}
        for form in forms_of(response.content.decode()):
            if form["method"] == "get":
                fields.update(form["fields"])
        for param in QUERY_PARAMS:
            fields.setdefault(param, {"type": "text", "options": [], "value": ""})
        names = data.draw(st.lists(st.sampled_from(sorted(fields)), min_size=1, max_size=6, unique=True), label=url)
        query = {name: data.draw(value_for(name, fields[name]), label=f"{url}?{name}") for name in names}
        query = {k: v for k, v in query.items() if not isinstance(v, SimpleUploadedFile)}
        response, exc, _ = probe(root, "get", url, query)
        if response.status_code >= 500 or exc:
            failures.append(f"GET {url}?{sorted(query)}: {response.status_code} {exc}")
    assert not failures, "\n".join(failures)


SUFFIXES = [".csv", ".xlsx", ".CSV", ".txt", ""]


@settings(FUZZ, max_examples=25)
@given(data=st.data())
def test_import_records_refuses_malformed_files_with_a_message(tmp_path, city_customer, data):
    kind = data.draw(st.sampled_from(sorted(HEADERS)), label="kind")
    content = data.draw(st.one_of(malformed_file(kind), malformed_file()), label="content")
    path = tmp_path / ("upload" + data.draw(st.sampled_from(SUFFIXES), label="suffix"))
    path.write_bytes(content)
    before = db_state()
    err = io.StringIO()
    with pytest.raises(CommandError) as refused:
        call_command("import_records", kind, str(path), stdout=io.StringIO(), stderr=err)
    assert str(refused.value).strip()
    assert "Traceback" not in err.getvalue()
    assert db_state() == before


@pytest.mark.django_db(transaction=True)
def test_import_records_in_a_real_process_exits_1_without_a_traceback(tmp_path):
    """The command run as an operator runs it, on the test database: status 1, a message, no traceback."""
    if connection.vendor != "postgresql":
        pytest.skip("the subprocess reaches the test database through DATABASE_URL (PostgreSQL)")
    db = connection.settings_dict
    url = (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    )
    path = tmp_path / "bad.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "户号,单位名称\n".encode("gbk") + b"\x00\xff")
    before = db_state()
    done = subprocess.run(
        [sys.executable, "manage.py", "import_records", "customers", str(path)],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "以 UTF-8 标记开头" in done.stderr
    assert "Traceback" not in done.stderr
    assert db_state() == before
