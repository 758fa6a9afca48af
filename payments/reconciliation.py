"""Reconciliation: the ledger against the log, statements against their lines, reports against
entries. ``manage.py reconcile`` runs it; ``verify_events`` includes it.

An approval the payouts reactor has not reached yet is reported as in flight, not as a break.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from django.db.models import Count, Min, Sum

from marlin import checks
from marlin.eventstore.models import Event, ReactorCheckpoint
from marlin.kernel.money import to_cents
from payments.domain import EntryKind
from payments.models import PayoutEntry, Statement
from payments.reports import report_rows, report_totals
from tasks.models import Task

SHOWN = 5  # examples listed per failed check


def run() -> tuple[list[str], list[str]]:
    lines: list[str] = []
    failures: list[str] = []
    for check in (_accruals_match_approvals, _reversals_match_reversed_approvals, _statements, _reports):
        checked, broken = check()
        lines.append(checked)
        failures.extend(broken)
    return lines, failures


def _event_task_ids(event_type: str) -> dict[str, int]:
    rows = Event.objects.filter(type=event_type).values_list("data__task_id", "position")
    return {str(task_id): position for task_id, position in rows}


def _accruals_match_approvals() -> tuple[str, list[str]]:
    approvals = _event_task_ids("TaskApproved")
    reached = ReactorCheckpoint.objects.filter(reactor="payouts").aggregate(low=Min("position"))["low"] or 0
    accruals = {
        str(task_id): (cents, currency)
        for task_id, cents, currency in PayoutEntry.objects.filter(kind=EntryKind.ACCRUAL).values_list(
            "task_id", "amount_cents", "currency"
        )
    }
    rates = {
        str(t): (to_cents(r), c)
        for t, r, c in Task.objects.filter(pk__in=list(approvals)).values_list("pk", "rate", "currency")
    }
    missing = [t for t, position in approvals.items() if t not in accruals and position <= reached]
    in_flight = [t for t, position in approvals.items() if t not in accruals and position > reached]
    wrong = [t for t, value in accruals.items() if t in approvals and rates.get(t) != value]
    orphans = [t for t in accruals if t not in approvals]
    broken = _named("approved task without its accrual", missing)
    broken += _named("accrual not at the task's rate and currency", wrong)
    broken += _named("accrual without an approval", orphans)
    checked = (
        f"accruals: {len(approvals)} approvals, {len(accruals)} accruals, "
        f"{len(in_flight)} in flight to the payouts worker"
    )
    return checked, broken


def _reversals_match_reversed_approvals() -> tuple[str, list[str]]:
    reversed_tasks = set(_event_task_ids("ApprovalReversed"))
    reversals = PayoutEntry.objects.filter(kind=EntryKind.REVERSAL).select_related("accrual")
    broken: list[str] = []
    count = 0
    for entry in reversals.iterator(chunk_size=1000):
        count += 1
        accrual = entry.accrual
        if accrual is None or accrual.kind != EntryKind.ACCRUAL or accrual.task_id != entry.task_id:
            broken.append(f"reversal {entry.id} does not point at its task's accrual")
        elif entry.amount_cents != -accrual.amount_cents or entry.currency != accrual.currency:
            broken.append(f"reversal {entry.id} is not the negative of its accrual")
        if str(entry.task_id) not in reversed_tasks:
            broken.append(f"reversal {entry.id} for task {entry.task_id} whose approval was not reversed")
    return f"reversals: {count}, each the negative of an accrual whose approval was reversed", broken[:SHOWN]


def _statements() -> tuple[str, list[str]]:
    sums = {
        row["statement_id"]: (row["total"], row["n"])
        for row in PayoutEntry.objects.filter(statement__isnull=False)
        .values("statement_id")
        .annotate(total=Sum("amount_cents"), n=Count("pk"))
    }
    broken = []
    statements = Statement.objects.values_list("pk", "total_cents", "lines")
    for statement_id, total, lines in statements.iterator(chunk_size=1000):
        if sums.get(statement_id) != (total, lines):
            broken.append(
                f"statement {statement_id} total {total} differs from its lines {sums.get(statement_id)}"
            )
    return f"statements: {len(statements)} totals equal the sum of their lines", broken[:SHOWN]


def _reports() -> tuple[str, list[str]]:
    periods = PayoutEntry.objects.values_list("period", flat=True).distinct().order_by("period")
    broken = []
    for period in periods:
        entries: Counter[str] = Counter()
        for currency, cents in PayoutEntry.objects.filter(period=period).values_list(
            "currency", "amount_cents"
        ):
            entries[currency] += cents
        rows: Counter[str] = Counter()
        for row in report_rows(period):
            rows[row.currency] += row.net
            if row.gross - row.reversals != row.net:
                broken.append(f"{period}: contributor {row.contributor} gross - reversals != net")
        totals = {t.currency: t.net for t in report_totals(period)}
        if dict(rows) != dict(entries) or totals != dict(entries):
            broken.append(
                f"{period}: report {dict(rows)} / totals {totals} differ from entries {dict(entries)}"
            )
    return f"reports: {len(periods)} periods reconcile to the sum of their entries", broken[:SHOWN]


def _named(problem: str, task_ids: list[Any]) -> list[str]:
    if not task_ids:
        return []
    examples = ", ".join(str(t) for t in task_ids[:SHOWN])
    return [f"{len(task_ids)} {problem}: {examples}"]


checks.register("payments", run)
