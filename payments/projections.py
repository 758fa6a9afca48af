"""The payments projection: ledger entries, statements and closed periods."""

from __future__ import annotations

from typing import Any

from marlin import projections
from marlin.eventstore.store import RecordedEvent
from marlin.kernel.money import to_cents
from payments.domain import (
    EntryKind,
    PayoutAccrued,
    PayoutReversed,
    PeriodClosed,
    StatementIssued,
    StatementPaid,
)
from payments.models import ClosedPeriod, PayoutEntry, Statement

payments_projector = projections.register(
    projections.Projector("payments", tables=[ClosedPeriod, Statement, PayoutEntry], in_memory=True)
)
on = payments_projector.on
rows = projections.rows


def _entry(
    event: PayoutAccrued | PayoutReversed, recorded: RecordedEvent, kind: EntryKind, **extra: Any
) -> None:
    rows(PayoutEntry).insert(
        id=event.entry_id,
        task_id=event.task_id,
        contributor_id=event.contributor_id,
        kind=kind,
        amount_cents=to_cents(event.amount),
        currency=event.currency,
        period=event.period,
        created_at=recorded.recorded_at,
        **extra,
    )


@on(PayoutAccrued)
def _accrued(event: PayoutAccrued, recorded: RecordedEvent) -> None:
    _entry(event, recorded, EntryKind.ACCRUAL)


@on(PayoutReversed)
def _reversed(event: PayoutReversed, recorded: RecordedEvent) -> None:
    _entry(event, recorded, EntryKind.REVERSAL, accrual_id=event.accrual_entry_id, reason=event.reason)


@on(PeriodClosed)
def _period_closed(event: PeriodClosed, recorded: RecordedEvent) -> None:
    rows(ClosedPeriod).insert(
        period=event.period, closed_at=recorded.recorded_at, statements=event.statements
    )


@on(StatementIssued)
def _statement_issued(event: StatementIssued, recorded: RecordedEvent) -> None:
    rows(Statement).insert(
        id=event.statement_id,
        period=event.period,
        contributor_id=event.contributor_id,
        currency=event.currency,
        total_cents=to_cents(event.total),
        lines=len(event.lines),
        issued_at=recorded.recorded_at,
    )
    rows(PayoutEntry).update(
        {"pk__in": [line.entry_id for line in event.lines]}, statement_id=event.statement_id
    )


@on(StatementPaid)
def _statement_paid(event: StatementPaid, recorded: Any) -> None:
    rows(Statement).update({"pk": event.statement_id}, paid_at=event.paid_at, reference=event.reference)
