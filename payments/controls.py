"""Finance's controls: the period's accruals whose approval chain an auditor should look at.

An audit view: nothing is blocked by it. An accrual of the period is listed when its task's
approval chain (the task's events up to its approval) had

- ``hand_assigned_reviewer``: ops named a reviewer (``ReviewAssigned.by_hand``, recorded from
  its schema version 2 on); a reassignment where routing picked does not count;
- ``new_account``: the contributor, or a reviewer who decided in the chain, registered less than
  7 days before the approval (or only after it: someone adopted into the log after acting).

``actors`` says who did what and when in the chain, oldest first, in a small vocabulary
(``Did``): ``registered`` (a person whose registration raised ``new_account``), ``submitted``
(the contributor submitted or revised the judgment), ``assigned_reviewer_by_hand`` (the ops
person who named the next reviewer), ``approved`` and ``requested_changes`` (a reviewer's
decision at some layer; the last ``approved`` is the final approval). Routing's own
assignments, expiries and claims involve nobody's choice and are left out.

Registration time is the ``PersonRegistered`` event's ``recorded_at``, not ``User.date_joined``:
the log is the truth and is hash-chained, while ``date_joined`` is a column of the credentials
row that Django sets from its own clock (not Marlin's), that no projection writes and that no
rebuild checks. For people registered through ``person_register`` both are the same moment (one
transaction). For people created outside Marlin and adopted into the log on their first change,
the event is the adoption, later than ``date_joined``, which errs towards a flag; someone with no
``PersonRegistered`` at all falls back to ``date_joined``.

Computed on request from the log, with no projection of its own: the period's accruals (one
query), then per chunk of ``CHUNK`` tasks their chain events (one query: stream in (...) and
type in (...), on the log's (stream, version) index) and the registrations of the people in
them (one query, and one more for ``date_joined`` only when an event is missing). Memory stays
flat, so the CSV is streamed. A projection would answer faster but adds tables to rebuild and
verify, for a view finance opens a few times a period.

Measured on this 2-core machine (2026-11-26, PostgreSQL 15): a period of 500 approvals walked
through claim, submission and two review layers (3,110 chain events; every tenth layer-2
reviewer named by ops; 50 contributors, 10 reviewers): 3 queries (4 over HTTP, with the token),
0.15-0.25 s for JSON or CSV, about half reading the events and half decoding them. The suite
keeps the query count from growing with the period
(``tests/payments/test_controls.py::test_a_period_of_500_approvals_takes_a_few_queries_whatever_its_size``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import islice
from typing import Any
from uuid import UUID

from django.conf import settings

from marlin.eventstore.store import RecordedEvent, read_streams
from marlin.kernel.money import from_cents
from marlin.kernel.safe_csv import csv_lines
from payments.domain import EntryKind
from payments.models import PayoutEntry
from people.domain import PersonRegistered, person_stream
from people.models import User
from tasks.domain.events import JudgmentSubmitted, TaskApproved, task_stream
from tasks.domain.review_round import Decision, ReviewAssigned, ReviewDecided

NEW_ACCOUNT_WINDOW = timedelta(days=7)
CHUNK = 500
CHAIN_EVENTS = tuple(
    cls.type_name for cls in (JudgmentSubmitted, ReviewAssigned, ReviewDecided, TaskApproved)
)
COLUMNS = ["task", "contributor", "amount", "currency", "flags", "actors"]


class Flag(StrEnum):
    HAND_ASSIGNED_REVIEWER = "hand_assigned_reviewer"
    NEW_ACCOUNT = "new_account"


class Did(StrEnum):
    REGISTERED = "registered"
    SUBMITTED = "submitted"
    ASSIGNED_REVIEWER_BY_HAND = "assigned_reviewer_by_hand"
    APPROVED = "approved"
    REQUESTED_CHANGES = "requested_changes"
    REJECTED = "rejected"  # final, so never before an approval; named for completeness


_DECIDED = {
    Decision.APPROVE: Did.APPROVED,
    Decision.REQUEST_CHANGES: Did.REQUESTED_CHANGES,
    Decision.REJECT: Did.REJECTED,
}


@dataclass(frozen=True)
class Act:
    person: int | None  # None: the system
    did: Did
    at: datetime


@dataclass(frozen=True)
class Chain:
    """What a task's events up to its approval tell the controls."""

    acts: tuple[Act, ...]
    approved_at: datetime | None
    people: tuple[int, ...]  # the contributor and every reviewer who decided, first act first
    hand_assigned: bool


@dataclass(frozen=True)
class Accrual:
    task: UUID
    contributor: int
    amount_cents: int
    currency: str


@dataclass(frozen=True)
class ControlRow:
    task: UUID
    contributor: int
    amount_cents: int
    currency: str
    flags: tuple[Flag, ...]
    actors: tuple[Act, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "task": str(self.task),
            "contributor": self.contributor,
            "amount": str(from_cents(self.amount_cents)),
            "currency": self.currency,
            "flags": [flag.value for flag in self.flags],
            "actors": [{"person": a.person, "did": a.did.value, "at": timestamp(a.at)} for a in self.actors],
        }

    def as_csv_row(self) -> list[object]:
        values = self.as_dict()
        actors = "; ".join(
            f"{'system' if a['person'] is None else a['person']} {a['did']} {a['at']}"
            for a in values["actors"]
        )
        task, contributor, amount, currency = (values[column] for column in COLUMNS[:4])
        # The amount as a number, so the CSV keeps it a number (``marlin.kernel.safe_csv``).
        return [task, contributor, Decimal(amount), currency, ";".join(values["flags"]), actors]


# --- the rules: pure ---------------------------------------------------------------------------


def chain_of(history: Iterable[RecordedEvent]) -> Chain:
    """Fold a task's chain events (oldest first) up to its first approval."""
    acts: list[Act] = []
    people: dict[int, None] = {}  # ordered set
    hand_assigned = False
    for recorded in history:
        event = recorded.event
        at = recorded.recorded_at
        match event:
            case JudgmentSubmitted():
                acts.append(Act(event.contributor_id, Did.SUBMITTED, at))
                people.setdefault(event.contributor_id)
            case ReviewAssigned(by_hand=True):
                hand_assigned = True
                acts.append(Act(recorded.metadata.get("actor"), Did.ASSIGNED_REVIEWER_BY_HAND, at))
            case ReviewDecided():
                acts.append(Act(event.reviewer_id, _DECIDED[event.decision], at))
                people.setdefault(event.reviewer_id)
            case TaskApproved():
                people.setdefault(event.contributor_id)
                return Chain(tuple(acts), event.approved_at, tuple(people), hand_assigned)
    return Chain(tuple(acts), None, tuple(people), hand_assigned)


def control_row(accrual: Accrual, chain: Chain, registered: Mapping[int, datetime]) -> ControlRow | None:
    """The accrual's row, or None when nothing in its chain is for an auditor to see."""
    flags: list[Flag] = []
    acts = list(chain.acts)
    if chain.hand_assigned:
        flags.append(Flag.HAND_ASSIGNED_REVIEWER)
    if chain.approved_at is not None:
        since = chain.approved_at - NEW_ACCOUNT_WINDOW
        new = [
            (person, registered[person])
            for person in chain.people
            if person in registered and registered[person] > since
        ]
        if new:
            flags.append(Flag.NEW_ACCOUNT)
            acts += [Act(person, Did.REGISTERED, at) for person, at in new]
    if not flags:
        return None
    return ControlRow(
        task=accrual.task,
        contributor=accrual.contributor,
        amount_cents=accrual.amount_cents,
        currency=accrual.currency,
        flags=tuple(flags),
        actors=tuple(sorted(acts, key=lambda act: act.at)),  # stable: log order within a moment
    )


def timestamp(moment: datetime) -> str:
    """As DRF writes datetimes (ISO 8601, ``Z`` for UTC), so JSON and CSV agree."""
    return moment.astimezone(UTC).isoformat().removesuffix("+00:00") + "Z"


# --- reading the log ---------------------------------------------------------------------------


def control_rows(period: str) -> Iterator[ControlRow]:
    """The flagged accruals of ``period``, in the order they were accrued."""
    database = settings.MARLIN_REPORTS_DATABASE
    accruals = (
        PayoutEntry.objects.using(database)
        .filter(period=period, kind=EntryKind.ACCRUAL)
        .order_by("created_at", "id")
        .values_list("task_id", "contributor_id", "amount_cents", "currency")
    )
    rows = (Accrual(*values) for values in accruals.iterator(chunk_size=CHUNK))
    while chunk := list(islice(rows, CHUNK)):
        histories: dict[str, list[RecordedEvent]] = defaultdict(list)
        streams = [task_stream(accrual.task) for accrual in chunk]
        for recorded in read_streams(streams, types=CHAIN_EVENTS, using=database):
            histories[recorded.stream].append(recorded)
        chains = {accrual.task: chain_of(histories[task_stream(accrual.task)]) for accrual in chunk}
        registered = registrations({person for chain in chains.values() for person in chain.people})
        for accrual in chunk:
            row = control_row(accrual, chains[accrual.task], registered)
            if row is not None:
                yield row


def registrations(people: Iterable[int]) -> dict[int, datetime]:
    """When each person was registered: their ``PersonRegistered`` (see the module's notes)."""
    database = settings.MARLIN_REPORTS_DATABASE
    ids = sorted(set(people))
    found: dict[int, datetime] = {}
    streams = [person_stream(person) for person in ids]
    for recorded in read_streams(streams, types=[PersonRegistered.type_name], using=database):
        event = recorded.event
        if isinstance(event, PersonRegistered):
            found.setdefault(event.user_id, recorded.recorded_at)
    missing = [person for person in ids if person not in found]
    if missing:
        found.update(User.objects.using(database).filter(pk__in=missing).values_list("pk", "date_joined"))
    return found


def controls_json(period: str) -> dict[str, Any]:
    return {"period": period, "rows": [row.as_dict() for row in control_rows(period)]}


def controls_csv(period: str) -> Iterator[str]:
    """One line per flagged accrual: flags joined by ``;``, actors as ``<person> <did> <at>``
    joined by ``; ``; CRLF line ends, a header row first; every cell formula-safe."""
    yield from csv_lines([COLUMNS])
    yield from csv_lines(row.as_csv_row() for row in control_rows(period))
