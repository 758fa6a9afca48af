"""A large import costs a bounded number of statements per chunk of 500 rows, never one per row:
on PostgreSQL the tasks and their events go in by ``COPY``; afterwards the tables are analyzed."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marlin.bulk_copy import COPY_FROM, copy_rows
from marlin.eventstore.models import Event
from tasks.domain.task import TaskStatus
from tasks.importing import CHUNK_SIZE, task_import
from tasks.models import Task
from tests.factories import make_project, task_row

pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]

PER_CHUNK = 10


def statements_to_import(project, n: int) -> list[str]:
    rows = [(i, task_row(f"s{i}")) for i in range(1, n + 1)]
    with CaptureQueriesContext(connection) as queries:
        outcome = task_import(actor_id=None, project_id=project.id, rows=rows)
    assert outcome.created == n
    return [query["sql"] for query in queries.captured_queries]


def test_an_import_costs_a_few_statements_per_chunk_not_one_per_row() -> None:
    project = make_project()

    statements = statements_to_import(project, 3 * CHUNK_SIZE)

    assert len(statements) <= 3 * PER_CHUNK + 2, statements
    assert Task.objects.filter(project=project).count() == Event.objects.filter(type="TaskImported").count()
    assert any(sql.startswith("ANALYZE") for sql in statements)


def test_a_small_import_does_not_analyze() -> None:
    statements = statements_to_import(make_project(), 20)

    assert not any(sql.startswith("ANALYZE") for sql in statements)


def test_events_copied_by_an_import_store_the_json_they_were_hashed_over(capsys) -> None:
    project = make_project()
    awkward = 'tab\t, newline\n, backslash \\, quote ", non-ASCII é, emoji 🐟'
    n = 2 * COPY_FROM
    rows = [(i, task_row(f"j{i}", prompt=f"{awkward} {i}", tags=["x", "y"])) for i in range(1, n + 1)]

    task_import(actor_id=None, project_id=project.id, rows=rows)

    stored = Event.objects.filter(type="TaskImported").order_by("position")
    assert [event.data["prompt"] for event in stored] == [f"{awkward} {i}" for i in range(1, n + 1)]
    assert Task.objects.get(external_id="j1").prompt == f"{awkward} 1"
    call_command("verify_events", no_progress=True)
    assert "All checks passed." in capsys.readouterr().out


@pytest.mark.filterwarnings("ignore:DateTimeField .* received a naive datetime")
def test_copied_rows_of_other_python_types_are_stored_as_a_save_would_store_them() -> None:
    project = make_project()
    task_id = uuid.uuid4()
    row = {
        "id": str(task_id),
        "project_id": str(project.id),
        "external_id": 17,
        "item": 17,
        "status": TaskStatus.OPEN,
        "layer": None,
        "contributor_id": None,
        "prompt": "p\tq\\n",
        "context": "",
        "response_a": "a",
        "response_b": "b",
        "model_a": "m",
        "model_b": "n",
        "tags": ["x"],
        "priority": True,
        "rate": "1.50",
        "currency": "USD",
        "current_submission_id": None,
        "claimed_at": "2026-01-02T03:04:05+00:00",
        "claim_expires_at": datetime(2026, 1, 2, 4, 4, 5),  # naive: the default time zone's
        "presented_swapped": False,
        "revisions": "2",
        "finished_at": None,
        "import_row": 3,
        "calibration": False,
        "created_at": datetime(2026, 1, 2, tzinfo=UTC),
        "updated_at": datetime(2026, 1, 2, tzinfo=UTC),
    }

    copy_rows(Task, [row])

    task = Task.objects.get(pk=task_id)
    assert (task.external_id, task.status, task.prompt, task.tags) == ("17", "open", "p\tq\\n", ["x"])
    assert task.item == "17"
    assert (task.priority, task.rate, task.revisions) == (1, Decimal("1.50"), 2)
    assert task.claimed_at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert task.claim_expires_at == datetime(2026, 1, 2, 4, 4, 5, tzinfo=UTC)


def test_large_texts_of_tasks_and_events_are_stored_compressed_with_lz4() -> None:
    project = make_project()
    big = "def solve(xs):\n    return sorted(set(xs))\n" * 200
    task_import(actor_id=None, project_id=project.id, rows=[(1, task_row("lz", prompt=big))])

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(prompt) FROM tasks_task WHERE project_id = %s", [project.id]
        )
        assert cursor.fetchone() == ("lz4",)
        cursor.execute("SELECT pg_column_compression(data) FROM eventstore_event WHERE type = 'TaskImported'")
        assert cursor.fetchone() == ("lz4",)
