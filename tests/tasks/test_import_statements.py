"""A large import costs a bounded number of statements per chunk of 500 rows, never one per row:
on PostgreSQL the tasks and their events go in by ``COPY``; afterwards the tables are analyzed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marlin.bulk_copy import COPY_FROM
from marlin.eventstore.models import Event
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
