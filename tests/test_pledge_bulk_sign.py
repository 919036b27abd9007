"""批量登记签署: many printed pledges signed in one submission, all or nothing, each through sign_pledge."""

from __future__ import annotations

import datetime as dt
import io
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from customers.models import AuditEntry
from pledges import bulk, services
from pledges.models import Pledge, PledgeState
from tests import factories
from tests.pledge_support import scan

pytestmark = pytest.mark.django_db

URL = "/pledges/bulk-sign/"


def pages_pdf(texts: list[str]) -> bytes:
    """A PDF with one page per text, the text printed on its page (WeasyPrint)."""
    from weasyprint import HTML

    body = "".join(f'<p style="page-break-after: always">{t}</p>' for t in texts)
    return HTML(string=f"<html><body>{body}</body></html>").write_pdf()


def printed(n: int, company: str = "city", user=None) -> list[Pledge]:
    """`n` printed pledges of new customers, in the page's order (account number)."""
    out = []
    for i in range(n):
        customer = factories.customer(company, account_no=f"{company[:2].upper()}B{i:05d}")
        pledge = services.prepare_pledge(customer, user=user)
        services.mark_printed([pledge], user=user)
        out.append(pledge)
    return list(bulk.print_order(Pledge.objects.filter(pk__in=[p.pk for p in out])))


def post(client, pledges, **data):
    payload = {"pledge": [str(p.pk) for p in pledges], "signed_on": timezone.localdate().isoformat()}
    payload.update(data)
    return client.post(URL, payload)


def test_twenty_pledges_signed_with_one_twenty_page_pdf_each_gets_its_page(client, login, clerk_city):
    pledges = printed(20, user=clerk_city)
    login(clerk_city)
    texts = [f"PAGE-{i:02d}-{p.internal_id}" for i, p in enumerate(pledges, 1)]
    upload = SimpleUploadedFile("scan.pdf", pages_pdf(texts), content_type="application/pdf")
    response = post(client, pledges, mode="pdf", scan_pdf=upload, received_by=str(clerk_city.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    numbers = []
    for pledge, text in zip(pledges, texts, strict=True):
        pledge.refresh_from_db()
        assert pledge.state == PledgeState.SIGNED
        assert pledge.received_by == clerk_city and pledge.signed_on == timezone.localdate()
        with pledge.scan.open("rb") as f:
            reader = PdfReader(io.BytesIO(f.read()))
        assert len(reader.pages) == 1
        assert text in reader.pages[0].extract_text()
        numbers.append(pledge.number)
        entries = AuditEntry.objects.filter(model="pledge", object_id=str(pledge.pk), note="登记签署")
        assert entries.count() == 1 and entries.get().user == clerk_city
    # 承诺编码s consecutive for the date, in the shown order
    serials = [int(n[-6:]) for n in numbers]
    assert serials == list(range(serials[0], serials[0] + 20))
    assert all(n[6:14] == f"{timezone.localdate():%Y%m%d}" for n in numbers)
    page = client.get(response["Location"]).content.decode()
    assert page.count('data-testid="done-row"') == 20 and "已签署" in page


def test_twenty_files_matched_by_name(client, login, clerk_city):
    pledges = printed(20, user=clerk_city)
    login(clerk_city)
    # half named by internal number, half by account number, in another order
    files = []
    for i, p in enumerate(reversed(pledges)):
        stem = p.internal_id if i % 2 else f"{p.customer.account_no}_签署件"
        files.append(SimpleUploadedFile(f"{stem}.pdf", pages_pdf([f"FILE-{p.internal_id}"]), "application/pdf"))
    response = post(client, pledges, mode="files", scan_files=files, received_by=str(clerk_city.pk))
    assert response.status_code == 302, response.content.decode()[:3000]
    for p in pledges:
        p.refresh_from_db()
        assert p.state == PledgeState.SIGNED
        with p.scan.open("rb") as f:
            assert f"FILE-P{p.pk:08d}" in PdfReader(io.BytesIO(f.read())).pages[0].extract_text()


def test_a_file_named_for_no_pledge_and_a_pledge_without_file_are_named(client, login, clerk_city):
    pledges = printed(3, user=clerk_city)
    login(clerk_city)
    files = [
        SimpleUploadedFile(f"{pledges[0].internal_id}.pdf", pages_pdf(["a"]), "application/pdf"),
        SimpleUploadedFile("随便.pdf", pages_pdf(["b"]), "application/pdf"),
    ]
    response = post(client, pledges, mode="files", scan_files=files, received_by=str(clerk_city.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "随便.pdf" in page and "无法对应到承诺书" in page
    assert page.count("没有文件对应本承诺书") == 4  # two rows, listed above and on the row
    assert not Pledge.objects.filter(state=PledgeState.SIGNED).exists()


def test_page_count_mismatch_is_refused_and_nothing_signed(client, login, clerk_city):
    pledges = printed(5, user=clerk_city)
    login(clerk_city)
    upload = SimpleUploadedFile("scan.pdf", pages_pdf(["1", "2", "3", "4"]), content_type="application/pdf")
    response = post(client, pledges, mode="pdf", scan_pdf=upload, received_by=str(clerk_city.pk))
    assert response.status_code == 400
    assert "扫描件共 4 页，所选承诺书 5 份" in response.content.decode()
    assert Pledge.objects.filter(state=PledgeState.PRINTED).count() == 5
    assert not AuditEntry.objects.filter(note="登记签署").exists()


def test_one_bad_date_among_many_signs_nothing_and_names_that_row(client, login, clerk_city, settings):
    pledges = printed(10, user=clerk_city)
    login(clerk_city)
    bad = pledges[6]
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    upload = SimpleUploadedFile("scan.pdf", pages_pdf([str(i) for i in range(10)]), content_type="application/pdf")
    response = post(
        client, pledges, mode="pdf", scan_pdf=upload, received_by=str(clerk_city.pk), **{f"date_{bad.pk}": yesterday}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert bad.internal_id in page and bad.customer.account_no in page
    assert "早于承诺书的生成日期" in page
    assert page.count('data-testid="row-error"') == 1
    assert not Pledge.objects.filter(state=PledgeState.SIGNED).exists()
    assert not AuditEntry.objects.filter(note="登记签署").exists()
    # the counter rolled back with the rest: the next signing still starts at 000001
    signed = services.sign_pledge(pledges[0], signed_on=timezone.localdate(), received_by=clerk_city, scan=scan())
    assert signed.number.endswith("000001")
    # and no scan was left behind for the rolled-back rows
    scans = list((settings.MEDIA_ROOT / "pledges" / "scans").rglob("*.pdf"))
    assert len(scans) == 1


def test_another_companys_pledge_is_refused_and_nothing_signed(client, login, clerk_city, clerk_county):
    ours = printed(2, user=clerk_city)
    theirs = printed(1, company="county", user=clerk_county)
    login(clerk_city)
    # never offered
    assert theirs[0].internal_id not in client.get(URL).content.decode()
    assert theirs[0].internal_id not in client.get(f"{URL}?company={theirs[0].company_id}").content.decode()
    upload = SimpleUploadedFile("scan.pdf", pages_pdf(["1", "2", "3"]), content_type="application/pdf")
    response = post(client, ours + theirs, mode="pdf", scan_pdf=upload, received_by=str(clerk_city.pk))
    assert response.status_code == 400
    page = response.content.decode()
    assert "承诺书不存在" in page
    assert theirs[0].customer.account_no not in page and theirs[0].customer_name not in page
    assert not Pledge.objects.filter(state=PledgeState.SIGNED).exists()


def test_a_double_submit_signs_once(client, login, clerk_city):
    pledges = printed(3, user=clerk_city)
    login(clerk_city)
    data = pages_pdf(["1", "2", "3"])
    first = post(client, pledges, mode="pdf", scan_pdf=SimpleUploadedFile("s.pdf", data, "application/pdf"))
    assert first.status_code == 302
    numbers = sorted(Pledge.objects.values_list("number", flat=True))
    second = post(client, pledges, mode="pdf", scan_pdf=SimpleUploadedFile("s.pdf", data, "application/pdf"))
    assert second.status_code == 302
    page = client.get(second["Location"]).content.decode()
    assert "3 份承诺书此前已登记签署，未重复登记" in page
    assert sorted(Pledge.objects.values_list("number", flat=True)) == numbers
    assert AuditEntry.objects.filter(note="登记签署").count() == 3


def test_received_by_defaults_to_the_clerk_and_page_lists_a_batchs_printed_pledges(client, login, clerk_city):
    pledges = printed(3, user=clerk_city)
    company = pledges[0].company
    from pledges.models import PledgeBatch

    batch = PledgeBatch.objects.create(company=company, total=2, status="succeeded")
    batch.pledges.set(pledges[:2])
    login(clerk_city)
    page = client.get(f"{URL}?batch={batch.pk}").content.decode()
    assert pledges[0].internal_id in page and pledges[1].internal_id in page and pledges[2].internal_id not in page
    assert f'value="{clerk_city.pk}" selected' in page
    assert f'value="{timezone.localdate():%Y-%m-%d}"' in page
    assert reverse("pledges:bulk_sign") in client.get("/pledges/").content.decode()


def test_signing_200_takes_seconds_not_minutes(clerk_city, capsys):
    pledges = printed(200, user=clerk_city)
    data = pages_pdf([f"P{i}" for i in range(200)])
    start = time.perf_counter()
    result = bulk.submit(
        Pledge.objects.all(),
        pledge_ids=[p.pk for p in pledges],
        default_day=timezone.localdate().isoformat(),
        row_days={},
        pdf=SimpleUploadedFile("s.pdf", data, "application/pdf"),
        received_by=clerk_city,
        user=clerk_city,
    )
    elapsed = time.perf_counter() - start
    assert len(result.signed) == 200
    with capsys.disabled():
        print(f"\nbulk-signing 200 pledges from one 200-page PDF: {elapsed:.1f} s")
    assert elapsed < 60
