"""Content-Security-Policy: the header (only the product's own origin) and templates that need nothing
inline. The header on every URL is checked by the permission matrix (tests/test_access_matrix.py); what
a browser reports on the main pages by tests/browser/test_csp_browser.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = Path(settings.BASE_DIR) / "templates"
# PDFs are laid out by WeasyPrint, not shown by a browser under the policy.
BROWSER_TEMPLATES = sorted(p for p in TEMPLATES.rglob("*.html") if "pdf" not in p.relative_to(TEMPLATES).parts)
INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "event handler attribute": re.compile(r"\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"\sstyle\s*=", re.I),
    "javascript: URL": re.compile(r"javascript:", re.I),
}


@pytest.mark.parametrize("template", BROWSER_TEMPLATES, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_templates_need_nothing_inline(template):
    text = template.read_text()
    found = {what: pattern.findall(text) for what, pattern in INLINE.items()}
    assert {what: hits for what, hits in found.items() if hits} == {}


@pytest.mark.django_db
def test_the_policy_allows_only_the_own_origin(client):
    policy = client.get("/accounts/login/")["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["img-src"] == "'self' data:"
    assert directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy


def test_the_rating_chart_has_no_style_attribute():
    from ratings.charts import level_distribution_svg

    assert "style=" not in level_distribution_svg([])
