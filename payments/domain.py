"""Payouts and statements: pure rules, events and state (no Django imports).

Amounts are ``Decimal`` in events and integer cents in storage; a reversal's amount is the
negative of its accrual's. The ledger of one task is its own stream (``payout-<task id>``): the
accrual is version 1 and a reversal version 2, so neither can be recorded twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from marlin.kernel.errors import Conflict, InvalidInput, NotFound
from marlin.kernel.events import DomainEvent, stream_name
from payments.periods import next_period, period_end, period_of

LEDGER_NAMESPACE = uuid.UUID("0b6f4c52-7e0d-4a55-9a3e-3f1a2c9d8e71")


class EntryKind(StrEnum):
    ACCRUAL = "accrual"
    REVERSAL = "reversal"


def ledger_stream(task_id: UUID) -> str:
    return stream_name("payout", task_id)


def period_stream(period: str) -> str:
    return stream_name("period", period)


def statement_stream(statement_id: UUID) -> str:
    return stream_name("statement", statement_id)


def entry_id_for(task_id: UUID, kind: EntryKind) -> UUID:
    """The same task's accrual (or reversal) always has the same id."""
    return uuid.uuid5(LEDGER_NAMESPACE, f"{task_id}:{kind}")


def statement_id_for(period: str, contributor_id: int, currency: str) -> UUID:
    return uuid.uuid5(LEDGER_NAMESPACE, f"statement:{period}:{contributor_id}:{currency}")


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PayoutAccrued(DomainEvent):
    entry_id: UUID
    task_id: UUID
    contributor_id: int
    amount: Decimal
    currency: str
    period: str
    approved_at: datetime


@dataclass(frozen=True)
class PayoutReversed(DomainEvent):
    """A correction: the negative of the accrual, in its period or, if closed, a later one."""

    entry_id: UUID
    task_id: UUID
    contributor_id: int
    accrual_entry_id: UUID
    amount: Decimal
    currency: str
    period: str
    reason: str


@dataclass(frozen=True)
class StatementLine:
    entry_id: UUID
    task_id: UUID
    kind: str
    amount: Decimal


@dataclass(frozen=True)
class StatementIssued(DomainEvent):
    statement_id: UUID
    period: str
    contributor_id: int
    currency: str
    total: Decimal
    lines: tuple[StatementLine, ...]


@dataclass(frozen=True)
class PeriodClosed(DomainEvent):
    """Finance closed the period: its statements follow, frozen; later entries go to later periods."""

    period: str
    statements: int


@dataclass(frozen=True)
class StatementPaid(DomainEvent):
    statement_id: UUID
    reference: str
    paid_at: datetime


# --- the ledger of one task ------------------------------------------------------------------------


@dataclass(frozen=True)
class Ledger:
    accrual: PayoutAccrued | None = None
    reversal: PayoutReversed | None = None


def evolve_ledger(state: Ledger, event: DomainEvent) -> Ledger:
    if isinstance(event, PayoutAccrued):
        return replace(state, accrual=event)
    if isinstance(event, PayoutReversed):
        return replace(state, reversal=event)
    return state


PeriodIsClosed = Callable[[str], bool]


def first_open_period(period: str, is_closed: PeriodIsClosed) -> str:
    while is_closed(period):
        period = next_period(period)
    return period


def decide_accrual(
    ledger: Ledger,
    *,
    task_id: UUID,
    contributor_id: int,
    rate: Decimal,
    currency: str,
    approved_at: datetime,
    is_closed: PeriodIsClosed,
) -> list[DomainEvent]:
    """One accrual per approved task, at the task's own rate, in the ISO week of the approval
    (or the first open week after it, if finance closed that week already)."""
    if ledger.accrual is not None:
        return []  # already accrued: a redelivered message has no second effect
    if rate <= 0:
        raise InvalidInput(fields={"rate": ["a payout must be positive"]})
    return [
        PayoutAccrued(
            entry_id=entry_id_for(task_id, EntryKind.ACCRUAL),
            task_id=task_id,
            contributor_id=contributor_id,
            amount=rate,
            currency=currency,
            period=first_open_period(period_of(approved_at), is_closed),
            approved_at=approved_at,
        )
    ]


def decide_reversal(
    ledger: Ledger, *, reason: str, now: datetime, is_closed: PeriodIsClosed
) -> list[DomainEvent]:
    """The negative of the accrual: in the accrual's period while it is open; otherwise a clawback
    in the first open period from the week of the reversal on."""
    accrual = ledger.accrual
    if accrual is None:
        raise NotFound("this task has no payout to reverse")
    if ledger.reversal is not None:
        raise Conflict("this payout was already reversed", code="already_reversed")
    if is_closed(accrual.period):
        period = first_open_period(max(period_of(now), next_period(accrual.period)), is_closed)
    else:
        period = accrual.period
    return [
        PayoutReversed(
            entry_id=entry_id_for(accrual.task_id, EntryKind.REVERSAL),
            task_id=accrual.task_id,
            contributor_id=accrual.contributor_id,
            accrual_entry_id=accrual.entry_id,
            amount=-accrual.amount,
            currency=accrual.currency,
            period=period,
            reason=reason,
        )
    ]


# --- periods and statements ------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodState:
    closed: bool = False


def evolve_period(state: PeriodState, event: DomainEvent) -> PeriodState:
    return PeriodState(closed=True) if isinstance(event, PeriodClosed) else state


@dataclass(frozen=True)
class OpenEntry:
    """An entry of the period being closed, as the statement rules need it."""

    entry_id: UUID
    task_id: UUID
    contributor_id: int
    kind: str
    amount: Decimal
    currency: str


def decide_close(
    state: PeriodState, *, period: str, entries: Sequence[OpenEntry], now: datetime
) -> list[DomainEvent]:
    """Issue one frozen statement per contributor and currency with a non-zero total."""
    if state.closed:
        return []  # closing again adds nothing
    if period_end(period) > now:
        raise Conflict(f"{period} is not over yet; close it after it ends", code="period_not_over")
    groups: dict[tuple[int, str], list[OpenEntry]] = {}
    for entry in sorted(entries, key=lambda e: (e.contributor_id, e.currency, str(e.entry_id))):
        groups.setdefault((entry.contributor_id, entry.currency), []).append(entry)
    statements: list[DomainEvent] = []
    for (contributor_id, currency), lines in groups.items():
        total = sum((line.amount for line in lines), Decimal("0.00"))
        if total == 0:
            continue
        statements.append(
            StatementIssued(
                statement_id=statement_id_for(period, contributor_id, currency),
                period=period,
                contributor_id=contributor_id,
                currency=currency,
                total=total,
                lines=tuple(StatementLine(e.entry_id, e.task_id, e.kind, e.amount) for e in lines),
            )
        )
    return [PeriodClosed(period, len(statements)), *statements]


@dataclass(frozen=True)
class StatementState:
    issued: bool = False  # the statement exists (issued when its period closed)
    paid: StatementPaid | None = None


def evolve_statement(state: StatementState, event: DomainEvent) -> StatementState:
    return replace(state, paid=event) if isinstance(event, StatementPaid) else state


def decide_paid(
    state: StatementState, *, statement_id: UUID, reference: Any, now: datetime
) -> list[DomainEvent]:
    if not state.issued:
        raise NotFound("no such statement")
    if state.paid is not None:
        raise Conflict(
            f"this statement was already paid (reference {state.paid.reference})", code="already_paid"
        )
    if not isinstance(reference, str) or not reference.strip() or len(reference) > 200:
        raise InvalidInput(
            fields={"reference": ["the payment's external reference is required (at most 200 characters)"]}
        )
    return [StatementPaid(statement_id, reference.strip(), now)]
