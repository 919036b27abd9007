"""An administrator enters next year's holiday schedule in the admin and the deadlines follow at once;
repair requests are read-only there (they change only through the workflow)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from repair import services
from repair.models import RepairRequest, WorkdayOverride
from repair.workdays import add_working_days
from tests import factories
from tests.repair_support import lodge

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(login):
    return login(
        factories.user("root", roles=("admin",), companies=("city", "county"), is_staff=True, is_superuser=True)
    )


def test_admin_adds_a_holiday_and_a_make_up_day(admin_client):
    page = admin_client.get(reverse("admin:repair_workdayoverride_changelist"))
    assert "节假日库已包含 2004–2026 年" in page.content.decode()
    friday = dt.date(2027, 2, 5)
    assert add_working_days(friday, 1) == dt.date(2027, 2, 8)  # 2027 is not in the library: Monday
    url = reverse("admin:repair_workdayoverride_add")
    response = admin_client.post(url, {"date": "2027-02-08", "note": "2027年春节", "is_working_day": ""})
    assert response.status_code == 302
    response = admin_client.post(url, {"date": "2027-02-06", "note": "春节调休上班", "is_working_day": "on"})
    assert response.status_code == 302
    assert add_working_days(friday, 1) == dt.date(2027, 2, 6)  # the make-up Saturday
    assert add_working_days(friday, 2) == dt.date(2027, 2, 9)  # the holiday Monday skipped
    # the same date twice is refused with a message, not a 500
    response = admin_client.post(url, {"date": "2027-02-08", "note": "重复", "is_working_day": ""})
    assert response.status_code == 200 and WorkdayOverride.objects.count() == 2


def test_requests_are_read_only_in_the_admin(admin_client, clerk_city, supervisor, city_customer):
    req = lodge(city_customer, clerk_city, events=[factories.event(city_customer)])
    services.refuse(req.pk, user=supervisor, reason="不属于受理范围")
    change = reverse("admin:repair_repairrequest_change", args=[req.pk])
    assert admin_client.get(change).status_code == 200
    admin_client.post(change, {"status": "approved"})
    admin_client.post(reverse("admin:repair_repairrequest_delete", args=[req.pk]), {"post": "yes"})
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.REFUSED
    assert admin_client.get(reverse("admin:repair_repairrequest_add")).status_code == 403
