"""The demo fills every tab of 信用工作: a clerk who signs in after `make run` finds checks, a reported case,
a publicity item and last month's progress reports of their company, and not the other company's."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from reporting.models_cases import CreditCase
from reporting.models_checks import CreditCheck
from reporting.models_publicity import PublicityItem
from reporting.models_tracker import ProgressReport

pytestmark = pytest.mark.django_db


def test_the_demo_shows_the_credit_work_of_each_company(client):
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert CreditCheck.objects.filter(customer__company__code="city").count() == 4
    assert CreditCheck.objects.filter(result="dishonest").count() == 2  # one per company, to turn into an event
    assert set(CreditCase.objects.values_list("status", flat=True)) == {"reported"}
    assert ProgressReport.objects.filter(unit__company__code="county").exists()

    client.force_login(User.objects.get(username="clerk_city"))
    city_check = CreditCheck.objects.filter(customer__company__code="city").first()
    county_check = CreditCheck.objects.filter(customer__company__code="county").first()
    checks = client.get(reverse("reporting:work_checks")).content.decode()
    assert city_check.number in checks and county_check.number not in checks
    assert "有失信记录" in checks

    city_case = CreditCase.objects.get(company__code="city")
    cases = client.get(reverse("reporting:work_cases")).content.decode()
    assert city_case.number in cases and "已上报" in cases
    item = PublicityItem.objects.get(company__code="city")
    assert item.title in client.get(reverse("reporting:work_publicity")).content.decode()

    # Seeding again adds nothing.
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert CreditCheck.objects.count() == 8 and CreditCase.objects.count() == 2
