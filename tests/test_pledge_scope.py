"""Scope and roles: a clerk of the other company cannot see, print, sign or download a pledge (404);
only supervisors fulfil or revoke (403 for a clerk)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from pledges import services
from pledges.batches import start_batch
from pledges.demo import tiny_scan_pdf
from pledges.models import Pledge, PledgeBatch, PledgeState
from tests.pledge_support import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def city_pledge(city_customer, clerk_city) -> Pledge:
    with at(dt.date(2026, 3, 2)):  # generated and printed on the day it is signed
        p = services.prepare_pledge(city_customer, user=clerk_city)
        services.mark_printed([p])
    return services.sign_pledge(
        p,
        signed_on=dt.date(2026, 3, 2),
        received_by=clerk_city,
        scan=ContentFile(tiny_scan_pdf(), "s.pdf"),
        user=clerk_city,
    )


@pytest.mark.parametrize("name", ["detail", "pdf", "scan", "sign", "fulfil", "revoke"])
def test_clerk_of_other_company_gets_404(login, clerk_county, city_pledge, name):
    response = login(clerk_county).get(reverse(f"pledges:{name}", args=[city_pledge.pk]))
    assert response.status_code in (404, 403)
    if name not in ("fulfil", "revoke"):
        assert response.status_code == 404


def test_clerk_of_other_company_cannot_print_or_sign(login, clerk_county, clerk_city, city_customer):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    client = login(clerk_county)
    assert client.post(reverse("pledges:print", args=[pledge.pk])).status_code == 404
    assert client.post(reverse("pledges:prepare", args=[city_customer.account_no])).status_code == 404
    services.mark_printed([pledge])
    response = client.post(
        reverse("pledges:sign", args=[pledge.pk]),
        {"signed_on": "2026-03-02", "received_by": clerk_county.pk, "scan": ContentFile(tiny_scan_pdf(), "s.pdf")},
    )
    assert response.status_code == 404
    pledge.refresh_from_db()
    assert pledge.state == PledgeState.PRINTED


def test_pledge_list_shows_only_own_company(login, clerk_county, clerk_city, city_customer, county_customer):
    city = services.prepare_pledge(city_customer, user=clerk_city)
    county = services.prepare_pledge(county_customer, user=clerk_county)
    html = login(clerk_county).get(reverse("pledges:list")).content.decode()
    assert county_customer.name in html and city_customer.name not in html
    assert reverse("pledges:detail", args=[county.pk]) in html
    assert reverse("pledges:detail", args=[city.pk]) not in html


@pytest.mark.parametrize("name", ["fulfil", "revoke"])
def test_clerk_cannot_fulfil_or_revoke_own_company_pledge(login, clerk_city, city_pledge, name):
    client = login(clerk_city)
    assert client.get(reverse(f"pledges:{name}", args=[city_pledge.pk])).status_code == 403
    assert (
        client.post(reverse(f"pledges:{name}", args=[city_pledge.pk]), {"on": "2026-03-05", "reason": "x"}).status_code
        == 403
    )
    city_pledge.refresh_from_db()
    assert city_pledge.state == PledgeState.SIGNED


def test_supervisor_fulfils_and_revokes_through_the_pages(login, supervisor, city_pledge, city_customer, clerk_city):
    client = login(supervisor)
    page = client.get(reverse("pledges:detail", args=[city_pledge.pk])).content.decode()
    assert reverse("pledges:fulfil", args=[city_pledge.pk]) in page
    response = client.post(reverse("pledges:fulfil", args=[city_pledge.pk]), {"on": "2026-03-01"})
    assert "早于签署日期" in response.content.decode()
    response = client.post(reverse("pledges:fulfil", args=[city_pledge.pk]), {"on": "2026-03-05"})
    assert response.status_code == 302
    city_pledge.refresh_from_db()
    assert city_pledge.state == PledgeState.FULFILLED
    response = client.post(reverse("pledges:revoke", args=[city_pledge.pk]), {"reason": ""})
    assert "必须填写撤销原因" in response.content.decode()
    client.post(reverse("pledges:revoke", args=[city_pledge.pk]), {"reason": "企业注销"})
    city_pledge.refresh_from_db()
    assert city_pledge.state == PledgeState.REVOKED


def test_clerk_page_offers_no_supervisor_actions(login, clerk_city, city_pledge):
    page = login(clerk_city).get(reverse("pledges:detail", args=[city_pledge.pk])).content.decode()
    assert reverse("pledges:fulfil", args=[city_pledge.pk]) not in page
    assert reverse("pledges:revoke", args=[city_pledge.pk]) not in page
    assert city_pledge.number in page


def test_batch_of_other_company_is_404(
    login, clerk_city, clerk_county, city_customer, eager_celery, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    batch = start_batch(city_customer.company, user=clerk_city)
    client = login(clerk_county)
    for name in ("batch", "batch_progress", "batch_download"):
        assert client.get(reverse(f"pledges:{name}", args=[batch.pk])).status_code == 404
    response = client.post(reverse("pledges:batch_start"), {"company": city_customer.company_id})
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, city_pledge):
    response = client.get(reverse("pledges:detail", args=[city_pledge.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_scan_is_not_reachable_as_a_media_url(client, login, clerk_county, city_pledge):
    url = "/media/" + city_pledge.scan.name
    assert client.get(url).status_code == 404
    assert login(clerk_county).get(url).status_code == 404


@pytest.mark.parametrize("company", ["abc", "", "1.5", "99999999999999999999"])
def test_batch_start_with_a_forged_company_is_404_and_starts_nothing(login, clerk_city, company):
    response = login(clerk_city).post(reverse("pledges:batch_start"), {"company": company})
    assert response.status_code == 404
    assert not PledgeBatch.objects.exists()
