"""The pledge list: tick unsigned pledges of one company and 打印所选承诺书 makes one batch of them."""

from __future__ import annotations

from django.urls import reverse

from pledges import services
from pledges.models import PledgeBatch
from tests import factories
from tests.pledge_support import signed_on

LIST = reverse("pledges:list")
URL = reverse("pledges:batch_print_selected")


def _prepared(n, company="city", user=None):
    return [
        services.prepare_pledge(factories.customer(company, account_no=f"{company.upper()}{i:04d}"), user=user)
        for i in range(n)
    ]


def test_boxes_for_unsigned_pledges_and_the_button_for_clerks_only(login, clerk_city, supervisor, db):
    import datetime as dt

    a, b = _prepared(2, user=clerk_city)
    signed = signed_on(factories.customer("city"), clerk_city, dt.date.today())
    html = login(clerk_city).get(LIST).content.decode()
    assert f'name="pledge" value="{a.pk}"' in html and "打印所选承诺书" in html
    assert f'name="pledge" value="{signed.pk}"' not in html  # signed: nothing to print
    reader = factories.user("reader_x", roles=("admin",), companies=("city",))  # reads, does no clerk work
    response = login(reader).get(LIST)
    html = response.content.decode()
    assert response.status_code == 200 and f"{a.display_number}" in html
    assert 'name="pledge"' not in html and "打印所选承诺书" not in html


def test_ticked_pledges_become_one_batch(login, clerk_city, eager_celery, db):
    a, b, c = _prepared(3, user=clerk_city)
    response = login(clerk_city).post(URL, {"pledge": [a.pk, c.pk]})
    batch = PledgeBatch.objects.get()
    assert response["Location"] == reverse("pledges:batch", args=[batch.pk])
    assert sorted(batch.pledges.values_list("pk", flat=True)) == sorted([a.pk, c.pk])


def test_two_companies_or_a_foreign_pledge_print_nothing(login, clerk_city, supervisor, db):
    (a,) = _prepared(1, user=clerk_city)
    (x,) = _prepared(1, company="county", user=supervisor)
    html = login(supervisor).post(URL, {"pledge": [a.pk, x.pk]}, follow=True).content.decode()
    assert "批量打印只能包含同一公司的承诺书" in html
    html = login(clerk_city).post(URL, {"pledge": [a.pk, x.pk]}, follow=True).content.decode()
    assert "不存在或已签署、已撤销，未打印任何承诺书" in html  # the county pledge is not the clerk's
    html = login(clerk_city).post(URL, {}, follow=True).content.decode()
    assert "请先勾选要打印的承诺书" in html
    assert not PledgeBatch.objects.exists()
