"""A pledge signed before it was made (issue 10, item 5).

A pledge generated in the system cannot be signed before the date it was generated; an old paper
pledge is entered by its own path, 登记纸质承诺书, which marks it 纸质补录.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from customers.models import AuditEntry
from customers.services import TransitionError, record_event
from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeNumberCounter, PledgeSource, PledgeState
from tests import factories
from tests.pledge_support import at, printed_on, scan

pytestmark = pytest.mark.django_db

OLD = dt.date(2025, 6, 18)


def paper(customer, user, day=OLD, **kw) -> Pledge:
    return services.register_paper_pledge(
        customer, signed_on=day, received_by=kw.pop("received_by", user), scan=kw.pop("scan", scan()), user=user, **kw
    )


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


# --- signing a generated pledge --------------------------------------------------------------


def test_a_pledge_generated_on_12_03_cannot_be_signed_on_12_02(city_customer, clerk_city):
    pledge = printed_on(city_customer, clerk_city, dt.date(2026, 12, 3))
    with at(dt.date(2026, 12, 3), hour=15), pytest.raises(ValidationError) as info:
        services.sign_pledge(
            pledge, signed_on=dt.date(2026, 12, 2), received_by=clerk_city, scan=scan(), user=clerk_city
        )
    message = " ".join(info.value.message_dict["signed_on"])
    assert "2026-12-02" in message and "2026-12-03" in message and "早于承诺书的生成日期" in message
    assert "登记纸质承诺书" in message
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PRINTED and pledge.number is None and not pledge.scan
    assert not PledgeNumberCounter.objects.filter(day=dt.date(2026, 12, 2)).exists()  # no number used
    assert not AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), note="登记签署").exists()


def test_the_generation_date_is_the_local_date(city_customer, clerk_city):
    """Generated at 00:30 Beijing time on 12-03 (16:30 UTC on 12-02): 12-02 is still refused, 12-03 accepted."""
    with time_at(dt.datetime(2026, 12, 3, 0, 30)):
        pledge = services.prepare_pledge(city_customer, user=clerk_city)
        services.mark_printed([pledge])
    with time_at(dt.datetime(2026, 12, 3, 9, 0)):
        with pytest.raises(ValidationError, match="2026-12-02"):
            services.sign_pledge(
                pledge, signed_on=dt.date(2026, 12, 2), received_by=clerk_city, scan=scan(), user=clerk_city
            )
        signed = services.sign_pledge(
            pledge, signed_on=dt.date(2026, 12, 3), received_by=clerk_city, scan=scan(), user=clerk_city
        )
    assert signed.number == "42130020261203000001" and signed.source == PledgeSource.SYSTEM


def time_at(moment: dt.datetime):
    import time_machine

    return time_machine.travel(moment.replace(tzinfo=dt.timezone(dt.timedelta(hours=8))), tick=False)


def test_the_sign_page_names_the_field_and_writes_nothing(login, clerk_city, city_customer, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    pledge = printed_on(city_customer, clerk_city)
    made = timezone.localdate(pledge.created_at)
    before = made - dt.timedelta(days=1)
    client = login(clerk_city)
    response = client.post(
        reverse("pledges:sign", args=[pledge.pk]),
        {
            "signed_on": before.isoformat(),
            "received_by": clerk_city.pk,
            "scan": ContentFile(tiny_scan_pdf(), name="s.pdf"),
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.errors) == ["signed_on"]
    message = form.errors["signed_on"][0]
    assert before.isoformat() in message and made.isoformat() in message and "登记纸质承诺书" in message
    assert message in response.content.decode()
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PRINTED and pledge.number is None
    assert not PledgeNumberCounter.objects.exists() and stored_files(tmp_path) == []


# --- 登记纸质承诺书 ----------------------------------------------------------------------------


def test_a_paper_pledge_is_signed_with_the_old_dates_number_scan_mark_and_audit(city_customer, clerk_city):
    data = tiny_scan_pdf("paper pledge")
    pledge = paper(city_customer, clerk_city, scan=ContentFile(data, name="old.pdf"))
    assert pledge.state == PledgeState.SIGNED and pledge.is_paper and pledge.get_source_display() == "纸质补录"
    assert pledge.signed_on == OLD and pledge.number == "42130020250618000001"
    assert pledge.printed_at is None and pledge.received_by == clerk_city
    assert pledge.template == services.current_template("voluntary") and city_customer.name in pledge.content
    with pledge.scan.open("rb") as fh:
        assert fh.read() == data
    entry = AuditEntry.objects.get(model="pledge", object_id=str(pledge.pk))
    assert entry.action == AuditEntry.CREATE and entry.user == clerk_city and entry.customer_id == city_customer.pk
    assert entry.after["source"] == "paper" and entry.after["state"] == "signed" and "纸质补录" in entry.note
    # the next paper pledge of that day takes the next serial
    other = paper(factories.customer("city"), clerk_city)
    assert other.number == "42130020250618000002"


def test_a_chosen_template_version_is_used(city_customer, clerk_city, supervisor):
    first = services.current_template("voluntary")
    services.publish_template(
        kind="voluntary",
        user=supervisor,
        title=first.title,
        intro=first.intro,
        preamble=first.preamble,
        clauses=[*first.clauses, "五、新增条款。"],
        consequences_index=first.consequences_index,
    )
    pledge = paper(city_customer, clerk_city, template=first)
    assert pledge.template == first and pledge.clauses == first.clauses


def test_refused_when_the_customer_already_has_an_active_voluntary_pledge(city_customer, clerk_city, supervisor):
    existing = services.prepare_pledge(city_customer, user=clerk_city)
    with pytest.raises(TransitionError) as info:
        paper(city_customer, clerk_city)
    assert existing.display_number in str(info.value) and "只能有一份未撤销的主动型承诺书" in str(info.value)
    assert Pledge.objects.filter(customer=city_customer).count() == 1
    assert not PledgeNumberCounter.objects.exists()
    services.revoke_pledge(existing, reason="客户交来的是早先签署的纸质承诺书", user=supervisor)
    assert paper(city_customer, clerk_city).is_paper  # once revoked, the paper one can be entered


@pytest.mark.parametrize(
    "day, message",
    [
        ("tomorrow", "晚于今天"),  # worked out when the test runs, not when it is collected
        (dt.date(2018, 12, 31), "早于客户立户日期 2019-01-01"),
    ],
)
def test_refused_for_a_future_date_or_before_opening(city_customer, clerk_city, tmp_path, settings, day, message):
    if day == "tomorrow":
        day = timezone.localdate() + dt.timedelta(days=1)
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as info:
        paper(city_customer, clerk_city, day=day)
    assert message in " ".join(info.value.message_dict["signed_on"])
    assert not Pledge.objects.exists() and not PledgeNumberCounter.objects.exists()
    assert stored_files(tmp_path) == []


def test_refused_for_a_bad_scan_and_nothing_is_stored(city_customer, clerk_city, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    with pytest.raises(ValidationError) as info:
        paper(city_customer, clerk_city, scan=ContentFile(b"<html>not a scan</html>", name="scan.pdf"))
    assert "scan" in info.value.message_dict
    assert not Pledge.objects.exists() and not PledgeNumberCounter.objects.exists()
    assert not AuditEntry.objects.filter(model="pledge").exists()
    assert stored_files(tmp_path) == []


def test_a_paper_pledge_is_breached_by_events_after_its_signing_date(city_customer, clerk_city):
    record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2025, 6, 1))
    pledge = paper(city_customer, clerk_city)
    assert pledge.state == PledgeState.SIGNED  # an event before the signing does not breach it
    later = record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2025, 9, 1))
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.BREACHED and pledge.breach_event_id == later.pk
    assert pledge.breached_on == dt.date(2025, 9, 1)


def test_events_already_recorded_breach_it_when_it_is_entered(city_customer, clerk_city):
    event = record_event(city_customer, user=clerk_city, type="contract_violation", occurred_on=dt.date(2025, 9, 1))
    pledge = paper(city_customer, clerk_city)
    assert pledge.state == PledgeState.BREACHED and pledge.breach_event_id == event.pk


# --- the pages --------------------------------------------------------------------------------


def test_the_card_links_to_the_paper_page_only_while_one_can_be_entered(login, clerk_city, city_customer):
    client = login(clerk_city)
    file_url = reverse("customers:detail", args=[city_customer.account_no])
    paper_url = reverse("pledges:paper", args=[city_customer.account_no])
    html = client.get(file_url).content.decode()
    assert paper_url in html and "登记纸质承诺书" in html
    pledge = paper(city_customer, clerk_city)
    html = client.get(file_url).content.decode()
    assert paper_url not in html
    assert reverse("pledges:detail", args=[pledge.pk]) in html and 'data-testid="paper-badge"' in html
    response = client.get(paper_url, follow=True)
    assert "只能有一份未撤销的主动型承诺书" in response.content.decode()


def test_the_paper_page_registers_and_every_page_shows_the_mark(login, clerk_city, city_customer, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client = login(clerk_city)
    url = reverse("pledges:paper", args=[city_customer.account_no])
    page = client.get(url)
    assert page.status_code == 200 and "纸质补录" in page.content.decode()
    form = page.context["form"]
    assert form.fields["template"].initial == services.current_template("voluntary").pk
    response = client.post(
        url,
        {
            "signed_on": OLD.isoformat(),
            "received_by": clerk_city.pk,
            "template": services.current_template("voluntary").pk,
            "scan": ContentFile(tiny_scan_pdf(), name="old.pdf"),
        },
        follow=True,
    )
    pledge = Pledge.objects.get(customer=city_customer)
    assert response.redirect_chain[-1][0] == reverse("pledges:detail", args=[pledge.pk])
    html = response.content.decode()
    assert pledge.number == "42130020250618000001" and pledge.number in html
    assert 'data-testid="paper-badge"' in html and "纸质补录" in html
    assert "登记纸质承诺书（纸质补录）" in html  # the history
    assert len(stored_files(tmp_path)) == 1
    listing = client.get(reverse("pledges:list")).content.decode()
    assert 'data-testid="paper-badge"' in listing
    filtered = client.get(reverse("pledges:list"), {"source": "paper"})
    assert [p.pk for p in filtered.context["table"].data] == [pledge.pk]


def test_the_paper_page_names_a_bad_date_and_a_bad_scan(login, clerk_city, city_customer, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    client = login(clerk_city)
    response = client.post(
        reverse("pledges:paper", args=[city_customer.account_no]),
        {
            "signed_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat(),
            "received_by": clerk_city.pk,
            "template": services.current_template("voluntary").pk,
            "scan": ContentFile(b"GIF89a not allowed", name="x.pdf"),
        },
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"signed_on", "scan"}
    assert not Pledge.objects.exists() and stored_files(tmp_path) == []


def test_a_clerk_of_another_company_gets_404(login, clerk_county, city_customer):
    client = login(clerk_county)
    url = reverse("pledges:paper", args=[city_customer.account_no])
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        {
            "signed_on": OLD.isoformat(),
            "received_by": clerk_county.pk,
            "scan": ContentFile(tiny_scan_pdf(), name="old.pdf"),
        },
    )
    assert response.status_code == 404 and not Pledge.objects.exists()
