"""A deadlock or serialization failure is PostgreSQL's, not the client's: the command runs once
more before anyone hears of it, and only a second in a row is answered 409 ``concurrent_update``,
with nothing written.

The failures are PostgreSQL's own: at the statement that takes the event positions, the test has
the server raise the error (``RAISE ... USING ERRCODE``) instead, so it reaches Marlin exactly as a
detected deadlock does, through psycopg and Django, with its SQLSTATE."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, connection

from marlin import reactors
from marlin.eventstore.models import Event, PositionCounter
from marlin.eventstore.store import retrying_a_lost_race
from tasks.commands import task_claim
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"


@contextmanager
def losing_races(times: int, sqlstate: str = DEADLOCK) -> Iterator[list[str]]:
    """The next ``times`` commands lose a race at their last step (taking the positions); yields
    the SQLSTATEs raised so far."""
    counter = PositionCounter._meta.db_table
    raised: list[str] = []

    def lose(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        # The append's one statement on PostgreSQL (``WITH RECURSIVE``), or the counter UPDATE
        # of a bulk import.
        takes_positions = sql.lstrip().upper().startswith(("UPDATE", "WITH RECURSIVE"))
        if counter in sql and takes_positions and len(raised) < times:
            raised.append(sqlstate)
            return execute(
                f"DO $$ BEGIN RAISE EXCEPTION 'lost a race (test)' USING ERRCODE = '{sqlstate}'; END $$",
                None,
                False,
                context,
            )
        return execute(sql, params, many, context)

    with connection.execute_wrapper(lose):
        yield raised


def claims_by(user: Any) -> int:
    return Event.objects.filter(type="TaskClaimed", data__contributor_id=user.pk).count()


def a_project_with_open_tasks(n: int = 2) -> Any:
    project = make_project(name=f"Races {uuid.uuid4()}")
    import_tasks(project, n, prefix=uuid.uuid4().hex[:8])
    return project


@pytest.mark.parametrize("sqlstate", [DEADLOCK, SERIALIZATION_FAILURE])
def test_a_claim_that_loses_one_race_is_run_again_and_answered_201(sqlstate: str) -> None:
    project = a_project_with_open_tasks()
    contributor = make_user("contributor")

    with losing_races(1, sqlstate) as raised:
        answer = client_for(contributor).post(
            "/api/v1/tasks/claim/", {"project": str(project.id)}, format="json"
        )

    assert raised == [sqlstate]
    assert answer.status_code == 201, answer.content
    assert claims_by(contributor) == 1
    assert project.tasks.filter(status="claimed", contributor=contributor).count() == 1


def test_a_claim_that_loses_two_races_in_a_row_is_a_409_and_writes_nothing() -> None:
    project = a_project_with_open_tasks()
    contributor = make_user("contributor")
    client = client_for(contributor)
    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    before = Event.objects.count()

    with losing_races(3) as raised:
        refused = client.post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json", **key)

    assert len(raised) == 2, "run once more, and no more"
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "concurrent_update"
    assert Event.objects.count() == before
    assert project.tasks.filter(status="claimed").count() == 0
    # A retry could succeed, so the refusal is not stored: the same key runs the claim now.
    retried = client.post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json", **key)
    assert retried.status_code == 201
    assert claims_by(contributor) == 1


def test_a_keyed_decision_that_loses_a_race_has_one_effect_and_replays_its_answer() -> None:
    project = make_project(name=f"Races {uuid.uuid4()}", review_layers=1)
    import_tasks(project, 1, prefix=uuid.uuid4().hex[:8])
    reviewer = make_user("reviewer", reviewer_level=1)
    task_id, _ = submitted_task(project)
    reactors.pump_all()  # routing, here and now (with a broker configured, no worker runs it)
    assignment = pending_review(task_id)
    assert assignment is not None
    assert assignment.reviewer_id == reviewer.pk
    client = client_for(reviewer)
    key = {"HTTP_IDEMPOTENCY_KEY": uuid.uuid4().hex}
    path = f"/api/v1/reviews/{assignment.id}/decision/"

    with losing_races(1):
        decided = client.post(path, {"decision": "approve", "feedback": ""}, format="json", **key)
    replayed = client.post(path, {"decision": "approve", "feedback": ""}, format="json", **key)

    assert decided.status_code == 200, decided.content
    assert (replayed.status_code, replayed.json()) == (200, decided.json())
    assert Event.objects.filter(type="ReviewDecided", data__assignment_id=str(assignment.id)).count() == 1
    assert Event.objects.filter(type="TaskApproved", data__task_id=str(task_id)).count() == 1


def test_nothing_is_run_again_once_part_of_it_has_committed() -> None:
    project = a_project_with_open_tasks()
    first, second = make_user("contributor"), make_user("contributor")

    def two_claims() -> None:
        task_claim(contributor_id=first.pk, project_id=project.id)
        with losing_races(1):
            task_claim(contributor_id=second.pk, project_id=project.id)

    with pytest.raises(OperationalError):
        retrying_a_lost_race(two_claims)

    assert (claims_by(first), claims_by(second)) == (1, 0), "the first claim was not made twice"


def test_an_error_that_is_no_lost_race_is_not_run_again() -> None:
    runs: list[int] = []

    def broken() -> None:
        runs.append(1)
        with connection.cursor() as cursor:
            cursor.execute("DO $$ BEGIN RAISE EXCEPTION 'disk full (test)' USING ERRCODE = '53100'; END $$")

    with pytest.raises(OperationalError):
        retrying_a_lost_race(broken)

    assert runs == [1]
