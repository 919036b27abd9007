"""Issue 10: an objection (异议) shows before the decision what upholding it does to the level, and the
异议处理决定书 and the message state the objection's own effect, other changes since the run apart."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from ratings.models import RatingResult
from repair import services
from repair.models import RepairRequest
from tests import factories
from tests.repair_support import lodge

pytestmark = pytest.mark.django_db


def _letter_text(client, req, tmp_path) -> str:
    path = tmp_path / f"{req.number}.pdf"
    response = client.get(reverse("repair:letter", args=[req.number]))
    assert response.status_code == 200
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, text=True).stdout
    return "".join(text.split())


def _run(day: dt.date) -> None:
    call_command("run_rating", "--as-of", day.isoformat(), stdout=io.StringIO())


def _objection(customer, event, clerk, supervisor) -> RepairRequest:
    req = lodge(customer, clerk, kind=RepairRequest.Kind.OBJECTION, events=[event], reason="该窃水记录系误录")
    services.accept(req.pk, user=supervisor)
    return req


@pytest.fixture
def wrongly_red(clerk_city, supervisor):
    """A customer rated red in the latest run for a theft it objects to; accepted objection."""
    today = timezone.localdate()
    run_day = today - dt.timedelta(days=1)
    customer = factories.customer("city", account_no="OB0001")
    theft = factories.event(
        customer, "water_theft", amount=Decimal("12000.50"), occurred_on=run_day - dt.timedelta(days=20)
    )
    _run(run_day)
    assert RatingResult.objects.get(customer=customer).level == "red"
    return _objection(customer, theft, clerk_city, supervisor)


def test_the_objection_page_shows_what_upholding_it_does(login, supervisor, wrongly_red):
    html = login(supervisor).get(reverse("repair:detail", args=[wrongly_red.number])).content.decode()
    assert 'data-testid="approval-preview"' in html
    card = html[html.index('data-testid="approval-preview"') :]
    card = card[: card.index('data-testid="actions"')]
    assert "认定异议成立对信用等级的影响" in card and "准予修复" not in card
    assert "异议不成立（涉及的记录照常计入）" in card
    assert "异议成立后（涉及的事件作废，账单按到期日前缴清计）" in card
    without = card[card.index('data-testid="preview-without"') :]
    assert "红色" in without[: without.index("</dd>")]
    upheld = card[card.index('data-testid="preview-with"') :]
    assert "绿色" in upheld[: upheld.index("</dd>")]
    assert "异议成立使信用等级由红色调整为绿色。" in card
    # nothing was changed by showing it
    wrongly_red.refresh_from_db()
    assert wrongly_red.events.get().voided_at is None


def test_upholding_says_its_own_effect_in_the_message_and_the_letter(login, supervisor, wrongly_red, tmp_path):
    client = login(supervisor)
    response = client.post(
        reverse("repair:act", args=[wrongly_red.number, "uphold"]), {"uphold-reason": "核实系误录"}, follow=True
    )
    text = response.content.decode()
    assert "异议成立使信用等级由红色调整为绿色" in text
    wrongly_red.refresh_from_db()
    assert (wrongly_red.level_unrepaired, wrongly_red.level_after) == ("red", "green")
    letter = _letter_text(client, wrongly_red, tmp_path)
    assert "认定异议成立" in letter and "异议成立使信用等级由红色调整为绿色" in letter
    assert "与本次异议处理无关" not in letter  # nothing else changed since the run


def test_other_changes_since_the_run_are_named_apart(login, clerk_city, supervisor, tmp_path):
    """Green in the run; then a wrongly recorded theft and two real contract violations: upholding the
    objection to the theft gives yellow (the violations), and the letter says the violations' part is
    not the objection's."""
    today = timezone.localdate()
    run_day = today - dt.timedelta(days=1)
    customer = factories.customer("city", account_no="OB0002")
    _run(run_day)
    assert RatingResult.objects.get(customer=customer).level == "green"
    theft = factories.event(
        customer, "water_theft", amount=Decimal("12000.50"), occurred_on=run_day - dt.timedelta(days=5)
    )
    for days in (60, 90):
        factories.event(customer, "contract_violation", occurred_on=today - dt.timedelta(days=days))
    req = _objection(customer, theft, clerk_city, supervisor)
    client = login(supervisor)
    html = client.get(reverse("repair:detail", args=[req.number])).content.decode()
    assert 'data-testid="preview-others"' in html and "与本次异议处理无关" in html
    effect = html[html.index('data-testid="preview-effect"') :][:200]
    assert "异议成立使信用等级由红色调整为黄色。" in html, effect
    client.post(reverse("repair:act", args=[req.number, "uphold"]), {"uphold-reason": "核实系误录"})
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.UPHELD
    letter = _letter_text(client, req, tmp_path)
    assert "异议成立使信用等级由红色调整为黄色" in letter
    assert "以来信用记录的其他变动使评定结果为红色，与本次异议处理无关" in letter
    assert "由绿色调整为" not in letter  # never blames the objection for the other records
