"""The demo's promised path (README, *Demo data*): the seeded, accepted repair of the worst-rated city
customer whose red or yellow comes only from repairable records, approved by the demo's supervisor,
gives a better level and lifts the customer's restrictions (解除惩戒)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from ratings.models import RatingResult, RatingRun
from repair import services
from repair.effect import LEVEL_RANK
from repair.models import RepairRequest, RestrictionRelease

pytestmark = pytest.mark.django_db


def test_approving_the_seeded_repair_improves_the_level_and_lifts_restrictions():
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    run = RatingRun.objects.filter(status=RatingRun.Status.SUCCEEDED).order_by("-as_of").first()
    ready = [
        r
        for r in RepairRequest.objects.filter(
            kind=RepairRequest.Kind.REPAIR, status=RepairRequest.Status.ACCEPTED, company__code="city"
        ).order_by("submitted_at")
        if services.pledge_ready(r) and r.events.exists()
    ]
    assert ready, "the demo has an accepted city repair with its pledge signed"
    req = ready[0]
    customer = req.customer
    stored = RatingResult.objects.get(run=run, customer=customer).level
    assert stored in ("red", "yellow")

    supervisor = get_user_model().objects.get(username="supervisor")
    assert supervisor.pk != req.submitted_by_id and services.may_decide(req, supervisor)  # four eyes
    preview = services.approval_preview(req)
    assert LEVEL_RANK[preview.after] < LEVEL_RANK[stored], preview  # the decision page promises it too

    services.approve(req.pk, user=supervisor, reason="材料齐全,整改到位,准予信用修复。")
    req.refresh_from_db()
    assert req.status == RepairRequest.Status.APPROVED
    after = RatingResult.objects.get(run=run, customer=customer).level
    assert LEVEL_RANK[after] < LEVEL_RANK[stored], (stored, after)
    release = RestrictionRelease.objects.get(request=req)
    assert release.customer == customer and release.level_before == stored and release.level_after == after
    assert any("恢复为" in s for s in req.level_sentences), req.level_sentences
