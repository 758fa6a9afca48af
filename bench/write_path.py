"""The write path: commands per second from several processes, and round trips per HTTP write.

``bench_commands_per_s``: claim + submit commands (no HTTP) from 2 and 8 OS processes against
single-row commits from as many processes; with the locked section's length from the moment the
append statement returns (it took the counter's row lock, chained the hashes and inserted the
events) to the end of the commit. The statement's own work after its lock is granted runs on the
server and is not in the figure.
``bench_round_trips``: statements per claim, submission and decision through the HTTP API,
counted in-process as the test ``tests/marlin/test_round_trips.py`` counts them (every statement
but ``BEGIN`` and ``COMMIT``), against the fewest raw statements that do the same job.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
import uuid
from typing import Any

from bench.measure import Result, percentile, raw_connection, result

JUDGMENT_RATIONALE = "A is correct on every edge case; B drops duplicates and loses the order."

# The fewest statements that do each job on the raw database (BEGIN and COMMIT not counted):
# claim: one UPDATE of the next open row picked FOR UPDATE SKIP LOCKED, one INSERT of the event;
# submission and decision: the row the change writes, the task's UPDATE, the event's INSERT.
RAW_STATEMENTS = {"claim": 2, "submission": 3, "decision": 3}


# --- commands per second ------------------------------------------------------------------------


def bench_commands_per_s(url: str, quick: bool) -> list[Result]:
    seconds = 4.0 if quick else 10.0
    results: list[Result] = []
    for processes in (2, 8):
        commands, locked = _commands_from(processes, seconds)
        raw = _raw_commits_from(url, processes, seconds)
        results.append(
            result(
                "write_path",
                f"claim + submit commands/s, {processes} processes",
                "commands/s",
                commands,
                raw,
                samples=processes,
                notes="no HTTP; raw: single-row INSERT + COMMIT from as many processes",
                name=f"commands_per_s_{processes}proc",
            )
        )
        if locked:
            results.append(
                result(
                    "write_path",
                    f"locked section p50, {processes} processes",
                    "ms",
                    statistics.median(locked),
                    None,
                    samples=len(locked),
                    notes=f"append statement returned -> commit done; p99 {percentile(locked, 99):.2f} ms",
                )
            )
    return results


def _commands_from(processes: int, seconds: float) -> tuple[float, list[float]]:
    from bench.benchmarks import _own_skill, _people, _task_rows
    from tasks.commands import project_create
    from tasks.importing import task_import

    per_process = 2500 if seconds > 5 else 600
    skill = _own_skill("write-path")  # its thousands of submissions wait for no other step's reviewers
    project = project_create(
        actor_id=None,
        fields={"name": f"Write path {processes} {uuid.uuid4().hex[:6]}", "required_skills": [skill]},
    )
    task_import(actor_id=None, project_id=project.id, rows=_task_rows(per_process * processes, 1000, "wp"))
    contributors = [person.pk for person in _people("contributor", processes, skills=[skill])]
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    outbox = context.Queue()
    workers = [
        context.Process(
            target=_command_worker, args=(pk, str(project.id), list(project.criteria), start, seconds, outbox)
        )
        for pk in contributors
    ]
    for worker in workers:
        worker.start()
    ready = [outbox.get(timeout=120) for _ in workers]
    assert all(message == "ready" for message in ready), ready
    start.set()
    done = [outbox.get(timeout=seconds + 120) for _ in workers]
    for worker in workers:
        worker.join(30)
    total = sum(count for count, _, _ in done)
    elapsed = max(spent for _, spent, _ in done)
    locked = [ms for _, _, samples in done for ms in samples]
    print(f"   {processes} processes: {total} commands in {elapsed:.1f} s", file=sys.stderr)
    return total / elapsed, locked


# The store's one-statement append (``_chained_insert_sql``): it locks the counter as it starts.
APPEND_STATEMENT_STARTS = "WITH RECURSIVE\nhead AS MATERIALIZED ("


def _command_worker(  # noqa: PLR0917 - a process target takes its arguments by position
    contributor_id: int, project_id: str, criteria: list[str], start: Any, seconds: float, outbox: Any
) -> None:
    import django

    django.setup()
    from django.db import connection, transaction

    from tasks.commands import task_claim, task_submit

    locked: list[float] = []

    def time_locked_section(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        outcome = execute(sql, params, many, context)
        if sql.startswith(APPEND_STATEMENT_STARTS):
            held_from = time.perf_counter()
            transaction.on_commit(lambda: locked.append((time.perf_counter() - held_from) * 1000))
        return outcome

    body = {
        "preference": "A",
        "strength": 2,
        "rationale": JUDGMENT_RATIONALE,
        "scores": {c: {"a": 4, "b": 2} for c in criteria},
        "time_spent_minutes": 30,
    }
    connection.ensure_connection()
    outbox.put("ready")
    start.wait()
    commands = 0
    began = time.perf_counter()
    with connection.execute_wrapper(time_locked_section):
        while time.perf_counter() - began < seconds:
            task = task_claim(contributor_id=contributor_id, project_id=uuid.UUID(project_id))
            if task is None:
                break
            task_submit(contributor_id=contributor_id, task_id=task.id, judgment=body)
            commands += 2
    outbox.put((commands, time.perf_counter() - began, locked))


def _raw_commits_from(url: str, processes: int, seconds: float) -> float:
    with raw_connection(url) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS raw_write_path (id bigserial PRIMARY KEY, body text)")
        conn.commit()
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    outbox = context.Queue()
    workers = [
        context.Process(target=_raw_worker, args=(url, start, seconds, outbox)) for _ in range(processes)
    ]
    for worker in workers:
        worker.start()
    assert all(outbox.get(timeout=60) == "ready" for _ in workers)
    start.set()
    done = [outbox.get(timeout=seconds + 60) for _ in workers]
    for worker in workers:
        worker.join(30)
    return sum(count for count, _ in done) / max(spent for _, spent in done)


def _raw_worker(url: str, start: Any, seconds: float, outbox: Any) -> None:
    with raw_connection(url) as conn:
        outbox.put("ready")
        start.wait()
        commits = 0
        began = time.perf_counter()
        while time.perf_counter() - began < seconds:
            conn.execute("INSERT INTO raw_write_path (body) VALUES (%s)", ["x" * 200])
            conn.commit()
            commits += 1
        outbox.put((commits, time.perf_counter() - began))


# --- round trips per HTTP write -------------------------------------------------------------------


def bench_round_trips(url: str, quick: bool) -> list[Result]:
    counted = {name: [] for name in RAW_STATEMENTS}
    for _ in range(3 if quick else 10):
        for name, statements in _one_approved_task().items():
            counted[name].append(statements)
    return [
        result(
            "write_path",
            f"statements per {name}",
            "queries",
            max(counts),
            RAW_STATEMENTS[name],
            samples=len(counts),
            notes=(
                "HTTP in-process, no Idempotency-Key; every statement of the request but BEGIN and "
                "COMMIT (auth, reads, writes, response), as issue 12 and tests/marlin/test_round_trips.py"
            ),
            name=f"round_trips_{name}",
        )
        for name, counts in counted.items()
    ]


def _one_approved_task() -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from knox.models import AuthToken

    from bench.benchmarks import _own_skill, _people, _task_rows
    from marlin import reactors
    from reviews.models import ReviewAssignment
    from tasks.commands import project_create
    from tasks.importing import task_import

    skill = _own_skill("round-trips")  # its reviewer is not filled with earlier steps' waiting work
    project = project_create(
        actor_id=None, fields={"name": f"Round trips {uuid.uuid4().hex[:6]}", "required_skills": [skill]}
    )
    task_import(actor_id=None, project_id=project.id, rows=_task_rows(2, 4000, uuid.uuid4().hex[:6]))
    [contributor] = _people("contributor", 1, skills=[skill])
    _people("reviewer", 1, reviewer_level=3, skills=[skill])
    as_contributor = Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(contributor)[1]}")
    body = {
        "preference": "A",
        "strength": 2,
        "rationale": JUDGMENT_RATIONALE,
        "scores": {c: {"a": 4, "b": 2} for c in project.criteria},
        "time_spent_minutes": 30,
    }

    def counted(client: Client, path: str, data: dict[str, Any], status: int) -> tuple[Any, int]:
        with CaptureQueriesContext(connection) as queries:
            response = client.post(path, data, content_type="application/json")
        assert response.status_code == status, response.content
        statements = [q for q in queries.captured_queries if q["sql"] not in ("BEGIN", "COMMIT")]
        return response, len(statements)

    claimed, claim = counted(as_contributor, "/api/v1/tasks/claim/", {"project": str(project.id)}, 201)
    task_id = claimed.json()["id"]
    _, submission = counted(as_contributor, f"/api/v1/tasks/{task_id}/submissions/", body, 201)
    while reactors.pump_all():
        pass
    review = ReviewAssignment.objects.select_related("reviewer").get(task_id=task_id, status="pending")
    as_reviewer = Client(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(review.reviewer)[1]}")
    _, decision = counted(as_reviewer, f"/api/v1/reviews/{review.id}/decision/", {"decision": "approve"}, 200)
    return {"claim": claim, "submission": submission, "decision": decision}
