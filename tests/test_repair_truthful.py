"""Issue 10 items 1 and 4: an approved repair never reads as punishment; an overdue request cannot be extended.

1. The decision page shows, before deciding, the level with and without the repaired records, the run's
   stored level and a note when other records changed since the run; the approval message and the
   信用修复决定书 state the repair's own effect and name other changes apart.
4. 延期 on a request past its decision deadline is refused; the 超期 mark stays on the page and the queue.
"""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from customers.services import TransitionError
from ratings.models import RatingResult
from repair import services
from repair.models import RepairRequest, RestrictionRelease
from tests import factories
from tests.repair_support import lodge, sign_pledge_for

pytestmark = pytest.mark.django_db


def _letter_text(client, req, tmp_path) -> str:
    path = tmp_path / f"{req.number}.pdf"
    response = client.get(reverse("repair:letter", args=[req.number]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())  # pdftotext breaks lines anywhere in Chinese


def _run(day: dt.date) -> None:
    call_command("run_rating", "--as-of", day.isoformat(), stdout=io.StringIO())


@pytest.fixture
def yellow_then_red(clerk_city, supervisor):
    """A yellow customer in the latest run; then a DN200 outage and a 12,000.50 yuan theft dated before
    the run's date are recorded, and a repair of the theft is lodged, accepted and its pledge signed."""
    today = timezone.localdate()
    run_day = today - dt.timedelta(days=1)
    customer = factories.customer("city", account_no="TR0001")
    for days in (60, 90):  # two contract violations in the year: yellow (Y2)
        factories.event(customer, "contract_violation", occurred_on=today - dt.timedelta(days=days))
    _run(run_day)
    assert RatingResult.objects.get(customer=customer).level == "yellow"
    factories.event(customer, "pipe_outage", pipe_diameter_mm=200, occurred_on=run_day - dt.timedelta(days=10))
    theft = factories.event(
        customer, "water_theft", amount=Decimal("12000.50"), occurred_on=run_day - dt.timedelta(days=20)
    )
    req = lodge(customer, clerk_city, events=[theft])
    services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    return req, run_day


def test_decision_page_shows_both_levels_and_that_other_records_changed(login, supervisor, yellow_then_red):
    req, run_day = yellow_then_red
    preview = services.approval_preview(req)
    assert (preview.stored, preview.unrepaired, preview.after) == ("yellow", "red", "red")
    assert preview.run_date == run_day and preview.others_changed
    assert "R3" in preview.unrepaired_criteria and "R3" not in preview.after_criteria
    assert "R7" in preview.after_criteria
    # computing the preview wrote nothing
    assert req.events.get().repaired_at is None
    assert RatingResult.objects.get(customer=req.customer).level == "yellow"

    html = login(supervisor).get(req.get_absolute_url()).content.decode()
    assert 'data-testid="approval-preview"' in html
    assert (
        "上次评级存储的等级" in html
        and "不修复（涉及的记录照常计入）" in html
        and "准予修复后（涉及的记录不再计入）" in html
    )
    stored = html.split('data-testid="preview-stored"')[1].split("</dd>")[0]
    without = html.split('data-testid="preview-without"')[1].split("</dd>")[0]
    with_repair = html.split('data-testid="preview-with"')[1].split("</dd>")[0]
    assert 'data-level="yellow"' in stored and 'data-level="red"' in without and 'data-level="red"' in with_repair
    assert "本次修复不改变信用等级（红色）" in html
    note = html.split('data-testid="preview-others"')[1].split("</div>")[0]
    assert f"自上次评级（{run_day:%Y-%m-%d}，黄色）以来" in note and "其他信用记录有变动" in note
    assert "与本次修复无关" in note


def test_approval_message_and_letter_state_the_repairs_own_effect(
    login, clerk_city, supervisor, yellow_then_red, tmp_path
):
    req, run_day = yellow_then_red
    client = login(supervisor)
    response = client.post(
        reverse("repair:act", args=[req.number, "approve"]), {"approve-reason": "已赔偿"}, follow=True
    )
    html = response.content.decode()
    message = html.split('class="alert alert-success')[1].split("</div>")[0]
    assert "准予修复" in message and "本次修复不改变信用等级（红色）" in message
    assert (
        f"另：自上次评级（{run_day:%Y-%m-%d}，黄色）以来信用记录的其他变动使评定结果为红色，与本次修复无关" in message
    )
    assert "由黄色" not in message and "变为红色" not in message and "调整为" not in message

    req.refresh_from_db()
    assert (req.level_before, req.level_unrepaired, req.level_after, req.level_as_of) == (
        "yellow",
        "red",
        "red",
        run_day,
    )
    assert not RestrictionRelease.objects.exists()
    assert RatingResult.objects.get(customer=req.customer).level == "red"  # the re-rate still stores the truth

    text = _letter_text(login(clerk_city), req, tmp_path)
    assert "准予信用修复" in text and "本次修复不改变信用等级（红色）" in text
    assert "另：自上次评级（" in text and "以来信用记录的其他变动使评定结果为红色，与本次修复无关" in text
    assert "由黄色调整为红色" not in text and "调整为红色" not in text and "由黄色" not in text
    # the request page and its history say the same, never "黄色 → 红色"
    page = client.get(req.get_absolute_url()).content.decode()
    level = page.split('data-testid="level-change"')[1].split("</dd>")[0]
    assert "本次修复不改变信用等级（红色）" in level and "→" not in level
    history = page.split('data-testid="history"')[1]
    assert "本次修复不改变信用等级（红色）" in history and "黄色 → 红色" not in history


def test_a_plain_repair_that_improves_the_level_says_so(login, clerk_city, supervisor, tmp_path):
    today = timezone.localdate()
    customer = factories.customer("city", account_no="TR0002")
    theft = factories.event(
        customer, "water_theft", amount=Decimal("15000.00"), occurred_on=today - dt.timedelta(days=90)
    )
    _run(today - dt.timedelta(days=1))
    req = lodge(customer, clerk_city, events=[theft])
    services.accept(req.pk, user=supervisor)
    sign_pledge_for(req, clerk_city)
    client = login(supervisor)
    page = client.get(req.get_absolute_url()).content.decode()
    assert "本次修复使信用等级由红色恢复为绿色" in page and 'data-testid="preview-others"' not in page

    response = client.post(
        reverse("repair:act", args=[req.number, "approve"]), {"approve-reason": "整改到位"}, follow=True
    )
    message = response.content.decode().split('class="alert alert-success')[1].split("</div>")[0]
    assert "本次修复使信用等级由红色恢复为绿色" in message and "另：" not in message and "已解除惩戒措施" in message
    text = _letter_text(login(clerk_city), req, tmp_path)
    assert "本次修复使信用等级由红色恢复为绿色" in text and "相关惩戒措施自" in text and "另：" not in text


def test_an_overdue_request_cannot_be_extended_and_stays_overdue(login, clerk_city, supervisor, city_customer):
    today = timezone.localdate()
    event = factories.event(city_customer, occurred_on=today - dt.timedelta(days=30))
    req = lodge(city_customer, clerk_city, events=[event])
    services.accept(req.pk, user=supervisor)
    missed = today - dt.timedelta(days=1)
    RepairRequest.objects.filter(pk=req.pk).update(decide_by=missed)

    with pytest.raises(TransitionError, match="已超过办结期限"):
        services.extend(req.pk, user=supervisor, reason="材料需核实")

    client = login(supervisor)
    page = client.get(req.get_absolute_url()).content.decode()
    assert 'data-testid="extend-form"' not in page and 'data-testid="extend-too-late"' in page
    assert "不能再延期" in page and 'data-testid="overdue"' in page

    response = client.post(
        reverse("repair:act", args=[req.number, "extend"]), {"extend-reason": "材料需核实"}, follow=True
    )
    html = response.content.decode()
    assert f"已超过办结期限 {missed:%Y-%m-%d}，不能再延期" in html and 'data-testid="overdue"' in html
    req.refresh_from_db()
    assert req.decide_by == missed and req.extended_at is None
    queue = client.get(reverse("repair:queue")).content.decode()
    row = queue.split(f'data-number="{req.number}"')[1].split("</tr>")[0]
    assert 'data-testid="overdue-badge"' in row
    assert 'data-testid="count-overdue"' in queue


def test_a_request_due_today_can_still_be_extended(clerk_city, supervisor, city_customer):
    today = timezone.localdate()
    event = factories.event(city_customer, occurred_on=today - dt.timedelta(days=30))
    req = lodge(city_customer, clerk_city, events=[event])
    services.accept(req.pk, user=supervisor)
    RepairRequest.objects.filter(pk=req.pk).update(decide_by=today)
    req = services.extend(req.pk, user=supervisor, reason="材料需核实")
    assert req.decide_by > today and req.extended_at is not None
