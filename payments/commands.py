"""Payments commands: accrue and reverse payouts, close periods, record payments.

An accrual takes its period's lock row ``FOR SHARE`` and closing a period takes it ``FOR UPDATE``:
entries and closes of one period never interleave, and entries for a closed period go to the
first open one after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection

from marlin.eventstore.store import command_transaction, load_aggregate
from marlin.kernel import clock
from marlin.kernel.money import from_cents
from payments import domain
from payments.domain import Ledger, OpenEntry, PeriodState, StatementState
from payments.models import ClosedPeriod, PayoutEntry, PeriodLock, Statement
from payments.periods import parse_period


def _lock_period(period: str, *, exclusive: bool) -> None:
    """Shared for entries (they may run side by side), exclusive for closing the period.

    The ORM has no ``FOR SHARE``, hence the SQL. On SQLite every write transaction is exclusive
    already (``BEGIN IMMEDIATE``).
    """
    PeriodLock.objects.bulk_create([PeriodLock(period=period)], ignore_conflicts=True)
    if connection.vendor != "postgresql":
        return
    mode = "FOR UPDATE" if exclusive else "FOR SHARE"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT 1 FROM payments_periodlock WHERE period = %s {mode}", [period])


def _closed_with_locks(period: str) -> bool:
    """Is ``period`` closed? Holds its lock (shared) until commit, so it cannot close meanwhile."""
    _lock_period(period, exclusive=False)
    return ClosedPeriod.objects.filter(period=period).exists()


def payout_accrue(
    *, task_id: UUID, contributor_id: int, rate: Decimal, currency: str, approved_at: datetime
) -> None:
    """One accrual for an approved task (a no-op if it exists: redeliveries change nothing)."""
    stream = domain.ledger_stream(task_id)
    with command_transaction() as uow:
        ledger, version = load_aggregate(stream, domain.evolve_ledger, Ledger())
        events = domain.decide_accrual(
            ledger,
            task_id=task_id,
            contributor_id=contributor_id,
            rate=rate,
            currency=currency,
            approved_at=approved_at,
            is_closed=_closed_with_locks,
        )
        if events:
            uow.append(stream, version, events)


def payout_reverse(*, task_id: UUID, reason: str) -> None:
    """The reversal entry of a reversed approval (accruing first if the accrual is still due)."""
    stream = domain.ledger_stream(task_id)
    with command_transaction() as uow:
        ledger, version = load_aggregate(stream, domain.evolve_ledger, Ledger())
        events = domain.decide_reversal(ledger, reason=reason, now=clock.now(), is_closed=_closed_with_locks)
        uow.append(stream, version, events)


@dataclass(frozen=True)
class PeriodCloseResult:
    closed: ClosedPeriod
    already_closed: bool  # it was closed before this command, which added nothing


def period_close(*, actor_id: int | None, period: Any) -> PeriodCloseResult:
    """Issue the period's statements; closing a closed period again adds nothing."""
    period = parse_period(period)
    stream = domain.period_stream(period)
    with command_transaction(actor_id=actor_id) as uow:
        _lock_period(period, exclusive=True)
        state, version = load_aggregate(stream, domain.evolve_period, PeriodState())
        entries = [
            OpenEntry(e.id, e.task_id, e.contributor_id, e.kind, from_cents(e.amount_cents), e.currency)
            for e in PayoutEntry.objects.filter(period=period)
        ]
        events = domain.decide_close(state, period=period, entries=entries, now=clock.now())
        if events:
            uow.append(stream, version, events)
    return PeriodCloseResult(closed=ClosedPeriod.objects.get(pk=period), already_closed=state.closed)


def statement_mark_paid(*, actor_id: int | None, statement_id: UUID, reference: Any) -> Statement:
    """Record the payment of an issued statement, once."""
    stream = domain.statement_stream(statement_id)
    with command_transaction(actor_id=actor_id) as uow:
        issued = Statement.objects.filter(pk=statement_id).exists()
        state, version = load_aggregate(stream, domain.evolve_statement, StatementState(issued=issued))
        events = domain.decide_paid(state, statement_id=statement_id, reference=reference, now=clock.now())
        uow.append(stream, version, events)
    return Statement.objects.get(pk=statement_id)
