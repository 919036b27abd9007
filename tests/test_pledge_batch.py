"""Batch printing: every customer of a company without a signed pledge in ONE PDF, one pledge per
page, built by a real Celery worker (through Redis when REDIS_URL is set), with progress."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.urls import reverse
from pypdf import PdfReader

from customers.models import AuditEntry, Company, Customer
from pledges import batches, services
from pledges.models import Pledge, PledgeBatch, PledgeState
from tests import factories


def _customers(company: Company, n: int) -> list[Customer]:
    start = Customer.objects.count()
    return Customer.objects.bulk_create(
        [
            Customer(
                account_no=f"B{start + i:07d}",
                name=f"随州批量测试{i}号有限公司",
                uscc=factories.uscc(),
                company=company,
                opened_on=dt.date(2020, 1, 1),
                payment_mode=Customer.POSTPAID,
            )
            for i in range(n)
        ]
    )


def _wait(batch_id: int, timeout: float = 240) -> PledgeBatch:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch = PledgeBatch.objects.get(pk=batch_id)
        if batch.finished:
            return batch
        time.sleep(0.5)
    raise AssertionError(f"batch {batch_id} did not finish: {PledgeBatch.objects.get(pk=batch_id).status}")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_batch_of_200_pledges_is_one_pdf_built_by_a_worker(celery_worker_or_eager, client):
    from tests import factories as f

    clerk = f.user("clerk_batch", roles=("clerk",), companies=("city",))
    city = Company.objects.get(code="city")
    customers = _customers(city, 200)
    # one of them already has a prepared pledge: it is reused, not duplicated
    existing = services.prepare_pledge(customers[0], user=clerk)
    # a customer of the other company is not in the city batch
    _customers(Company.objects.get(code="county"), 1)

    client.force_login(clerk)
    response = client.post(reverse("pledges:batch_start"), {"company": city.pk})
    assert response.status_code == 302
    batch = PledgeBatch.objects.get()
    assert response["Location"] == reverse("pledges:batch", args=[batch.pk])
    batch = _wait(batch.pk)
    assert batch.status == PledgeBatch.Status.SUCCEEDED, batch.error
    assert (batch.done, batch.total) == (200, 200)

    progress = client.get(reverse("pledges:batch_progress", args=[batch.pk])).json()
    assert progress["done"] == 200 and progress["total"] == 200 and progress["download"]
    page = client.get(reverse("pledges:batch", args=[batch.pk])).content.decode()
    assert "已生成 200 / 200 份" in page and reverse("pledges:batch_download", args=[batch.pk]) in page

    download = client.get(reverse("pledges:batch_download", args=[batch.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(b"".join(download.streaming_content)))
    assert len(reader.pages) == 200
    ordered = sorted(customers, key=lambda c: c.account_no)
    for index in (0, 99, 199):
        text = "".join(reader.pages[index].extract_text().split())
        assert ordered[index].name in text and ordered[index].uscc in text

    pledges = Pledge.objects.filter(company=city)
    assert pledges.count() == 200 and pledges.filter(pk=existing.pk).exists()
    assert set(pledges.values_list("state", flat=True)) == {PledgeState.PRINTED}
    assert batches.customers_without_pledge(city).count() == 200  # printed, not yet signed


@pytest.mark.django_db
def test_nothing_to_print_is_refused_with_a_message(login, clerk_city, eager_celery):
    for c in Customer.objects.filter(company__code="city"):
        c.delete()
    response = login(clerk_city).post(
        reverse("pledges:batch_start"), {"company": Company.objects.get(code="city").pk}, follow=True
    )
    assert "没有需要打印的" in response.content.decode()
    assert not PledgeBatch.objects.exists()


@pytest.mark.django_db
def test_a_failing_batch_is_marked_failed_with_the_error(
    clerk_city, city_customer, monkeypatch, django_capture_on_commit_callbacks, login
):
    def boom(*args, **kwargs):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(batches.pdf, "render_document", boom)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        batch = batches.start_batch(city_customer.company, user=clerk_city)
    assert len(queued) == 1  # the task is queued only once the batch row is committed
    with pytest.raises(RuntimeError):
        batches.run_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == PledgeBatch.Status.FAILED and "系统日志" in batch.error
    assert "renderer exploded" not in batch.error and "renderer exploded" in batch.error_detail
    failed = AuditEntry.objects.filter(model="pledgebatch", object_id=str(batch.pk)).latest("id")
    assert failed.after["status"] == "failed" and "系统日志" in failed.note
    assert Pledge.objects.get(customer=city_customer).state == PledgeState.PREPARED  # not marked printed
    page = login(clerk_city).get(reverse("pledges:batch", args=[batch.pk])).content.decode()
    assert "生成失败" in page and "系统日志" in page
    assert "renderer exploded" not in page and "Traceback" not in page  # the clerk reads no traceback
    assert batches.run_batch(batch.pk) is None  # a finished batch is not run again


@pytest.mark.django_db
def test_a_large_company_is_printed_batch_after_batch(clerk_city, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(batches, "MAX_BATCH", 3)
    city = Company.objects.get(code="city")
    customers = sorted(_customers(city, 5), key=lambda c: c.account_no)
    with django_capture_on_commit_callbacks(execute=False):
        first = batches.start_batch(city, user=clerk_city)
    assert first.total == 3
    batches.run_batch(first.pk)
    first.refresh_from_db()
    assert first.done == 3
    assert sorted(p.customer_id for p in first.pledges.all()) == [c.pk for c in customers[:3]]
    with django_capture_on_commit_callbacks(execute=False):
        second = batches.start_batch(city, user=clerk_city)
    batches.run_batch(second.pk)
    second.refresh_from_db()
    # the two never printed come first, then the oldest printed one fills the batch
    assert [p.customer_id for p in second.pledges.order_by("customer__account_no")] == [
        customers[0].pk,
        customers[3].pk,
        customers[4].pk,
    ]


@pytest.mark.django_db
def test_download_before_the_batch_finishes_sends_back_to_its_progress(login, clerk_city, city_customer):
    batch = PledgeBatch.objects.create(company=city_customer.company, total=3, created_by=clerk_city)
    client = login(clerk_city)
    response = client.get(reverse("pledges:batch_download", args=[batch.pk]))
    assert response.status_code == 302 and response["Location"] == reverse("pledges:batch", args=[batch.pk])
    page = client.get(response["Location"]).content.decode()
    assert "批量打印尚未完成" in page


@pytest.mark.django_db
def test_a_second_company_batch_is_refused_while_one_is_pending(
    login, clerk_city, city_customer, django_capture_on_commit_callbacks
):
    client = login(clerk_city)
    url = reverse("pledges:batch_start")
    with django_capture_on_commit_callbacks(execute=False):
        first = client.post(url, {"company": city_customer.company_id})
        second = client.post(url, {"company": city_customer.company_id}, follow=True)  # a double click
    assert PledgeBatch.objects.count() == 1
    assert first["Location"] == PledgeBatch.objects.get().get_absolute_url()
    assert "正在生成" in second.content.decode()
    assert second.redirect_chain[-1][0] == PledgeBatch.objects.get().get_absolute_url()


@pytest.mark.django_db
def test_a_batch_stuck_for_hours_does_not_block_the_next_one(login, clerk_city, city_customer):
    stuck = PledgeBatch.objects.create(company=city_customer.company, total=1, status=PledgeBatch.Status.RUNNING)
    PledgeBatch.objects.filter(pk=stuck.pk).update(created_at=stuck.created_at - dt.timedelta(hours=3))
    response = login(clerk_city).post(reverse("pledges:batch_start"), {"company": city_customer.company_id})
    newest = PledgeBatch.objects.exclude(pk=stuck.pk).get()
    assert response["Location"] == newest.get_absolute_url()


@pytest.mark.django_db
def test_a_pledge_revoked_while_its_batch_renders_does_not_fail_the_batch(
    clerk_city, supervisor, monkeypatch, django_capture_on_commit_callbacks
):
    city = Company.objects.get(code="city")
    first, second = sorted(_customers(city, 2), key=lambda c: c.account_no)
    render = batches.pdf.render_document

    def render_then_revoke(*args, **kwargs):
        document = render(*args, **kwargs)
        services.revoke_pledge(Pledge.objects.get(customer=first), reason="名称有误", user=supervisor)
        return document

    monkeypatch.setattr(batches.pdf, "render_document", render_then_revoke)
    with django_capture_on_commit_callbacks(execute=False):
        batch = batches.start_batch(city, user=clerk_city)
    batches.run_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == PledgeBatch.Status.SUCCEEDED, batch.error
    assert Pledge.objects.get(customer=first).state == PledgeState.REVOKED
    assert Pledge.objects.get(customer=second).state == PledgeState.PRINTED


@pytest.mark.django_db
def test_a_pledge_prepared_on_a_page_while_the_batch_prepares_is_printed_not_a_failure(
    clerk_city, monkeypatch, django_capture_on_commit_callbacks
):
    city = Company.objects.get(code="city")
    first, second = sorted(_customers(city, 2), key=lambda c: c.account_no)
    prepare = services.prepare_pledge
    by_clerk = []

    def clerk_was_quicker(customer, **kwargs):
        if customer.pk == first.pk and not by_clerk:
            by_clerk.append(prepare(customer, user=clerk_city))  # the credit file's button, a moment earlier
        return prepare(customer, **kwargs)

    monkeypatch.setattr(services, "prepare_pledge", clerk_was_quicker)
    with django_capture_on_commit_callbacks(execute=False):
        batch = batches.start_batch(city, user=clerk_city)
    batches.run_batch(batch.pk)
    batch.refresh_from_db()
    assert batch.status == PledgeBatch.Status.SUCCEEDED, batch.error
    assert batch.done == 2 and by_clerk[0] in batch.pledges.all()
    assert Pledge.objects.get(customer=first).state == PledgeState.PRINTED
    assert Pledge.objects.get(customer=second).state == PledgeState.PRINTED
