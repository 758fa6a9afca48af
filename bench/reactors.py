"""Reactor benchmarks: how fast one partition works through a backlog, and what routing costs
when every reviewer is full.

Each lane is pumped from one thread, partition after partition, so the figure is one lane's
rate (what one worker process does for one partition); the raw database does the least
equivalent work in one lane: read a batch of events after a checkpoint, one single-row write per
event, move the checkpoint, commit.
"""

from __future__ import annotations

import sys
import time
import uuid
from typing import Any

from tqdm import tqdm

from bench.benchmarks import _own_skill, _people, _task_rows
from bench.measure import Result, raw_connection, result

JUDGMENT = {
    "preference": "A",
    "strength": 2,
    "rationale": "A is correct on every edge case; B drops duplicates wrongly.",
    "time_spent_minutes": 30,
}


def _project(name: str, **fields: Any) -> Any:
    from tasks.commands import project_create

    return project_create(actor_id=None, fields={"name": f"{name} {uuid.uuid4().hex[:6]}", **fields})


def _import(project: Any, n: int, prefix: str) -> None:
    from tasks.importing import task_import

    task_import(actor_id=None, project_id=project.id, rows=_task_rows(n, 1000, prefix))


def _drain(reactor_name: str) -> int:
    """Pump every partition of a reactor until nothing is left; return how many were handled."""
    from marlin import reactors

    reactor = reactors.get(reactor_name)
    total = 0
    while handled := sum(reactors.pump(reactor, p) for p in range(reactor.partitions)):
        total += handled
    return total


def _submit(project: Any, contributors: list[Any], n: int) -> list[Any]:
    """``n`` submissions, each contributor claiming and submitting in turn; the task ids."""
    from tasks.commands import task_claim, task_submit

    body = {**JUDGMENT, "scores": {c: {"a": 4, "b": 2} for c in project.criteria}}
    submitted = []
    for i in tqdm(range(n), desc="claim+submit", unit="task", file=sys.stderr):
        contributor = contributors[i % len(contributors)]
        task = task_claim(contributor_id=contributor.pk, project_id=project.id)
        task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=body)
        submitted.append(task.id)
    return submitted


def _time_lane(reactor_name: str, expected: int, desc: str) -> float:
    """Seconds for one thread to pump the reactor's backlog, partition after partition."""
    from marlin import reactors

    reactor = reactors.get(reactor_name)
    handled = 0
    with tqdm(total=expected, desc=desc, unit="event", file=sys.stderr) as bar:
        started = time.perf_counter()
        for partition in range(reactor.partitions):
            while done := reactors.pump(reactor, partition):
                handled += done
                bar.update(done)
        elapsed = time.perf_counter() - started
    assert handled == expected, f"{desc}: handled {handled} of {expected} events"
    return elapsed


def _raw_lane(url: str, n: int, *, table: str) -> float:
    """Seconds for the raw database to work through ``n`` events in one lane: batches of 100
    read after a checkpoint, one INSERT per event, the checkpoint moved once, one commit."""
    with raw_connection(url) as conn:
        conn.execute(f"CREATE TABLE {table}_event (position bigserial PRIMARY KEY, stream text, data jsonb)")
        conn.execute(f"CREATE TABLE {table}_effect (id uuid PRIMARY KEY, stream text, position bigint)")
        conn.execute(f"CREATE TABLE {table}_checkpoint (id int PRIMARY KEY, position bigint)")
        conn.execute(f"INSERT INTO {table}_checkpoint VALUES (1, 0)")
        conn.execute(
            f"INSERT INTO {table}_event (stream, data) "
            "SELECT 'task-' || g, jsonb_build_object('n', g) FROM generate_series(1, %s) g",
            [n],
        )
        conn.commit()
        started = time.perf_counter()
        while True:
            (position,) = conn.execute(
                f"SELECT position FROM {table}_checkpoint WHERE id = 1 FOR UPDATE"
            ).fetchone()
            batch = conn.execute(
                f"SELECT position, stream, data FROM {table}_event WHERE position > %s "
                "ORDER BY position LIMIT 100",
                [position],
            ).fetchall()
            if not batch:
                conn.commit()
                break
            for event_position, stream, _ in batch:
                conn.execute(
                    f"INSERT INTO {table}_effect VALUES (%s, %s, %s)", [uuid.uuid4(), stream, event_position]
                )
            conn.execute(f"UPDATE {table}_checkpoint SET position = %s WHERE id = 1", [batch[-1][0]])
            conn.commit()
        return time.perf_counter() - started


def bench_routing_events(url: str, quick: bool) -> list[Result]:
    """A backlog of submissions routed by one lane of the routing reactor."""
    n = 300 if quick else 1000
    skill = _own_skill("routing-events")
    project = _project("Routing events bench", review_layers=1, required_skills=[skill])
    _import(project, n, "rte")
    _people("reviewer", 20, capacity=100, skills=[skill])  # 2,000 places
    contributors = _people("contributor", 50, skills=[skill])
    _drain("review-routing")
    _submit(project, contributors, n)
    marlin = _time_lane("review-routing", n, "route")
    raw = _raw_lane(url, n, table="raw_routing")
    return [
        result(
            "reactors",
            f"routing, {n}-event backlog",
            "event/s",
            n / marlin,
            n / raw,
            samples=n,
            notes="one lane pumps each partition in turn; raw: batches of 100, an INSERT per event",
            name="routing_events_per_s",
        )
    ]


def bench_payout_events(url: str, quick: bool) -> list[Result]:
    """A backlog of final approvals accrued by one lane of the payouts reactor."""
    from datetime import UTC, datetime

    from marlin.eventstore.store import command_transaction
    from tasks.domain.events import TaskApproved, task_stream
    from tasks.domain.task import task_id_for
    from tasks.importing import task_import
    from tasks.selectors import load_task

    n = 300 if quick else 1000
    project = _project("Payout events bench")
    rows = _task_rows(n, 600, "pay")
    task_import(actor_id=None, project_id=project.id, rows=rows)
    contributors = _people("contributor", 20)
    _drain("payouts")
    now = datetime.now(UTC)
    with command_transaction() as uow:
        appends = []
        for index, (_, row) in enumerate(rows):
            task_id = task_id_for(project.id, row["external_id"])
            state, version = load_task(task_id)
            approved = TaskApproved(
                task_id, project.id, contributors[index % len(contributors)].pk, state.rate, "USD", now
            )
            appends.append((task_stream(task_id), version, [approved]))
        uow.append_many(appends)
    marlin = _time_lane("payouts", n, "accrue")
    raw = _raw_lane(url, n, table="raw_payout")
    return [
        result(
            "reactors",
            f"payouts, {n}-event backlog",
            "event/s",
            n / marlin,
            n / raw,
            samples=n,
            notes="one lane pumps each partition in turn; raw: batches of 100, an INSERT per event",
            name="payout_events_per_s",
        )
    ]


def bench_routing_when_full(url: str, quick: bool) -> list[Result]:
    """The queries routing spends on a decision while every reviewer is full and work waits.

    Three reviewers hold their capacity and ``waiting`` tasks queue; one decides, and before the
    decision's routing runs another router gives the freed place away (as a concurrent worker
    would). The routing reactor's handler for the decision is then counted: it can assign nothing.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from marlin import reactors
    from marlin.eventstore.models import Event
    from marlin.eventstore.store import RecordedEvent, command_transaction
    from reviews import commands
    from reviews.models import AwaitingReview, ReviewAssignment

    waiting = 50 if quick else 200
    skill = _own_skill("routing-when-full")
    reviewers = _people("reviewer", 3, capacity=2, skills=[skill])
    project = _project("Routing when full bench", review_layers=1, required_skills=[skill])
    _import(project, 6 + waiting, "full")
    contributors = _people("contributor", 20, skills=[skill])
    _submit(project, contributors, 6 + waiting)
    _drain("review-routing")
    ours = AwaitingReview.objects.filter(task__project_id=project.id)  # earlier steps' work waits too
    assert ours.count() == waiting

    decided = ReviewAssignment.objects.filter(reviewer_id=reviewers[0].pk, status="pending").first()
    commands.review_decide(reviewer_id=reviewers[0].pk, assignment_id=decided.id, decision="approve")
    oldest = ours.order_by("waiting_since", "task_id").values_list("task_id", flat=True)[0]
    assert commands.review_route(task_id=oldest) is not None  # the freed place is taken again

    row = Event.objects.filter(type="ReviewDecided").order_by("-position").first()
    recorded = RecordedEvent.from_row(row)
    handler = reactors.get("review-routing").handlers["ReviewDecided"]
    with command_transaction(), CaptureQueriesContext(connection) as queries:
        handler(recorded.event, recorded)
    assert ours.count() == waiting - 1
    return [
        result(
            "reactors",
            f"decision while all full, {waiting} waiting",
            "queries",
            len(queries),
            None,
            samples=1,
            notes="queries of the routing handler for ReviewDecided when nobody has room",
            name="routing_queries_when_full",
        )
    ]
