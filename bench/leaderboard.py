"""The model leaderboard at issue 14's size: 100,000 judgments over 20 models under a second.

Two figures. ``fit``: the ratings alone (the MM fit and its 200 bootstrap refits) from counts
built directly, with no database. ``read + fit``: ``GET projects/{id}/leaderboard/``'s whole
computation (``quality.reports.leaderboard_json``: the one streamed query, the tallies, the fit
and the bootstrap) against the raw database reading the same rows with psycopg, as a ratio like
the other steps. The judgments are written straight into the read tables (tasks and their
approved submissions) in bulk: making 100,000 approvals through the commands would take the
whole bench budget, and the leaderboard reads only those tables.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal

from bench.measure import Result, raw_connection, result

MODELS = 20
RUNS = 3
CRITERIA = ("correctness", "efficiency", "readability", "best_practices", "instruction_following")
RAW_READ = (
    "SELECT t.model_a, t.model_b, s.preference, s.scores FROM tasks_task t "
    "JOIN tasks_submission s ON s.id = t.current_submission_id "
    "WHERE t.project_id = %s AND t.status = 'approved' "
    "AND NOT EXISTS (SELECT 1 FROM tasks_goldtask g WHERE g.task_id = t.id)"
)


def judgments(n: int, seed: int = 14) -> list[tuple[str, str, str, dict[str, dict[str, int]]]]:
    """``n`` judgments between 20 models of spread-out strengths, a tenth of them ties."""
    rng = random.Random(seed)
    names = [f"model-{k:02d}" for k in range(MODELS)]
    strength = {name: rng.gauss(0, 1) for name in names}
    found = []
    for _ in range(n):
        a, b = rng.sample(names, 2)
        if rng.random() < 0.1:
            preference = "tie"
        else:
            preference = "A" if rng.random() < 1 / (1 + pow(2.718281828, strength[b] - strength[a])) else "B"
        found.append(
            (a, b, preference, {c: {"a": rng.randint(1, 5), "b": rng.randint(1, 5)} for c in CRITERIA})
        )
    return found


def bench_leaderboard(url: str, quick: bool) -> list[Result]:
    from django.db import connection

    from marlin.bulk_copy import copy_rows
    from quality import bradley_terry, reports
    from tasks.commands import project_create
    from tasks.models import Submission, Task

    n = 10_000 if quick else 100_000
    rows = judgments(n)

    tally = bradley_terry.Tally()
    for a, b, preference, _ in rows:
        tally.add(a, b, preference)
    fits = []
    for _ in range(RUNS):
        started = time.perf_counter()
        bradley_terry.rate(tally)
        fits.append(time.perf_counter() - started)

    from bench.benchmarks import _people

    contributor = _people("contributor", 1)[0]
    project = project_create(actor_id=None, fields={"name": f"Leaderboard bench {uuid.uuid4().hex[:6]}"})
    now = datetime.now(UTC)
    print(f"writing {n:,} approved judgments", file=sys.stderr)
    tasks, submissions = [], []
    for index, (a, b, preference, scores) in enumerate(rows):
        task_id, submission_id = uuid.uuid4(), uuid.uuid4()
        tasks.append(
            Task(
                id=task_id, project_id=project.id, external_id=f"lb-{index}", status="approved",
                contributor_id=contributor.pk, prompt="p", response_a="a", response_b="b", model_a=a,
                model_b=b, rate=Decimal("1.00"), currency="USD", import_row=index + 1,
                created_at=now, updated_at=now, finished_at=now,
            )
        )  # fmt: skip
        submissions.append(
            Submission(
                id=submission_id, task_id=task_id, contributor_id=contributor.pk, version=1,
                preference=preference, strength=None if preference == "tie" else 2, scores=scores,
                rationale="r", time_spent_minutes=5, layer=1, submitted_at=now,
            )
        )  # fmt: skip
    # COPY, as an import writes its tasks: bulk_create's INSERTs took a minute of the bench's ten
    # for these 200,000 rows.
    for model, objects in ((Task, tasks), (Submission, submissions)):
        columns = [field.attname for field in model._meta.concrete_fields]
        copy_rows(model, ({name: getattr(obj, name) for name in columns} for obj in objects))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tasks_task t SET current_submission_id = s.id FROM tasks_submission s "
            "WHERE s.task_id = t.id AND t.project_id = %s",
            [project.id],
        )
        cursor.execute("ANALYZE tasks_task; ANALYZE tasks_submission")

    marlin, raw = [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        board = reports.leaderboard_json(project.id)
        marlin.append(time.perf_counter() - started)
        assert (board["judgments"], len(board["models"])) == (n, MODELS)
    with raw_connection(url) as conn:
        for _ in range(RUNS):
            started = time.perf_counter()
            fetched = conn.execute(RAW_READ, [project.id]).fetchall()
            raw.append(time.perf_counter() - started)
            assert len(fetched) == n
    size = f"{n // 1000}k judgments, {MODELS} models"
    return [
        result("leaderboard", f"fit + {bradley_terry.SAMPLES} bootstrap refits, {size}", "s",
               statistics.median(fits), None, samples=RUNS, notes="counts built in memory, no database"),
        result("leaderboard", f"read + fit, {size}", "s", statistics.median(marlin), statistics.median(raw),
               samples=RUNS, notes="raw: psycopg fetching the same rows", name="leaderboard_100k_s"),
    ]  # fmt: skip
