"""The layers: `customers` is the ground floor and imports no app above it (ratings, pledges, repair,
reporting); the apps above plug into it through its registries (customers.cards, customers.levels,
customers.audited)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HIGHER_APPS = {"ratings", "pledges", "repair", "reporting"}


def _imported_modules(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, absolute module name) of every import statement, at any depth (inside functions too),
    and of every `importlib.import_module("…")` / `__import__("…")` with a literal name."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def higher_imports(source: str, filename: str = "<source>") -> list[str]:
    return [
        f"{filename}:{line} imports {module}"
        for line, module in _imported_modules(ast.parse(source, filename))
        if module.split(".")[0] in HIGHER_APPS
    ]


def test_no_module_under_customers_imports_a_higher_app():
    files = sorted((ROOT / "customers").rglob("*.py"))
    assert len(files) > 20  # the package itself is read, migrations included
    offending = [hit for path in files for hit in higher_imports(path.read_text(), str(path.relative_to(ROOT)))]
    assert offending == []


@pytest.mark.parametrize(
    "source",
    [
        "from ratings.models import Level",
        "import pledges.pdf",
        "def f():\n    from repair import services\n",
        "import importlib\nimportlib.import_module('reporting.exporters')",
        "from reporting import checks as c",
    ],
)
def test_the_check_sees_every_kind_of_import(source):
    assert higher_imports(source)


def test_the_check_lets_customers_own_imports_pass():
    assert higher_imports("from customers import cards\nfrom . import levels\nimport ratingsx\n") == []


def test_customers_level_names_are_the_ratings_apps():
    from customers.levels import LEVEL_LABELS, LEVEL_RANK
    from ratings.models import Level

    assert {code: str(label) for code, label in LEVEL_LABELS.items()} == {c: str(lbl) for c, lbl in Level.choices}
    assert set(LEVEL_RANK) == set(LEVEL_LABELS)


def test_the_apps_above_register_their_parts_of_the_credit_file():
    from customers import audited, cards, levels

    assert [c.name for c in cards.registered()] == ["rating", "repair", "pledges", "notices", "credit_checks"]
    assert [c.name for c in cards.registered() if c.slot == "main"] == ["repair"]
    assert [s.name for s in cards.print_sections()] == ["rating", "pledges", "repairs", "notices"]
    assert levels.provider() is not levels.UNRATED
    assert list(audited.models()) == ["override", "ratingresult", "repair", "restrictionrelease", "pledge", "notice"]


@pytest.mark.django_db
def test_the_credit_file_reads_the_pledges_once_for_the_pledge_and_notice_cards(login, clerk_city, city_customer):
    """The notice card reads the breached pledges from those the pledge card loaded (reads_context)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from tests import pledge_support

    pledge = pledge_support.printed_on(city_customer, clerk_city)
    client = login(clerk_city)
    with CaptureQueriesContext(connection) as queries:
        html = client.get(reverse("customers:detail", args=[city_customer.account_no])).content.decode()
    assert pledge.display_number in html  # the pledge card lists it
    from_pledges = [q["sql"] for q in queries if 'FROM "pledges_pledge"' in q["sql"]]
    assert len(from_pledges) == 1, from_pledges
