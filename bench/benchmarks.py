"""The benchmarks: each times Marlin doing a real job and the raw database doing the least
equivalent work on the same run."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tqdm import tqdm

from bench.measure import Result, percentile, raw_connection, result

ROOT = Path(__file__).resolve().parent.parent


def _people(role: str, n: int, **fields: Any) -> list[Any]:
    from people.commands import person_register

    prefix = uuid.uuid4().hex[:6]
    return [
        person_register(
            actor_id=None,
            username=f"{role}-{prefix}-{i}",
            password="bench-passphrase-1",
            email=f"{role}{i}@bench.example",
            name=f"{role} {i}",
            roles=[role],
            **fields,
        )
        for i in range(n)
    ]


def _own_skill(step: str) -> str:
    """A skill that only this step's project requires and only its people have. Steps share one
    database and routing is oldest first across projects: without it, a later step's reviewers
    would first be given the work an earlier step left waiting (the commands step leaves
    thousands), and an earlier step's idle reviewers would take this step's."""
    return f"{step}-{uuid.uuid4().hex[:6]}"


def _task_rows(n: int, size: int, prefix: str) -> list[tuple[int, dict[str, Any]]]:
    code = "def solve(xs):\n    return sorted(set(xs))\n"
    body = (code * (size // len(code) + 1))[: size // 3]
    return [
        (
            i,
            {
                "external_id": f"{prefix}-{i}",
                "prompt": f"Task {i}: " + body,
                "response_a": body,
                "response_b": body[::-1],
                "model_a": "atlas-70b",
                "model_b": "corvid-xl",
                "tags": ["python"],
                "priority": i % 3,
            },
        )
        for i in range(1, n + 1)
    ]


def bench_import(url: str, quick: bool) -> list[Result]:
    """A 10,000-task import (about 4 KB each) through the import command, against inserting the
    same rows and an event per row with psycopg's executemany."""
    from tasks.commands import project_create
    from tasks.importing import task_import

    n = 1000 if quick else 10_000
    rows = _task_rows(n, 4000, "imp")
    project = project_create(actor_id=None, fields={"name": f"Import bench {uuid.uuid4().hex[:6]}"})
    with tqdm(total=n, desc="import", unit="task", file=sys.stderr) as bar:
        started = time.perf_counter()
        outcome = task_import(actor_id=None, project_id=project.id, rows=rows, progress=bar.update)
        marlin = time.perf_counter() - started
    assert outcome.created == n, outcome.as_dict()

    with raw_connection(url) as conn:
        conn.execute(
            "CREATE TABLE raw_task (id uuid PRIMARY KEY, external_id text, prompt text, response_a text, "
            "response_b text, model_a text, model_b text, tags jsonb, priority int)"
        )
        conn.execute("CREATE TABLE raw_event (position bigserial PRIMARY KEY, stream text, data jsonb)")
        conn.commit()
        started = time.perf_counter()
        with conn.cursor() as cur:
            for start in range(0, n, 500):
                chunk = rows[start : start + 500]
                cur.executemany(
                    "INSERT INTO raw_task VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)",
                    [
                        (uuid.uuid4(), r["external_id"], r["prompt"], r["response_a"], r["response_b"],
                         r["model_a"], r["model_b"], json.dumps(r["tags"]), r["priority"])
                        for _, r in chunk
                    ],
                )  # fmt: skip
                cur.executemany(
                    "INSERT INTO raw_event (stream, data) VALUES (%s, %s)",
                    [(f"task-{r['external_id']}", json.dumps(r)) for _, r in chunk],
                )
                conn.commit()
        raw = time.perf_counter() - started
    return [
        result(
            "import",
            f"{n} tasks, seconds",
            "s",
            marlin,
            raw,
            samples=n,
            notes="task_import vs executemany of rows + events",
        ),
        result("import", "tasks per second", "task/s", n / marlin, n / raw, samples=n),
        result(
            "import",
            "import / raw executemany",
            "x",
            marlin / raw,
            None,
            samples=n,
            notes="goal: <= 2.5",
            name="import_ratio",
        ),
    ]


_CLIENT: Any = None


def _client_for(user: Any) -> Any:
    """One in-process client (its handler and middleware load once, as in a server), acting as
    ``user`` from now on."""
    from rest_framework.test import APIClient

    global _CLIENT  # noqa: PLW0603 - one handler per process, as a server has
    if _CLIENT is None:
        _CLIENT = APIClient()
    _CLIENT.credentials(HTTP_AUTHORIZATION=f"Token {_tokens([user])[0]}")
    return _CLIENT


def _tokens(users: list[Any]) -> list[str]:
    """A real API token each, made as ``POST auth/token/`` makes them (only the digest is kept)."""
    from knox.models import AuthToken

    return [AuthToken.objects.create(user)[1] for user in users]


def bench_claim(url: str, quick: bool) -> list[Result]:
    """Claims through the HTTP API, one contributor each, against the raw SKIP LOCKED claim."""
    from tasks.commands import project_create
    from tasks.importing import task_import

    n = 100 if quick else 500
    project = project_create(actor_id=None, fields={"name": f"Claim bench {uuid.uuid4().hex[:6]}"})
    task_import(actor_id=None, project_id=project.id, rows=_task_rows(n, 1000, "clm"))
    people = _people("contributor", n)
    client = _client_for(people[0])
    timings = []
    for token in tqdm(_tokens(people), desc="claim", unit="claim", file=sys.stderr):
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        started = time.perf_counter()
        response = client.post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 201, response.content

    with raw_connection(url) as conn:
        conn.execute("CREATE TABLE raw_queue (id serial PRIMARY KEY, status text, priority int, holder int)")
        conn.execute("CREATE INDEX ON raw_queue (status, priority DESC, id)")
        conn.execute(
            "INSERT INTO raw_queue (status, priority) SELECT 'open', g %% 3 FROM generate_series(1, %s) g",
            [n],
        )
        conn.commit()
        raw_timings = _raw_claims(conn, "raw_queue", "priority DESC, id", n)
    return [
        result(
            "claim",
            "mean per claim",
            "ms",
            statistics.mean(timings),
            statistics.mean(raw_timings),
            samples=n,
            notes="HTTP API in-process vs SELECT ... FOR UPDATE SKIP LOCKED + UPDATE",
        ),
        result(
            "claim", "p99 per claim", "ms", percentile(timings, 99), percentile(raw_timings, 99), samples=n
        ),
    ]


def bench_task_list(url: str, quick: bool) -> list[Result]:
    """A page of 100 tasks for ops through the API, against selecting those rows raw."""
    from people.commands import person_register

    ops = person_register(
        actor_id=None, username=f"ops-{uuid.uuid4().hex[:6]}", password="bench-passphrase-1",
        email="ops@bench.example", name="Ops", roles=["ops"],
    )  # fmt: skip
    client = _client_for(ops)
    n = 20 if quick else 60  # a mean of a steady query: more samples only lengthen the run
    timings = []
    for _ in tqdm(range(n), desc="task list", unit="request", file=sys.stderr):
        started = time.perf_counter()
        response = client.get("/api/v1/tasks/", {"page_size": 100})
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    raw_timings = []
    with raw_connection(url) as conn:
        for _ in range(n):
            started = time.perf_counter()
            conn.execute(
                "SELECT t.*, s.* FROM tasks_task t "
                "LEFT JOIN tasks_submission s ON s.id = t.current_submission_id "
                "ORDER BY t.priority DESC, t.created_at, t.import_row, t.id LIMIT 100"
            ).fetchall()
            conn.execute("SELECT count(*) FROM tasks_task").fetchone()
            raw_timings.append((time.perf_counter() - started) * 1000)
    return [
        result(
            "task_list",
            "mean per page of 100",
            "ms",
            statistics.mean(timings),
            statistics.mean(raw_timings),
            samples=n,
            notes="GET /api/v1/tasks/ (auth, query, serialize) vs the same SELECT and COUNT",
        ),
    ]


def _wait_until_routing_caught_up(timeout: float = 180) -> None:
    """Let the worker route what earlier steps left in the log (the commands step alone leaves
    thousands of unrouted submissions) before the measure starts: that backlog is not the
    latency of a submission arriving now, and would make the figure depend on the steps' order."""
    from marlin import reactor_checkpoints
    from reviews.reactors import routing

    deadline = time.monotonic() + timeout
    while any(reactor_checkpoints.has_new_events(routing, p) for p in range(routing.partitions)):
        if time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not catch up with the routing backlog in {timeout:.0f} s")
        time.sleep(0.2)


def bench_routing_latency(url: str, broker_url: str, quick: bool) -> list[Result]:
    """Time from a submission's commit to its review assignment, with a real Celery worker."""
    from marlin.eventstore.models import Event
    from tasks.commands import project_create, task_claim, task_submit
    from tasks.domain.events import task_stream
    from tasks.importing import task_import

    n = 60 if quick else 300
    skill = _own_skill("routing-latency")
    project = project_create(
        actor_id=None, fields={"name": f"Routing bench {uuid.uuid4().hex[:6]}", "required_skills": [skill]}
    )
    task_import(actor_id=None, project_id=project.id, rows=_task_rows(n, 1000, "rt"))
    _people("reviewer", 20, capacity=50, skills=[skill])
    contributors = _people("contributor", n, skills=[skill])
    claimed = [task_claim(contributor_id=c.pk, project_id=project.id) for c in contributors]
    import redis

    redis.Redis.from_url(broker_url).flushdb()
    worker = _start_worker(url, broker_url)
    try:
        _wait_until_routing_caught_up()
        body = {
            "preference": "A", "strength": 2,
            "rationale": "A is correct on every edge case; B drops duplicates wrongly.",
            "scores": {c: {"a": 4, "b": 2} for c in project.criteria}, "time_spent_minutes": 30,
        }  # fmt: skip
        for contributor, task in tqdm(
            list(zip(contributors, claimed, strict=True)), desc="submit", file=sys.stderr
        ):
            task_submit(contributor_id=contributor.pk, task_id=task.id, judgment=body)
            time.sleep(0.02)  # arrivals, not a backlog: about 50 submissions a second
        # Only this benchmark's tasks: other steps share the database and its log.
        streams = [task_stream(task.id) for task in claimed]
        ours = Event.objects.filter(stream__in=streams)
        deadline = time.monotonic() + 60
        while ours.filter(type="ReviewAssigned").count() < n and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        _stop(worker)
    submitted = dict(ours.filter(type="JudgmentSubmitted").values_list("data__task_id", "recorded_at"))
    assigned = dict(ours.filter(type="ReviewAssigned").values_list("data__task_id", "recorded_at"))
    latencies = [(assigned[t] - submitted[t]).total_seconds() * 1000 for t in submitted if t in assigned]
    assert len(latencies) == n, f"only {len(latencies)} of {n} submissions were assigned"

    raw_timings = []
    with raw_connection(url) as conn:
        conn.execute("CREATE TABLE raw_commit (id serial PRIMARY KEY, at timestamptz DEFAULT now())")
        for _ in range(n):
            started = time.perf_counter()
            conn.execute("INSERT INTO raw_commit DEFAULT VALUES")
            conn.commit()
            raw_timings.append((time.perf_counter() - started) * 1000)
    notes = "commit of JudgmentSubmitted to commit of ReviewAssigned; raw: one INSERT + COMMIT"
    return [
        result(
            "routing_latency",
            "p50",
            "ms",
            percentile(latencies, 50),
            percentile(raw_timings, 50),
            samples=n,
            notes=notes,
        ),
        result(
            "routing_latency", "p95", "ms", percentile(latencies, 95), percentile(raw_timings, 95), samples=n
        ),
        result(
            "routing_latency",
            "p99",
            "ms",
            percentile(latencies, 99),
            percentile(raw_timings, 99),
            samples=n,
            notes="goal (issue 12): at most 150 ms",
            name="routing_latency_p99_ms",
        ),
        result("routing_latency", "max", "ms", max(latencies), max(raw_timings), samples=n),
    ]


def _stop(worker: subprocess.Popen[bytes]) -> None:
    """Warm shutdown lets the pump in hand finish; one stuck behind a backlog is killed."""
    import signal

    worker.terminate()
    try:
        worker.wait(60)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)  # its pool and beat too: the group it leads
        worker.wait(10)


def _start_worker(url: str, broker_url: str) -> subprocess.Popen[bytes]:
    """A real worker; its log goes to a file (a pipe nobody reads would block it when full)."""
    env = {**os.environ, "DATABASE_URL": url, "CELERY_BROKER_URL": broker_url, "LOG_LEVEL": "WARNING"}
    log_path = Path(tempfile.mkstemp(prefix="marlin-bench-worker-", suffix=".log")[1])
    # With beat (-B), as production runs one: a wake-up that goes missing is picked up by the 2 s
    # reactor sweep and shows in the latencies, rather than never being assigned.
    command = [
        sys.executable, "-m", "celery", "-A", "marlin", "worker", "--loglevel=INFO", "--concurrency=2",
        "--without-gossip", "--without-mingle", f"--hostname=bench-{uuid.uuid4().hex[:6]}@%h",
        "-B", "-s", str(log_path.with_suffix(".beat-schedule")),
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log_path.read_bytes():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the bench worker did not start:\n{log_path.read_text()}")
        time.sleep(0.1)
    return process


def bench_rebuild(url: str, quick: bool) -> list[Result]:
    """Replaying a simulated log (claims, releases, expiries, submissions, reviews, payouts) into
    fresh projections, against reading the same log raw.

    The log is made in a database of its own (``_simulated_log``), so it holds none of the
    other benchmarks' batched imports."""
    from django.db import connections

    from marlin import projections
    from marlin.eventstore.store import head_position

    target = 2_000 if quick else 20_000
    with _own_database(url, "rebuild") as own_url:
        with tqdm(total=target, desc="simulate", unit="event", file=sys.stderr) as bar:
            _simulated_log(target, progress=lambda: bar.update(head_position() - bar.n))
        events = head_position()
        connections["default"].close()
        # Each side's median of REBUILD_RUNS, alternating: on two shared cores one read of the
        # log moved by half from run to run (0.32 to 0.50 s), and the ratio with it.
        rebuilds, reads = [], []
        with tqdm(total=events * REBUILD_RUNS, desc="rebuild", unit="event", file=sys.stderr) as bar:
            for _ in range(REBUILD_RUNS):
                started = time.perf_counter()
                projections.rebuild(progress=bar.update)
                rebuilds.append(time.perf_counter() - started)
                reads.append(_read_the_log_raw(own_url))
        marlin, raw = statistics.median(rebuilds), statistics.median(reads)
    return [
        result(
            "rebuild",
            f"{events} events, seconds",
            "s",
            marlin,
            raw,
            samples=events,
            notes=f"rebuild_projections vs reading the log; a simulated log; medians of {REBUILD_RUNS}",
        ),
        result(
            "rebuild",
            "rebuild / raw read",
            "x",
            marlin / raw,
            None,
            samples=events,
            notes="goal: <= 5",
            name="rebuild_ratio",
        ),
    ]


REBUILD_RUNS = 3


def _read_the_log_raw(url: str) -> float:
    """Seconds for psycopg to read the whole log in order, as a cursor of plain rows."""
    with raw_connection(url) as conn:
        started = time.perf_counter()
        with conn.cursor(name="scan") as cur:
            cur.execute("SELECT * FROM eventstore_event ORDER BY position")
            while cur.fetchmany(2000):
                pass
        return time.perf_counter() - started


def _simulated_log(target: int, *, progress: Callable[[], None]) -> None:
    """A log of at least ``target`` events with the mix of a working day: imports, claims (some
    released and claimed again), submissions, review assignments (some expiring and going to
    another reviewer), approvals, requests for changes and revisions, rejections, two review
    layers, and the payouts reactor's accruals.

    ``manage.py simulate`` makes such a log through the commands one by one (about 30 events a
    second here, ten minutes for 20,000); this decides every task's history with the same
    deciders the commands call, folds it in memory, and appends a hundred tasks' histories per
    transaction, projected live."""
    import random

    from marlin import reactors
    from marlin.eventstore.store import command_transaction, head_position
    from marlin.kernel import clock
    from tasks.commands import project_create
    from tasks.domain import task as task_domain
    from tasks.domain.events import task_stream
    from tasks.importing import task_import
    from tasks.selectors import load_task, project_policy

    chance = random.Random(7)
    contributors = [person.pk for person in _people("contributor", 40)]
    reviewers = [person.pk for person in _people("reviewer", 12, reviewer_level=3, capacity=100)]
    projects = [
        project_create(
            actor_id=None, fields={"name": f"Sim {layers} {uuid.uuid4().hex[:6]}", "review_layers": layers}
        )
        for layers in (1, 2)
    ]
    payouts = reactors.get("payouts")
    batch = 0
    while head_position() < target:
        batch += 1
        project = projects[batch % 2]
        policy = project_policy(project.id)
        rows = _task_rows(100, 300, f"sim{batch}")
        task_import(actor_id=None, project_id=project.id, rows=rows)
        now = clock.now()
        with command_transaction() as uow:
            appends = []
            for _, row in rows:
                task_id = task_domain.task_id_for(project.id, row["external_id"])
                state, version = load_task(task_id)
                contributor = chance.choice(contributors)
                history = _task_history(
                    state, policy, contributor=contributor, reviewers=reviewers, chance=chance, now=now
                )
                appends.append((task_stream(task_id), version, history))
            uow.append_many(appends)
        while sum(reactors.pump(payouts, p) for p in range(payouts.partitions)):
            pass
        progress()


def _task_history(
    state: Any, policy: Any, *, contributor: int, reviewers: list[int], chance: Any, now: datetime
) -> list[Any]:
    """One imported task's life, decided as the commands decide it, folded in memory."""
    from datetime import timedelta

    from reviews import domain as review_domain
    from tasks.domain import task as task_domain
    from tasks.domain.judgment import clean_judgment
    from tasks.domain.review_round import Decision

    history: list[Any] = []

    def do(events: list[Any]) -> None:
        nonlocal state
        for event in events:
            state = task_domain.evolve(state, event)
        history.extend(events)

    def claim() -> list[Any]:  # each claim draws its presentation order, as production does
        coin = chance.random() < 0.5
        return task_domain.decide_claim(state, contributor_id=contributor, project=policy, now=now, coin=coin)

    if chance.random() < 0.1:
        do(claim())
        do(task_domain.decide_release(state, contributor_id=contributor))
    do(claim())
    judgment = {
        "preference": "A", "strength": 2, "time_spent_minutes": 30,
        "rationale": "A handles the edge cases the prompt names and B does not.",
        "scores": {c: {"a": 4, "b": 2} for c in policy.criteria},
    }  # fmt: skip
    submit = {"contributor_id": contributor, "judgment": clean_judgment(judgment, policy.criteria)}
    do(task_domain.decide_submit(state, **submit, submission_id=uuid.uuid4(), now=now))
    while state.status == task_domain.TaskStatus.IN_REVIEW and len(history) < 40:
        taken = state.reviewers_at_other_layers(state.layer or 1)
        reviewer = chance.choice([r for r in reviewers if r not in taken])
        assignment = uuid.uuid4()
        do(review_domain.decide_assign(
            state, reviewer_id=reviewer, assignment_id=assignment, policy=policy, now=now
        ))  # fmt: skip
        if chance.random() < 0.08:
            do(review_domain.decide_expire(state, assignment_id=assignment, now=now + timedelta(days=30)))
            continue
        roll = chance.random()
        decision = review_domain.ReviewDecision(Decision.APPROVE)
        if roll < 0.15 and state.revisions_requested < policy.max_revisions:
            decision = review_domain.ReviewDecision(
                Decision.REQUEST_CHANGES, "Justify the strength.", ("weak_rationale",)
            )
        elif roll < 0.22:
            decision = review_domain.ReviewDecision(
                Decision.REJECT, "Scores contradict the pick.", ("inconsistent_scores",)
            )
        do(review_domain.decide_review(
            state, assignment_id=assignment, reviewer_id=reviewer, decision=decision,
            policy=policy, now=now,
        ))  # fmt: skip
        if state.status == task_domain.TaskStatus.CHANGES_REQUESTED:
            do(task_domain.decide_submit(state, **submit, submission_id=uuid.uuid4(), now=now))
    return history


@contextmanager
def _own_database(url: str, suffix: str) -> Iterator[str]:
    """A fresh, migrated database for one benchmark; Django's default connection uses it inside."""
    from django.core.management import call_command
    from django.db import connections

    connection = connections["default"]
    name = f"{connection.settings_dict['NAME']}_{suffix}"
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with raw_connection(admin) as conn:
        conn.autocommit = True
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    saved = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = name
    try:
        call_command("migrate", verbosity=0)
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved
        with raw_connection(admin) as conn:
            conn.autocommit = True
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def bench_claim_after_import(url: str, quick: bool) -> list[Result]:
    """Claims through the command right after a 10,000-task import (no manual ANALYZE: the import
    refreshes statistics itself), against the raw SKIP LOCKED claim on a table of the same rows."""
    from tasks.commands import project_create, task_claim
    from tasks.importing import task_import

    n, claims = (1000, 50) if quick else (10_000, 300)
    contributors = _people("contributor", claims)
    project = project_create(actor_id=None, fields={"name": f"Claim after import {uuid.uuid4().hex[:6]}"})
    rows = _task_rows(n, 4000, "cai")
    task_import(actor_id=None, project_id=project.id, rows=rows)
    timings = []
    for contributor in tqdm(contributors, desc="claim after import", unit="claim", file=sys.stderr):
        started = time.perf_counter()
        claimed = task_claim(contributor_id=contributor.pk, project_id=project.id)
        timings.append((time.perf_counter() - started) * 1000)
        assert claimed is not None

    with raw_connection(url) as conn:
        conn.execute(
            "CREATE TABLE raw_open_task (id serial PRIMARY KEY, status text, priority int, "
            "created_at timestamptz DEFAULT now(), prompt text, response_a text, response_b text, holder int)"
        )
        conn.execute("CREATE INDEX ON raw_open_task (priority DESC, created_at, id) WHERE status = 'open'")
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO raw_open_task (status, priority, prompt, response_a, response_b) "
                "VALUES ('open', %s, %s, %s, %s)",
                [(r["priority"], r["prompt"], r["response_a"], r["response_b"]) for _, r in rows],
            )
        conn.commit()
        raw_timings = _raw_claims(conn, "raw_open_task", "priority DESC, created_at, id", claims)
    notes = f"task_claim right after a {n}-task import vs SELECT ... FOR UPDATE SKIP LOCKED + UPDATE"
    return [
        result(
            "claim_after_import",
            "p50 per claim",
            "ms",
            percentile(timings, 50),
            percentile(raw_timings, 50),
            samples=claims,
            notes=notes,
        ),
        result(
            "claim_after_import",
            "p99 per claim",
            "ms",
            percentile(timings, 99),
            percentile(raw_timings, 99),
            samples=claims,
            notes="goal: <= 5 ms",
            name="claim_after_import_p99_ms",
        ),
    ]


def bench_report(url: str, quick: bool) -> list[Result]:
    """The finance report for a week of approvals, JSON and streamed CSV through the API, against
    the raw GROUP BY over the same entries."""
    from marlin import reactors
    from marlin.eventstore.store import command_transaction
    from payments.periods import period_of
    from people.commands import person_register
    from tasks.commands import project_create
    from tasks.domain.events import TaskApproved, task_stream
    from tasks.importing import task_import
    from tasks.selectors import load_task

    n, people = (300, 30) if quick else (2000, 200)
    contributors = _people("contributor", people)
    project = project_create(actor_id=None, fields={"name": f"Report bench {uuid.uuid4().hex[:6]}"})
    rows = _task_rows(n, 600, "rep")
    task_import(actor_id=None, project_id=project.id, rows=rows)
    from tasks.domain.task import task_id_for

    now = datetime.now(UTC)
    with command_transaction() as uow:
        appends = []
        for index, (_, row) in enumerate(rows):
            task_id = task_id_for(project.id, row["external_id"])
            state, version = load_task(task_id)
            approved = TaskApproved(
                task_id, project.id, contributors[index % people].pk, state.rate, "USD", now
            )
            appends.append((task_stream(task_id), version, [approved]))
        uow.append_many(appends)
    payouts = reactors.get("payouts")
    with tqdm(total=n, desc="accrue", unit="payout", file=sys.stderr) as bar:
        while handled := sum(reactors.pump(payouts, p) for p in range(payouts.partitions)):
            bar.update(handled)
    period = period_of(now)
    finance = person_register(
        actor_id=None, username=f"fin-{uuid.uuid4().hex[:6]}", password="bench-passphrase-1",
        email="fin@bench.example", name="Finance", roles=["finance"],
    )  # fmt: skip
    client = _client_for(finance)
    json_timings, csv_timings = [], []
    for _ in tqdm(range(10 if quick else 20), desc="report", file=sys.stderr):
        started = time.perf_counter()
        assert client.get("/api/v1/payouts/report/", {"period": period}).status_code == 200
        json_timings.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        response = client.get("/api/v1/payouts/report/", {"period": period, "format": "csv"})
        b"".join(response.streaming_content)
        csv_timings.append((time.perf_counter() - started) * 1000)
    raw_timings = []
    with raw_connection(url) as conn:
        for _ in range(len(json_timings)):
            started = time.perf_counter()
            conn.execute(
                "SELECT e.contributor_id, e.currency, u.name, u.email, "
                "count(*) FILTER (WHERE kind = 'accrual'), "
                "sum(amount_cents) FILTER (WHERE kind = 'accrual'), "
                "sum(amount_cents) FILTER (WHERE kind = 'reversal'), sum(amount_cents), "
                "(SELECT sum(y.amount_cents) FROM payments_payoutentry y "
                " WHERE y.contributor_id = e.contributor_id "
                " AND y.currency = e.currency AND y.period BETWEEN %s AND %s) "
                "FROM payments_payoutentry e JOIN people_user u ON u.id = e.contributor_id "
                "WHERE e.period = %s GROUP BY e.contributor_id, e.currency, u.name, u.email "
                "ORDER BY e.contributor_id",
                [f"{period[:4]}-W01", period, period],
            ).fetchall()
            raw_timings.append((time.perf_counter() - started) * 1000)
    raw = statistics.mean(raw_timings)
    notes = f"{n} approvals over {people} contributors; raw: the same GROUP BY"
    return [
        result(
            "report",
            "JSON, mean",
            "ms",
            statistics.mean(json_timings),
            raw,
            samples=len(json_timings),
            notes=notes,
        ),
        result(
            "report", "CSV streamed, mean", "ms", statistics.mean(csv_timings), raw, samples=len(csv_timings)
        ),
    ]


BENCHMARKS: dict[str, Callable[..., list[Result]]] = {
    "import": bench_import,
    "claim": bench_claim,
    "task_list": bench_task_list,
    "report": bench_report,
    "rebuild": bench_rebuild,
    "claim_after_import": bench_claim_after_import,
}


def _raw_claims(conn: Any, table: str, order: str, n: int) -> list[float]:
    """The raw database's claim, ``n`` times: the first open row ``SKIP LOCKED``, marked claimed,
    committed; each one's milliseconds."""
    timings = []
    for holder in range(n):
        started = time.perf_counter()
        row = conn.execute(
            f"SELECT id FROM {table} WHERE status = 'open' ORDER BY {order} LIMIT 1 FOR UPDATE SKIP LOCKED"
        ).fetchone()
        conn.execute(f"UPDATE {table} SET status = 'claimed', holder = %s WHERE id = %s", [holder, row[0]])
        conn.commit()
        timings.append((time.perf_counter() - started) * 1000)
    return timings
