"""Payout and statement rules, given / when / then, with no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marlin.kernel.errors import Conflict, InvalidInput, NotFound
from payments.domain import (
    EntryKind,
    Ledger,
    OpenEntry,
    PayoutAccrued,
    PayoutReversed,
    PeriodClosed,
    PeriodState,
    StatementIssued,
    StatementState,
    decide_accrual,
    decide_close,
    decide_paid,
    decide_reversal,
    entry_id_for,
    evolve_ledger,
)
from payments.periods import next_period, parse_period, period_end, period_of

TASK = uuid.UUID(int=1)
APPROVED_AT = datetime(2026, 11, 25, 15, 0, tzinfo=UTC)  # a Wednesday of 2026-W48


def never_closed(period: str) -> bool:
    return False


def closed(*periods: str):
    return lambda period: period in periods


def accrue(ledger: Ledger | None = None, is_closed=never_closed, rate: str = "280.00") -> list:
    return decide_accrual(
        ledger or Ledger(), task_id=TASK, contributor_id=7, rate=Decimal(rate), currency="USD",
        approved_at=APPROVED_AT, is_closed=is_closed,
    )  # fmt: skip


def ledger_after(*events) -> Ledger:
    state = Ledger()
    for event in events:
        state = evolve_ledger(state, event)
    return state


def test_periods_are_iso_weeks_in_utc() -> None:
    assert period_of(APPROVED_AT) == "2026-W48"
    assert period_of(datetime(2026, 12, 31, 23, 59, tzinfo=UTC)) == "2026-W53"
    assert period_of(datetime(2027, 1, 4, tzinfo=UTC)) == "2027-W01"
    assert next_period("2026-W53") == "2027-W01"
    assert period_end("2026-W48") == datetime(2026, 11, 30, tzinfo=UTC)
    for bad in ("2026-48", "2026-W54", "2025-W53", 202648, None):
        with pytest.raises(InvalidInput):
            parse_period(bad)


def test_an_approval_accrues_the_task_rate_in_the_week_of_the_approval() -> None:
    [event] = accrue()

    assert event == PayoutAccrued(
        entry_id_for(TASK, EntryKind.ACCRUAL), TASK, 7, Decimal("280.00"), "USD", "2026-W48", APPROVED_AT
    )


def test_the_accrual_is_recorded_once_however_often_asked() -> None:
    assert accrue(ledger_after(*accrue())) == []


def test_an_approval_in_a_closed_week_accrues_in_the_next_open_week() -> None:
    [event] = accrue(is_closed=closed("2026-W48", "2026-W49"))

    assert event.period == "2026-W50"


def test_a_reversal_lands_in_the_accrual_week_while_it_is_open() -> None:
    [accrual] = accrue()

    [event] = decide_reversal(ledger_after(accrual), reason="wrong", now=APPROVED_AT, is_closed=never_closed)

    assert isinstance(event, PayoutReversed)
    assert (event.amount, event.period, event.accrual_entry_id) == (
        Decimal("-280.00"),
        "2026-W48",
        accrual.entry_id,
    )


def test_a_late_reversal_after_the_statement_is_a_clawback_in_the_next_open_week() -> None:
    [accrual] = accrue()
    later = datetime(2026, 12, 9, tzinfo=UTC)  # 2026-W50

    [event] = decide_reversal(ledger_after(accrual), reason="late", now=later, is_closed=closed("2026-W48"))

    assert event.period == "2026-W50"


def test_a_payout_is_reversed_at_most_once_and_only_if_accrued() -> None:
    [accrual] = accrue()
    [reversal] = decide_reversal(ledger_after(accrual), reason="x", now=APPROVED_AT, is_closed=never_closed)

    with pytest.raises(Conflict):
        decide_reversal(
            ledger_after(accrual, reversal), reason="again", now=APPROVED_AT, is_closed=never_closed
        )
    with pytest.raises(NotFound):
        decide_reversal(Ledger(), reason="x", now=APPROVED_AT, is_closed=never_closed)


def entry(contributor: int, amount: str, kind: str = "accrual", currency: str = "USD") -> OpenEntry:
    return OpenEntry(uuid.uuid4(), uuid.uuid4(), contributor, kind, Decimal(amount), currency)


def test_closing_issues_one_statement_per_contributor_and_currency_with_a_non_zero_net() -> None:
    entries = [
        entry(1, "280.00"), entry(1, "280.00"), entry(2, "280.00"), entry(2, "-280.00", "reversal"),
        entry(3, "300.00", currency="EUR"), entry(3, "280.00"),
    ]  # fmt: skip
    after_the_week = datetime(2026, 12, 1, tzinfo=UTC)

    events = decide_close(PeriodState(), period="2026-W48", entries=entries, now=after_the_week)

    assert events[0] == PeriodClosed("2026-W48", 3)
    issued = [(e.contributor_id, e.currency, e.total, len(e.lines)) for e in events[1:]]
    assert all(isinstance(e, StatementIssued) for e in events[1:])
    assert issued == [
        (1, "USD", Decimal("560.00"), 2),
        (3, "EUR", Decimal("300.00"), 1),
        (3, "USD", Decimal("280.00"), 1),
    ]


def test_closing_again_adds_nothing_and_an_unfinished_week_cannot_close() -> None:
    assert (
        decide_close(
            PeriodState(closed=True), period="2026-W48", entries=[], now=datetime(2027, 1, 1, tzinfo=UTC)
        )
        == []
    )
    with pytest.raises(Conflict):
        decide_close(PeriodState(), period="2026-W48", entries=[], now=APPROVED_AT)


def test_a_statement_is_paid_once_with_a_reference() -> None:
    statement_id = uuid.uuid4()
    [paid] = decide_paid(
        StatementState(issued=True), statement_id=statement_id, reference=" TX-1 ", now=APPROVED_AT
    )

    assert paid.reference == "TX-1"
    with pytest.raises(Conflict):
        decide_paid(
            StatementState(issued=True, paid=paid),
            statement_id=statement_id,
            reference="TX-2",
            now=APPROVED_AT,
        )
    with pytest.raises(InvalidInput):
        decide_paid(StatementState(issued=True), statement_id=statement_id, reference="  ", now=APPROVED_AT)
    with pytest.raises(NotFound):
        decide_paid(StatementState(), statement_id=statement_id, reference="TX", now=APPROVED_AT)
