"""The contributor's task detail carries every decided review round of the task (``rounds``):
what was decided and why, oldest first, never who reviewed."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marlin import projections
from people.models import User
from reviews import commands as review_commands
from tasks import commands
from tasks.models import TaskRound
from tests.factories import (
    client_for,
    import_tasks,
    judgment,
    make_project,
    make_user,
    pending_review,
    submitted_task,
)
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

ROUND_FIELDS = {"layer", "kind", "decision", "feedback", "reasons", "decided_at"}


def decide(task_id, decision: str, **fields) -> int:
    review = pending_review(task_id)
    review_commands.review_decide(
        reviewer_id=review.reviewer_id, assignment_id=review.id, decision=decision, **fields
    )
    settle()
    return review.reviewer_id


@pytest.fixture
def reviewed():
    """A task asked for changes at layer 1, revised, then approved at layers 1 and 2."""
    project = make_project(review_layers=2)
    import_tasks(project, 3)
    make_user("reviewer", reviewer_level=2)
    make_user("reviewer", reviewer_level=2)
    task_id, alice = submitted_task(project)
    settle()
    decide(task_id, "request_changes", feedback="Justify the strength.", reasons=["weak_rationale"])
    commands.task_submit(contributor_id=alice.pk, task_id=task_id, judgment=judgment())
    settle()
    first = decide(task_id, "approve", feedback="Better.")
    second = decide(task_id, "approve")
    return task_id, alice, (first, second)


def test_the_contributor_reads_every_decided_round_oldest_first_without_who_reviewed(reviewed) -> None:
    task_id, alice, _ = reviewed

    rounds = client_for(alice).get(f"/api/v1/tasks/{task_id}/").json()["rounds"]

    assert [(r["layer"], r["decision"], r["feedback"], r["reasons"]) for r in rounds] == [
        (1, "request_changes", "Justify the strength.", ["weak_rationale"]),
        (1, "approve", "Better.", []),
        (2, "approve", "", []),
    ]
    assert all(set(r) == ROUND_FIELDS for r in rounds)
    assert [r["decided_at"] for r in rounds] == sorted(r["decided_at"] for r in rounds)


def test_a_task_not_yet_reviewed_has_no_rounds() -> None:
    project = make_project()
    import_tasks(project, 1)
    task_id, alice = submitted_task(project)

    assert client_for(alice).get(f"/api/v1/tasks/{task_id}/").json()["rounds"] == []


def test_ops_read_the_rounds_and_reviewers_do_not(reviewed) -> None:
    task_id, _, (first, _) = reviewed
    ops = client_for(make_user("ops"))
    reviewer = client_for(User.objects.get(pk=first))

    assert len(ops.get(f"/api/v1/tasks/{task_id}/").json()["rounds"]) == 3
    assert reviewer.get(f"/api/v1/tasks/{task_id}/").json()["rounds"] is None


def test_the_task_list_reads_rounds_in_a_fixed_number_of_queries() -> None:
    project = make_project()
    import_tasks(project, 6)
    make_user("reviewer")
    ops = client_for(make_user("ops"))

    def list_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert ops.get("/api/v1/tasks/").status_code == 200
        return len(queries)

    task_id, _ = submitted_task(project)
    settle()
    decide(task_id, "approve")
    one = list_queries()
    for _ in range(3):
        task_id, _ = submitted_task(project)
        settle()
        decide(task_id, "approve")

    assert list_queries() == one


@pytest.mark.django_db(transaction=True)
def test_migrating_an_existing_database_fills_the_rounds_exactly_as_a_replay_of_the_log() -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 3)
    for _ in range(2):
        make_user("reviewer", reviewer_level=2)
    approved, _ = submitted_task(project)
    rejected, _ = submitted_task(project)
    settle()
    decide(approved, "approve")
    decide(rejected, "reject", feedback="Copied.", reasons=["plagiarism", "low_effort"])
    expected = sorted(TaskRound.objects.values_list("assignment_id", "layer", "decision", "reasons"))
    assert len(expected) == 2

    try:
        call_command("migrate", "tasks", "0003_projection_names", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)

    assert sorted(TaskRound.objects.values_list("assignment_id", "layer", "decision", "reasons")) == expected
    assert projections.compare_with_rebuild() == {}
