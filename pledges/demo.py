"""Demo pledges for `seed_demo`: some signed (with a tiny generated PDF scan), some printed or
prepared, one breached by an event after its signing, one revoked. Idempotent: does nothing when
the demo customers already have pledges.

The signed ones were signed on dates before today, before the demo data existed: they are entered
as old paper pledges (登记纸质承诺书, 纸质补录), since a pledge generated today cannot be signed before
today."""

from __future__ import annotations

import datetime
import io
import random

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from customers import audit
from customers.demo import DEMO_ACTOR, DEMO_SEED
from customers.models import Customer, Event
from customers.roles import is_supervisor

from . import services
from .models import Pledge, PledgeState


def tiny_scan_pdf(text: str = "signed pledge scan") -> bytes:
    """A small, valid one-page PDF standing in for a scanned signed copy."""
    from pypdf import PdfWriter
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    writer = PdfWriter()
    page = writer.add_blank_page(width=595, height=842)
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): writer._add_object(font)})}
    )
    safe = text.encode("ascii", "replace").decode().replace("(", "[").replace(")", "]")
    stream = DecodedStreamObject()
    stream.set_data(f"BT /F1 18 Tf 72 760 Td ({safe}) Tj ET".encode())
    page[NameObject("/Contents")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def seed_pledges(*, seed: int = DEMO_SEED, today: datetime.date | None = None) -> int:
    """Create the demo pledges; returns how many (0 when there are pledges already)."""
    if Pledge.objects.exists():
        return 0
    today = today or timezone.localdate()
    rng = random.Random(seed)
    User = get_user_model()
    users = {u.username: u for u in User.objects.filter(username__in=["clerk_city", "clerk_county", "supervisor"])}
    customers = list(
        Customer.objects.exclude(uscc="")
        .filter(opened_on__lte=today - datetime.timedelta(days=60))
        .select_related("company")
        .order_by("account_no")
    )
    if not customers:
        return 0
    created = 0
    with transaction.atomic(), audit.acting_as(DEMO_ACTOR):
        clean = [c for c in customers if not Event.objects.filter(customer=c).exists()]
        with_events = [c for c in customers if c not in clean]
        rng.shuffle(clean)
        signed_customers = clean[: max(1, len(clean) * 2 // 5)]
        printed_customers = clean[len(signed_customers) : len(signed_customers) + 10]
        prepared_customers = clean[len(signed_customers) + 10 : len(signed_customers) + 15]
        for customer in signed_customers + printed_customers + prepared_customers:
            clerk = users.get("clerk_city" if customer.company.code == "city" else "clerk_county")
            created += 1
            if customer in signed_customers:
                earliest = max(customer.opened_on, today - datetime.timedelta(days=300))
                signed_on = earliest + datetime.timedelta(days=rng.randint(0, max(0, (today - earliest).days - 1)))
                services.register_paper_pledge(
                    customer,
                    signed_on=signed_on,
                    received_by=clerk,
                    scan=ContentFile(
                        tiny_scan_pdf(f"scan of the paper pledge of {customer.account_no}"), name="scan.pdf"
                    ),
                    user=clerk,
                )
                continue
            pledge = services.prepare_pledge(customer, user=clerk)
            if customer in prepared_customers:
                continue
            services.mark_printed([pledge], user=clerk)
        # One breached: a customer whose latest event counts, signed before that event.
        for customer in with_events:
            event = (
                Event.objects.active()
                .filter(customer=customer, occurred_on__gt=customer.opened_on, occurred_on__lt=today)
                .exclude(type="pipe_outage", force_majeure=True)
                .order_by("-occurred_on")
                .first()
            )
            if event is None or event.occurred_on <= customer.opened_on + datetime.timedelta(days=1):
                continue
            clerk = users.get("clerk_city" if customer.company.code == "city" else "clerk_county")
            services.register_paper_pledge(
                customer,
                signed_on=event.occurred_on - datetime.timedelta(days=1),
                received_by=clerk,
                scan=ContentFile(tiny_scan_pdf(f"scan of the paper pledge of {customer.account_no}"), name="scan.pdf"),
                user=clerk,
            )
            created += 1
            break
        # One revoked (prepared for the wrong customer, say).
        supervisor = users.get("supervisor")
        victim = Pledge.objects.filter(state=PledgeState.PRINTED).order_by("pk").first()
        if victim is not None and supervisor is not None and is_supervisor(supervisor):
            services.revoke_pledge(victim, reason="打印后发现单位名称已变更，作废重出", user=supervisor)
    return created
