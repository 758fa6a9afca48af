"""``manage.py reconcile``: passes on good data, names each planted break."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from marlin.kernel import clock
from payments.models import PayoutEntry, Statement
from tests.factories import client_for, make_project, make_user
from tests.support.approvals import given_approved
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def ledger():
    project = make_project()
    people = [make_user("contributor") for _ in range(3)]
    ops, finance = client_for(make_user("ops")), client_for(make_user("finance"))
    with clock.pinned_at(datetime(2026, 11, 18, tzinfo=UTC)):
        task_ids = given_approved(project, 9, people)
        settle()
        ops.post(f"/api/v1/tasks/{task_ids[0]}/reverse-approval/", {"reason": "wrong"}, format="json")
        settle()
    with clock.pinned_at(datetime(2026, 11, 24, tzinfo=UTC)):
        finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
    return task_ids


def test_reconcile_passes_and_says_what_it_checked(ledger, capsys) -> None:
    call_command("reconcile")

    out = capsys.readouterr().out
    assert "accruals: 9 approvals, 9 accruals, 0 in flight" in out
    assert "reversals: 1" in out
    assert "statements: 3 totals" in out
    assert "Reconciled" in out


def test_an_accrual_at_the_wrong_amount_is_a_break(ledger, capsys) -> None:
    PayoutEntry.objects.filter(task_id=ledger[3], kind="accrual").update(amount_cents=28001)

    with pytest.raises(CommandError):
        call_command("reconcile")
    out = capsys.readouterr().out
    assert "not at the task's rate" in out
    assert "statement" in out  # its statement no longer adds up either


def test_a_missing_accrual_and_a_doctored_statement_are_breaks(ledger, capsys) -> None:
    PayoutEntry.objects.filter(task_id=ledger[5], kind="accrual").update(statement=None)
    PayoutEntry.objects.filter(task_id=ledger[5], kind="accrual").delete()
    Statement.objects.filter(pk=Statement.objects.first().pk).update(total_cents=1)

    with pytest.raises(CommandError, match="break"):
        call_command("reconcile")
    out = capsys.readouterr().out
    assert "approved task without its accrual" in out
    assert "differs from its lines" in out


def test_verify_events_includes_the_reconciliation(ledger) -> None:
    PayoutEntry.objects.filter(kind="reversal").update(amount_cents=-1)

    with pytest.raises(CommandError, match="payments"):
        call_command("verify_events", no_progress=True, skip_projections=True)
