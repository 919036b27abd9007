"""The permission matrix: every URL the project defines, read from the URL configuration, as every persona,
with GET and POST, on objects of both companies, checked against one table of who may do what; and on every
answer the Content-Security-Policy and (signed in) `Cache-Control: private, no-store`.

A new page fails `test_the_table_covers_every_url` until it is put in ACCESS (and wrapped in
`customers.roles.role_required`). The order of refusals is the one `role_required` documents:
anonymous → the login page; no staff role → 403; an object of a company the user does not belong
to → 404; then a missing role → 403.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from customers.models import ImportJob
from customers.roles import CLERK_WORK, READ, SUPERVISOR_WORK
from pledges.models import PledgeBatch
from ratings.models import RatingRun
from ratings.overrides import set_override
from reporting.models import (
    Batch,
    CheckMatter,
    CreditCase,
    CreditCheck,
    KeyTask,
    Notice,
    NoticeKind,
    ProgressReport,
    PublicityItem,
    Unit,
)
from tests import factories
from tests.pledge_support import signed_on
from tests.repair_support import lodge

# url name -> (level, scoped: the URL names one company's object)
ACCESS: dict[str, tuple[str, bool]] = {
    "customers:list": (READ, False),
    "customers:import": (CLERK_WORK, False),
    "customers:import_template": (CLERK_WORK, False),
    "customers:import_history": (CLERK_WORK, False),
    "customers:import_job": (CLERK_WORK, True),
    "customers:import_job_progress": (CLERK_WORK, True),
    "customers:import_job_errors": (CLERK_WORK, True),
    "customers:detail": (READ, True),
    "customers:history": (READ, True),
    "customers:file_pdf": (READ, True),
    "customers:event_create": (CLERK_WORK, True),
    "customers:event_void": (SUPERVISOR_WORK, True),
    "pledges:list": (READ, False),
    "pledges:detail": (READ, True),
    "pledges:pdf": (READ, True),
    "pledges:print": (CLERK_WORK, True),
    "pledges:scan": (READ, True),
    "pledges:sign": (CLERK_WORK, True),
    "pledges:fulfil": (SUPERVISOR_WORK, True),
    "pledges:revoke": (SUPERVISOR_WORK, True),
    "pledges:prepare": (CLERK_WORK, True),
    "pledges:paper": (CLERK_WORK, True),
    "pledges:bulk_sign": (CLERK_WORK, False),
    "pledges:coverage": (READ, False),
    "pledges:batch_start": (CLERK_WORK, False),
    "pledges:batch_start_selected": (CLERK_WORK, False),
    "pledges:batch_print_selected": (CLERK_WORK, False),
    "pledges:batch": (READ, True),
    "pledges:batch_progress": (READ, True),
    "pledges:batch_download": (READ, True),
    "ratings:runs": (READ, False),
    "ratings:run_start": (SUPERVISOR_WORK, False),
    "ratings:run": (READ, False),
    "ratings:run_progress": (READ, False),
    "ratings:level": (READ, False),
    "ratings:override_set": (SUPERVISOR_WORK, True),
    "ratings:override_revoke": (SUPERVISOR_WORK, True),
    "repair:queue": (READ, False),
    "repair:queue_accept": (SUPERVISOR_WORK, False),
    "repair:lodge": (CLERK_WORK, True),
    "repair:detail": (READ, True),
    "repair:edit": (CLERK_WORK, True),
    "repair:add_evidence": (CLERK_WORK, True),
    "repair:evidence": (READ, True),
    "repair:letter": (READ, True),
    "repair:pledge_prepare": (CLERK_WORK, True),
    "repair:pledge_sign": (CLERK_WORK, True),
    "repair:act": (SUPERVISOR_WORK, True),
    "reporting:dashboard": (READ, False),
    "reporting:batches": (READ, False),
    "reporting:build": (SUPERVISOR_WORK, False),
    "reporting:batch": (READ, False),
    "reporting:batch_progress": (READ, False),
    "reporting:batch_action": (SUPERVISOR_WORK, False),
    "reporting:batch_file": (SUPERVISOR_WORK, False),
    "reporting:batch_return": (SUPERVISOR_WORK, False),
    "reporting:notices": (READ, False),
    "reporting:notices_print": (CLERK_WORK, False),
    "reporting:notice_new": (CLERK_WORK, True),
    "reporting:notice": (READ, True),
    "reporting:notice_pdf": (READ, True),
    "reporting:notice_given": (CLERK_WORK, True),
    "reporting:work_checks": (READ, False),
    "reporting:work_check_new": (CLERK_WORK, True),
    "reporting:work_check": (READ, True),
    "reporting:work_check_attachment": (READ, True),
    "reporting:work_check_event": (CLERK_WORK, True),
    "reporting:work_cases": (READ, False),
    "reporting:work_case_new": (CLERK_WORK, False),
    "reporting:work_cases_pdf": (READ, False),
    "reporting:work_case": (READ, True),
    "reporting:work_case_edit": (CLERK_WORK, True),
    "reporting:work_case_pdf": (READ, True),
    "reporting:work_case_action": (SUPERVISOR_WORK, True),
    "reporting:work_publicity": (READ, False),
    "reporting:work_publicity_new": (CLERK_WORK, False),
    "reporting:work_publicity_item": (READ, True),
    "reporting:work_publicity_file": (READ, True),
    "reporting:work_tracker": (READ, False),
    "reporting:work_tracker_progress": (READ, False),
    "reporting:work_tracker_summary": (READ, False),
    "reporting:work_tracker_report": (READ, True),
    "reporting:work_tracker_submit": (CLERK_WORK, True),
    "reporting:work_tracker_comment": (READ, True),  # the 客户服务中心 only (SERVICE_CENTER_ONLY)
    "reporting:work_monthly": (READ, False),
    "reporting:work_monthly_pdf": (READ, False),
}
# Open to anyone (sign-in) or to any signed-in user (sign-out, one's own password), Django's admin (its
# own is_staff check) and the language switch.
EXEMPT = {"login", "logout", "password_change", "password_change_done", "set_language"}

PERSONAS = ["anonymous", "no_role", "reader", "clerk_city", "clerk_county", "supervisor", "superuser"]
# What each persona may do and which companies it belongs to.
MAY = {
    "no_role": set(),
    "reader": {READ},  # the admin group without superuser: reads, does no clerk work
    "clerk_city": {READ, CLERK_WORK},
    "clerk_county": {READ, CLERK_WORK},
    "supervisor": {READ, CLERK_WORK, SUPERVISOR_WORK},
    "superuser": {READ, CLERK_WORK, SUPERVISOR_WORK},
}
COMPANIES = {
    "no_role": {"city"},
    "reader": {"city"},
    "clerk_city": {"city"},
    "clerk_county": {"county"},
    "supervisor": {"city", "county"},
    "superuser": {"city", "county"},
}


def url_names(resolver=None, namespace: str = "") -> set[str]:
    """Every named pattern of the URLconf, outside the admin."""
    names = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names |= url_names(entry, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            names.add(namespace + entry.name)
    return names


def views_by_name(resolver=None, namespace: str = "") -> dict:
    found = {}
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found.update(views_by_name(entry, inner))
        elif isinstance(entry, URLPattern) and entry.name:
            found[namespace + entry.name] = entry.callback
    return found


def test_the_table_covers_every_url():
    assert url_names() - EXEMPT == set(ACCESS), "every URL needs a row in ACCESS (and role_required on its view)"


def test_every_view_declares_the_level_of_the_table():
    views = views_by_name()
    wrong = {
        name: getattr(views[name], "access_level", None)
        for name, (level, _scoped) in ACCESS.items()
        if getattr(views[name], "access_level", None) != level
    }
    assert wrong == {}


def make_world(supervisor, clerks) -> dict:
    """One of everything per company, so every URL has a real object to name."""
    today = timezone.localdate()
    now = timezone.now()
    world = {}
    run = RatingRun.objects.create(as_of=today - dt.timedelta(days=1), status=RatingRun.Status.SUCCEEDED)
    batch = Batch.objects.create(number="202611", period=dt.date(2026, 11, 1))
    for code in ("city", "county"):
        clerk = clerks[code]
        customer = factories.customer(code)
        event = factories.event(customer)
        pledge = signed_on(customer, clerk, today)
        req = lodge(customer, clerk, events=[event])
        override = set_override(customer, "yellow", "现场核查发现私接管道", None, supervisor)
        notice = Notice.objects.create(
            number=f"GZ-{code}",
            kind=NoticeKind.LEVEL,
            customer=customer,
            company=customer.company,
            customer_name=customer.name,
            uscc=customer.uscc,
            level="yellow",
            content="告知对象\n正文",
            created_by=clerk,
        )
        check = CreditCheck.objects.create(
            number=f"HC-{code}",
            customer=customer,
            checked_on=today,
            matter=CheckMatter.objects.first(),
            sources=["report"],
            result="dishonest",
            usage="supervise",
            note="失信记录",
            created_by=clerk,
        )
        case = CreditCase.objects.create(
            number=f"AL-{code}",
            company=customer.company,
            kind="graded",
            title="案例",
            occurred_on=today,
            actions="做法",
            effect="成效",
            created_by=clerk,
        )
        item = PublicityItem.objects.create(
            number=f"XC-{code}",
            company=customer.company,
            published_on=today,
            kind="update",
            channels=["website"],
            title="动态",
            text="内容",
            created_by=clerk,
        )
        unit = Unit.objects.get(company=customer.company)
        ProgressReport.objects.create(
            unit=unit,
            task=KeyTask.objects.get(number=5),
            month=today.replace(day=1),
            text="推进",
            reported_at=now,
            reported_by=clerk,
        )
        tracker_args = [f"{today:%Y-%m}", 5, unit.pk]
        pledge_batch = PledgeBatch.objects.create(company=customer.company, created_by=clerk)
        job = ImportJob.objects.create(kind="customers", file_name="customers.csv", user=clerk)
        account = customer.account_no
        world[code] = {
            "customers:detail": [account],
            "customers:history": [account],
            "customers:file_pdf": [account],
            "customers:event_create": [account],
            "customers:event_void": [account, event.pk],
            "customers:import_job": [job.pk],
            "customers:import_job_progress": [job.pk],
            "customers:import_job_errors": [job.pk],
            "pledges:detail": [pledge.pk],
            "pledges:pdf": [pledge.pk],
            "pledges:print": [pledge.pk],
            "pledges:scan": [pledge.pk],
            "pledges:sign": [pledge.pk],
            "pledges:fulfil": [pledge.pk],
            "pledges:revoke": [pledge.pk],
            "pledges:prepare": [account],
            "pledges:paper": [account],
            "pledges:batch": [pledge_batch.pk],
            "pledges:batch_progress": [pledge_batch.pk],
            "pledges:batch_download": [pledge_batch.pk],
            "ratings:override_set": [account],
            "ratings:override_revoke": [account, override.pk],
            "repair:lodge": [account],
            "repair:detail": [req.number],
            "repair:edit": [req.number],
            "repair:add_evidence": [req.number],
            "repair:evidence": [req.number, req.evidence.first().pk],
            "repair:letter": [req.number],
            "repair:pledge_prepare": [req.number],
            "repair:pledge_sign": [req.number],
            "repair:act": [req.number, "accept"],
            "reporting:notice_new": [account],
            "reporting:notice": [notice.number],
            "reporting:notice_pdf": [notice.number],
            "reporting:notice_given": [notice.number],
            "reporting:work_check_new": [account],
            "reporting:work_check": [check.number],
            "reporting:work_check_attachment": [check.number],
            "reporting:work_check_event": [check.number],
            "reporting:work_case": [case.number],
            "reporting:work_case_edit": [case.number],
            "reporting:work_case_pdf": [case.number],
            "reporting:work_case_action": [case.number, "review"],
            "reporting:work_publicity_item": [item.number],
            "reporting:work_publicity_file": [item.number, 1],
            "reporting:work_tracker_report": tracker_args,
            "reporting:work_tracker_submit": tracker_args,
            "reporting:work_tracker_comment": tracker_args,
        }
    world["any"] = {
        "customers:import_template": ["customers"],
        "ratings:run": [run.pk],
        "ratings:run_progress": [run.pk],
        "ratings:level": ["green"],
        "reporting:batch": [batch.number],
        "reporting:batch_progress": [batch.number],
        "reporting:batch_action": [batch.number, "submit"],
        "reporting:batch_file": [batch.number, "xlsx"],
        "reporting:batch_return": [batch.number],
    }
    return world


# Some answers of an allowed user depend on the object's state, not on access: these URLs may answer
# 404 to a user who may use them (the letter of a request not decided yet, a repair pledge not prepared,
# a batch PDF or workbook not generated, the error list of an import without errors).
STATE_404 = {
    "repair:letter",
    "repair:pledge_sign",
    "pledges:batch_download",
    "reporting:batch_file",
    "customers:import_job_errors",
    "reporting:work_check_attachment",  # a check without an attachment
    "reporting:work_publicity_file",  # an item without files
}


# READ-level URLs that only the 客户服务中心 (or a superuser) may use: every other staff role gets 403.
SERVICE_CENTER_ONLY = {"reporting:work_tracker_comment"}


def expected(persona: str, name: str, company: str | None) -> str:
    level, _scoped = ACCESS[name]
    if persona == "anonymous":
        return "login"
    if not MAY[persona]:
        return "403"
    if company is not None and company not in COMPANIES[persona]:
        return "404"
    if name in SERVICE_CENTER_ONLY and persona != "superuser":
        return "403"
    return "allowed" if level in MAY[persona] else "403"


def outcome(response) -> str:
    if response.status_code == 302 and response["Location"].startswith(reverse("login")):
        return "login"
    if response.status_code in (403, 404):
        return str(response.status_code)
    assert response.status_code < 500
    return "allowed"


CSP = "default-src 'self'"


def response_headers_wrong(response, persona: str) -> str:
    """Every answer carries the Content-Security-Policy (own origin only, nothing inline); every answer to a
    signed-in user `Cache-Control: private, no-store` (credit data never comes back from a cache)."""
    policy = response.get("Content-Security-Policy", "")
    if CSP not in policy or "script-src 'self'" not in policy or "unsafe" in policy:
        return f"Content-Security-Policy {policy!r}"
    if persona != "anonymous" and response.get("Cache-Control") != "private, no-store":
        return f"Cache-Control {response.get('Cache-Control')!r}"
    return ""


@pytest.fixture
def personas(db, clerk_city, clerk_county, supervisor):
    users = {"clerk_city": clerk_city, "clerk_county": clerk_county, "supervisor": supervisor}
    users["no_role"] = factories.user("no_role", roles=(), companies=("city",))
    users["reader"] = factories.user("reader", roles=("admin",), companies=("city",))
    users["superuser"] = User.objects.create_superuser("root", password="pw-root")
    return users


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_url_as_every_persona(client, personas, persona, eager_celery, settings):
    settings.LOGGING = {"version": 1}
    world = make_world(personas["supervisor"], {"city": personas["clerk_city"], "county": personas["clerk_county"]})
    if persona != "anonymous":
        client.force_login(personas[persona])
    own = sorted(COMPANIES.get(persona, {"city"}))[0]  # the company field of a form names one of the user's own
    post_data = {
        "pledges:batch_start": {"company": factories.company(own).pk},
        "pledges:batch_start_selected": {"company": factories.company(own).pk},
        "reporting:notices_print": {"company": own},
    }
    wrong = []
    for name, (_level, scoped) in sorted(ACCESS.items()):
        targets = [(code, world[code][name]) for code in ("city", "county")] if scoped else [(None, [])]
        for company, args in targets:
            args = args or world["any"].get(name, [])
            url = reverse(name, args=args)
            want = expected(persona, name, company)
            for method in ("get", "post"):
                response = getattr(client, method)(url, post_data.get(name, {}))
                got = outcome(response)
                headers = response_headers_wrong(response, persona)
                if headers:
                    wrong.append(f"{method.upper()} {url}: {headers}")
                if got == "404" and want == "allowed" and name in STATE_404:
                    got = "allowed"
                if got != want:
                    wrong.append(f"{method.upper()} {url} ({company or '-'}): {got}, expected {want}")
    assert wrong == []


def test_the_refusal_says_why_in_chinese(login, personas, city_customer):
    client = login(personas["no_role"])
    response = client.get(reverse("customers:detail", args=[city_customer.account_no]))
    assert response.status_code == 403
    assert "您的账号尚未分配角色" in response.content.decode()
    client = login(personas["reader"])
    response = client.post(reverse("customers:event_create", args=[city_customer.account_no]), {})
    assert response.status_code == 403
    assert "只有客服专员或审核主管可以执行此操作" in response.content.decode()


def test_taking_a_clerk_out_of_the_group_takes_the_work_away(login, clerk_city, city_customer):
    from customers.models import Event

    url = reverse("customers:event_create", args=[city_customer.account_no])
    data = {"type": "contract_violation", "occurred_on": (timezone.localdate() - dt.timedelta(days=1)).isoformat()}
    clerk_city.groups.clear()
    client = login(clerk_city)
    assert client.post(url, data).status_code == 403
    assert not Event.objects.filter(customer=city_customer).exists()


def test_a_reader_is_offered_no_clerk_work_and_a_clerk_is(client, personas, eager_celery):
    """The buttons follow the roles: a user who may only read sees none that would answer 403."""
    customer = factories.customer("city")
    event = factories.event(customer)
    req = lodge(customer, personas["clerk_city"], events=[event])
    from pledges import services as pledge_services

    other = factories.customer("city")
    pledge = pledge_services.prepare_pledge(other, user=personas["clerk_city"])
    pages = {
        reverse("customers:detail", args=[customer.account_no]): ["record-event", "lodge-repair", "prepare-pledge"],
        reverse("pledges:detail", args=[pledge.pk]): ["print-form"],
        reverse("pledges:list"): ["bulk-sign-link"],
        reverse("repair:detail", args=[req.number]): ["edit-link", "evidence-form", "pledge-prepare"],
    }
    import_link = f'href="{reverse("customers:import")}"'
    for persona, offered in (("reader", False), ("clerk_city", True)):
        client.force_login(personas[persona])
        for url, testids in pages.items():
            html = client.get(url).content.decode()
            for testid in testids:
                assert (f'data-testid="{testid}"' in html) is offered, (persona, url, testid)
            assert (import_link in html) is offered, (persona, url, "导入数据")
