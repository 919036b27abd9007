"""The pledge PDF: A4, the Chinese font embedded, name, USCC and all five clauses in the text, the
template version and number in small print; a new template version leaves old pledges unchanged."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from pledges import services
from pledges.demo import tiny_scan_pdf
from pledges.models import PledgeKind, PledgeTemplate
from pledges.pdf import render_pdf
from tests.pledge_support import at

pytestmark = pytest.mark.django_db
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"

CLAUSES = [
    "一、提供给随州市水务集团有限公司的所有资料均合法、真实、有效,并对所提供资料的真实性负责;",
    "二、遵守国家法律、法规、规章和政策规定,开展生产经营活动,主动接受行业监管,自愿接受依法开展的日常用水检查;",
    "三、若发生违法失信、违约用水等行为,将依照有关法律、法规规章和政策规定接受处罚,并依法承担相应责任;",
    "四、自觉接受、行业组织、社会公众、新闻舆论的监督,积极履行社会责任;",
    "五、本《信用承诺书》同意向社会公开。",
]


def pdftotext(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "p.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True)
    return out.stdout.decode()


def flat(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(autouse=True)
def _poppler():
    if not shutil.which("pdftotext"):
        pytest.fail("poppler-utils (pdftotext, pdffonts, pdftoppm) is required: make install")


def test_pdf_text_has_name_uscc_and_all_five_clauses(city_customer, clerk_city, login, tmp_path):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    response = login(clerk_city).get(reverse("pledges:pdf", args=[pledge.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline")
    text = flat(pdftotext(response.content, tmp_path))
    assert "信用承诺书" in text
    assert city_customer.name in text and city_customer.uscc in text
    for clause in CLAUSES:
        assert flat(clause) in text
    for place in ("承诺单位（加盖公章）", "法定代表人签章：", "年", "月", "日"):
        assert place in text
    assert "模板第1版" in text and pledge.internal_id in text  # small print before signing


def test_fonts_are_embedded_and_the_page_renders(city_customer, clerk_city, tmp_path):
    pledge = services.prepare_pledge(city_customer, user=clerk_city)
    path = tmp_path / "pledge.pdf"
    path.write_bytes(render_pdf("pdf/pledge.html", {"pledges": [pledge]}))
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    rows = [line.split() for line in fonts.splitlines()[2:] if line.strip()]
    assert rows, fonts
    assert any("WenQuanYi" in row[0] for row in rows), fonts
    # columns: name type encoding emb sub uni ... ; every font embedded
    assert all(row[-5] == "yes" for row in rows), fonts
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"^Pages:\s+1$", info, re.M) and "(A4)" in info  # one A4 page
    # A PNG of the page for a person to look at (test-artifacts/pledge-page.png).
    ARTIFACTS.mkdir(exist_ok=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-singlefile", str(path), str(ARTIFACTS / "pledge-page")], check=True
    )
    assert (ARTIFACTS / "pledge-page.png").stat().st_size > 10_000


def test_signed_pdf_carries_the_number(city_customer, clerk_city, tmp_path):
    with at(dt.date(2026, 3, 2)):  # generated and printed on the day it is signed
        pledge = services.prepare_pledge(city_customer, user=clerk_city)
        services.mark_printed([pledge])
    pledge = services.sign_pledge(
        pledge,
        signed_on=dt.date(2026, 3, 2),
        received_by=clerk_city,
        scan=ContentFile(tiny_scan_pdf(), "s.pdf"),
        user=clerk_city,
    )
    text = flat(pdftotext(render_pdf("pdf/pledge.html", {"pledges": [pledge]}), tmp_path))
    assert "承诺编码42130020260302000001" in text


def test_new_template_version_leaves_old_pledges_text_and_pdf_unchanged(
    city_customer, clerk_city, supervisor, tmp_path
):
    old = services.prepare_pledge(city_customer, user=clerk_city)
    old_text = pdftotext(render_pdf("pdf/pledge.html", {"pledges": [old]}), tmp_path)
    v1 = PledgeTemplate.objects.get(kind=PledgeKind.VOLUNTARY, version=1)
    clauses = list(v1.clauses)
    clauses[3] = "四、自觉接受政府部门、行业组织、社会公众、新闻舆论的监督,积极履行社会责任;"
    v2 = services.publish_template(
        kind=PledgeKind.VOLUNTARY,
        user=supervisor,
        title=v1.title,
        intro=v1.intro,
        preamble=v1.preamble,
        clauses=clauses,
        consequences_index=3,
        reason=v1.reason,
        disclosure=v1.disclosure,
    )
    assert v2.version == 2
    old.refresh_from_db()
    assert old.template == v1 and "自觉接受、行业组织" in old.content and "政府部门" not in old.content
    assert pdftotext(render_pdf("pdf/pledge.html", {"pledges": [old]}), tmp_path) == old_text

    new = services.prepare_pledge(factories_customer(), user=clerk_city)
    assert new.template == v2 and "自觉接受政府部门、行业组织" in new.content
    assert "模板第2版" in flat(pdftotext(render_pdf("pdf/pledge.html", {"pledges": [new]}), tmp_path))


def factories_customer():
    from tests import factories

    return factories.customer("city")


def test_template_versions_cannot_be_edited_in_the_admin(admin_client):
    v1 = PledgeTemplate.objects.get(kind=PledgeKind.VOLUNTARY, version=1)
    response = admin_client.post(reverse("admin:pledges_pledgetemplate_change", args=[v1.pk]), {"title": "改过的标题"})
    assert response.status_code == 403
    v1.refresh_from_db()
    assert v1.title == "信用承诺书"
    assert (
        admin_client.post(reverse("admin:pledges_pledgetemplate_delete", args=[v1.pk]), {"post": "yes"}).status_code
        == 403
    )
    add = admin_client.get(reverse("admin:pledges_pledgetemplate_add") + "?kind=voluntary")
    assert add.status_code == 200
    assert "自觉接受、行业组织" in add.content.decode()  # pre-filled from the latest version


def test_a_pledge_with_the_longest_name_is_still_one_page_each(clerk_city, tmp_path):
    """A customer name of 200 characters (the most 承诺人名称 allows): each pledge still fits its own
    A4 page with the date line, so a batch stays one pledge a page."""
    from tests import factories

    name = ("随州市曾都区长名称测试<实业>&发展" * 12)[:200]
    pledge = services.prepare_pledge(factories.customer("city", name=name), user=clerk_city)
    path = tmp_path / "long.pdf"
    path.write_bytes(render_pdf("pdf/pledge.html", {"pledges": [pledge, pledge]}))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, text=True).stdout
    assert re.search(r"^Pages:\s+2$", info, re.MULTILINE), info
    for page in ("1", "2"):
        out = subprocess.run(["pdftotext", "-f", page, "-l", page, str(path), "-"], capture_output=True, text=True)
        text = flat(out.stdout)
        assert name in text and "法定代表人签章" in text and "年" in text and "月" in text, text
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(path), str(ARTIFACTS / "pledge-long-name")]
    )
