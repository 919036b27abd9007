"""A PDF/HTML polyglot uploaded as evidence named poly.html, opened in Chromium: never a page.

The evidence link answers application/pdf, nosniff, inline as poly.pdf; the browser shows its PDF
viewer (or offers the PDF), and the HTML's script never runs on the site's origin.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from repair import services
from tests import factories
from tests.browser.conftest import log_in
from tests.repair_support import pdf_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLYGLOT = pdf_bytes("poly") + b"\n%<html><body><script>document.title='pwned'</script><h1>PAGE</h1></body></html>\n"


def test_a_polyglot_named_poly_html_is_never_rendered_as_a_page(page, live_server, shot, tmp_path):
    factories.user("clerk_city", roles=("clerk",), companies=("city",), first_name="城区客服")
    customer = factories.customer("city", name="随州市多格式测试有限公司")
    theft = factories.event(
        customer, "water_theft", amount=Decimal("10.00"), occurred_on=timezone.localdate() - dt.timedelta(days=5)
    )
    base = live_server.url
    log_in(page, base, "clerk_city")
    page.goto(f"{base}/repair/new/{customer.account_no}/")
    page.check(f"input[name=events][value='{theft.pk}']")
    page.fill("textarea[name=reason]", "已整改")
    poly = tmp_path / "poly.html"
    poly.write_bytes(POLYGLOT)
    page.set_input_files("input[name=files]", str(poly))
    page.click("[data-testid=request-submit]")
    page.wait_for_url(lambda url: "/repair/new/" not in url)
    assert "poly.pdf" in page.content() and "poly.html" not in page.content()
    shot("repair-evidence-polyglot-listed")
    req = services.RepairRequest.objects.get(customer=customer)
    evidence = req.evidence.get()
    url = f"{base}/repair/{req.number}/evidence/{evidence.pk}/"
    seen = {}

    def on_response(response):
        if response.url == url:
            seen.update(response.headers)

    page.on("response", on_response)
    with contextlib.suppress(Exception):  # headless Chromium may download a PDF instead of showing it
        page.goto(url)
    assert seen.get("content-type") == "application/pdf"
    assert seen.get("x-content-type-options") == "nosniff"
    assert seen.get("content-disposition") == 'inline; filename="poly.pdf"'
    assert page.title() != "pwned"
    assert "PAGE" not in page.evaluate("document.body ? document.body.innerText : ''")
