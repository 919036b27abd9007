"""export_ratings: byte-exact CSV (UTF-8 without BOM, \\n, sorted by account_no, criteria in numeric order)."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command

from ratings import runs
from ratings.models import RatingRun
from tests import factories

D = datetime.date(2026, 11, 30)
pytestmark = pytest.mark.django_db


def test_export_is_byte_exact(tmp_path):
    for account in ["B2", "a1", "A-1", "B10", "A1"]:
        factories.customer(account_no=account, payment_mode="postpaid")
    red = factories.customer(account_no="A0")
    factories.bill(red, "2026-04", due_on=datetime.date(2026, 5, 31))
    factories.event(red, "agreement_refusal", occurred_on=datetime.date(2026, 3, 1))
    for i in range(3):
        factories.event(red, "contract_violation", occurred_on=datetime.date(2026, 3, 2 + i))
    factories.event(red, "order_disruption", occurred_on=datetime.date(2026, 3, 9))
    runs.run_rating(D)
    out = tmp_path / "r.csv"
    call_command("export_ratings", "--as-of", "2026-11-30", "--out", str(out))
    assert out.read_bytes() == (
        b"account_no,level,criteria\n"
        b"A-1,blue,B2;B3;B4\n"
        b"A0,red,R1;R3;R10;R11\n"
        b"A1,blue,B2;B3;B4\n"
        b"B10,blue,B2;B3;B4\n"
        b"B2,blue,B2;B3;B4\n"
        b"a1,blue,B2;B3;B4\n"
    )
    stdout = io.StringIO()
    call_command("export_ratings", "--as-of", "2026-11-30", stdout=stdout)
    assert stdout.getvalue().encode() == out.read_bytes()


def test_empty_criteria_and_unfinished_runs():
    c = factories.customer(payment_mode="postpaid")
    factories.event(c, "contract_violation", occurred_on=datetime.date(2026, 3, 1))
    factories.event(c, "dishonesty_general", occurred_on=datetime.date(2026, 3, 1))
    factories.bill(c, "2026-10", due_on=datetime.date(2026, 10, 25))
    runs.run_rating(D)
    out = io.StringIO()
    call_command("export_ratings", "--as-of", "2026-11-30", stdout=out)
    assert out.getvalue() == f"account_no,level,criteria\n{c.account_no},blue,\n"
    runs.claim_run(datetime.date(2026, 10, 31), RatingRun.Trigger.SCHEDULE)
    with pytest.raises(CommandError, match="尚未完成"):
        call_command("export_ratings", "--as-of", "2026-10-31")
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("export_ratings", "--as-of", "20261130")
