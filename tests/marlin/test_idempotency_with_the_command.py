"""Idempotency-Key on the views that run one command: the response is stored in the command's own
commit (the key row, committed first, still marks the request in flight)."""

from __future__ import annotations

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import client_for, import_tasks, make_project, make_user

pytestmark = pytest.mark.django_db(transaction=True)


def takes_the_positions(sql: str) -> bool:
    """The append's statement: on PostgreSQL one that locks the counter and inserts the events,
    on SQLite the counter's UPDATE."""
    return '"eventstore_positioncounter"' in sql and sql.startswith(("UPDATE", "WITH RECURSIVE"))


def test_a_keyed_write_stores_its_response_in_the_commands_own_commit() -> None:
    project = make_project(name=f"Keyed {uuid.uuid4()}")
    import_tasks(project, 1, prefix=uuid.uuid4().hex[:8])
    contributor = client_for(make_user("contributor"))
    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}

    with CaptureQueriesContext(connection) as queries:
        first = contributor.post("/api/v1/tasks/claim/", {}, format="json", **key)
    statements = [q["sql"] for q in queries.captured_queries]  # read before the next request resets them
    replayed = contributor.post("/api/v1/tasks/claim/", {}, format="json", **key)

    stored = next(i for i, sql in enumerate(statements) if sql.startswith('UPDATE "marlin_idempotencykey"'))
    counter = next(i for i, sql in enumerate(statements) if takes_the_positions(sql))
    assert stored < counter < statements.index("COMMIT", counter), "stored before the events, one commit"
    inserted = next(
        i for i, sql in enumerate(statements) if sql.startswith('INSERT INTO "marlin_idempotencykey"')
    )
    assert inserted < stored
    # The in-flight key commits on its own first (a statement in autocommit, no BEGIN or COMMIT of
    # its own), then the command with its response: one transaction.
    assert statements.count("COMMIT") == 1
    assert (replayed.status_code, replayed.json()) == (201, first.json())
    assert replayed["Idempotent-Replayed"] == "true"


def test_a_keyed_write_refused_at_commit_frees_its_key_for_a_retry() -> None:
    project = make_project(name=f"Keyed {uuid.uuid4()}")
    import_tasks(project, 1, prefix=uuid.uuid4().hex[:8])
    contributor = client_for(make_user("contributor"))
    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    held = contributor.post("/api/v1/tasks/claim/", {}, format="json").json()

    refused = contributor.post("/api/v1/tasks/claim/", {}, format="json", **key)
    contributor.post(f"/api/v1/tasks/{held['id']}/release/", {}, format="json")
    retried = contributor.post("/api/v1/tasks/claim/", {}, format="json", **key)

    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "claim_held")
    assert retried.status_code == 201
