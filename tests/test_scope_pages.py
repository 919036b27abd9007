"""Every credit-file URL run as each persona (style.md: one mixin over every staff URL).

A city customer must be invisible to the county clerk: 404 on every page and action, and
absent from the list and search. Anonymous visitors are sent to the login page.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry, Event
from tests import factories

PERSONAS = ["anonymous", "clerk_city", "clerk_county", "supervisor", "supervisor_city"]


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    # expected status per persona (anonymous is always a redirect to login)
    expect: dict[str, int]
    listing: bool = False  # a list: the city customer must be present (own) or absent (others)


OWN_READ = {"clerk_city": 200, "clerk_county": 404, "supervisor": 200, "supervisor_city": 200}
PAGES = [
    Page("list", "get", {"clerk_city": 200, "clerk_county": 200, "supervisor": 200, "supervisor_city": 200}, True),
    # An exact own account number opens the file; another company's is searched like any text (not found).
    Page("search", "get", {"clerk_city": 302, "clerk_county": 200, "supervisor": 302, "supervisor_city": 302}, True),
    Page("detail", "get", OWN_READ),
    Page("history", "get", OWN_READ),
    Page("event_create", "get", OWN_READ),
    Page("event_create", "post", {"clerk_city": 302, "clerk_county": 404, "supervisor": 302, "supervisor_city": 302}),
    Page("event_void", "get", {"clerk_city": 403, "clerk_county": 404, "supervisor": 200, "supervisor_city": 200}),
    Page("event_void", "post", {"clerk_city": 403, "clerk_county": 404, "supervisor": 302, "supervisor_city": 302}),
]


def request_page(client, page: Page, customer, event):
    account = customer.account_no
    if page.name == "list":
        return client.get(reverse("customers:list"))
    if page.name == "search":
        return client.get(reverse("customers:list"), {"q": account})
    if page.name in ("detail", "history"):
        return client.get(reverse(f"customers:{page.name}", args=[account]))
    if page.name == "event_create":
        url = reverse("customers:event_create", args=[account])
        data = {"type": "contract_violation", "occurred_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
        return client.get(url) if page.method == "get" else client.post(url, data)
    url = reverse("customers:event_void", args=[account, event.pk])
    return client.get(url) if page.method == "get" else client.post(url, {"reason": "录入错误"})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("target", PAGES, ids=lambda p: f"{p.name}-{p.method}")
def test_every_page_as_every_persona(request, client, persona, target, city_customer):
    event = factories.event(city_customer)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    events_before = Event.objects.count()
    audit_before = AuditEntry.objects.count()

    response = request_page(client, target, city_customer, event)

    if persona == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
        expected_write = False
    else:
        assert response.status_code == target.expect[persona], response.content[:300]
        expected_write = target.method == "post" and response.status_code == 302
        if target.name == "search" and response.status_code == 302:
            assert response["Location"] == reverse("customers:detail", args=[city_customer.account_no])
        if target.listing and response.status_code == 200:
            rows = {r.record.account_no for r in response.context["table"].paginated_rows}
            assert (city_customer.account_no in rows) == (persona != "clerk_county")
            if persona == "clerk_county":
                assert city_customer.name not in response.content.decode()
        if response.status_code == 404:
            assert "页面不存在" in response.content.decode()  # the Chinese 404 page, same as a missing file
            assert city_customer.name not in response.content.decode()
        if response.status_code == 403:
            assert "无权操作" in response.content.decode()
    if not expected_write:
        assert Event.objects.count() == events_before
        assert AuditEntry.objects.count() == audit_before
        event.refresh_from_db()
        assert event.voided_at is None


def test_missing_file_and_other_company_file_look_the_same(login, clerk_county, city_customer):
    client = login(clerk_county)
    hidden = client.get(reverse("customers:detail", args=[city_customer.account_no]))
    missing = client.get(reverse("customers:detail", args=["NO-SUCH-ACCOUNT"]))
    assert hidden.status_code == missing.status_code == 404
    assert _without_csrf_token(hidden) == _without_csrf_token(missing)


def _without_csrf_token(response) -> bytes:
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
