"""Every projection, after a workflow touching every event type, equals a replay of the log."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from marlin import projections
from marlin.kernel import chance, clock
from people.commands import person_update
from reviews import commands as review_commands
from reviews.jobs import expire_overdue_reviews_job
from tasks import commands as task_commands
from tasks.jobs import expire_stale_claims_job
from tasks.models import Project, Submission
from tests.factories import import_tasks, judgment, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def snapshot() -> dict[str, list[tuple]]:
    return {model._meta.db_table: list(projections.table_rows(model)) for model in projections.owned_tables()}


def busy_history() -> None:
    project = make_project(review_layers=2, required_skills=["python"])
    import_tasks(project, 8)
    other = make_project(name="Other")
    task_commands.project_update(
        actor_id=None, project_id=other.id, fields={"rate": "300.00", "randomize_order": False, "overlap": 2}
    )
    import_tasks(other, 2, prefix="o")  # two items of two siblings each, sharing their item
    task_commands.project_pause(actor_id=None, project_id=other.id)
    junior, senior = (
        make_user("reviewer", skills=["python"]),
        make_user("reviewer", reviewer_level=2, skills=["python"]),
    )
    make_user("reviewer", reviewer_level=3, skills=["python"])
    person_update(actor_id=None, user_id=junior.pk, fields={"capacity": 6})
    contributors = [make_user("contributor", skills=["python"]) for _ in range(4)]

    approved, _ = submitted_task(project, contributors[0])
    with chance.pinned_coin(True):  # shown swapped: its submissions and revision are too
        changed, _ = submitted_task(project, contributors[1])
    rejected, _ = submitted_task(project, contributors[2])
    settle()
    for task_id in (approved, changed):
        review = pending_review(task_id)
        review_commands.review_decide(
            reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve"
        )
    settle()
    review = pending_review(approved)
    review_commands.review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")
    review = pending_review(changed)
    review_commands.review_decide(
        reviewer_id=review.reviewer_id, assignment_id=review.id, decision="request_changes",
        feedback="Justify the strength.", reasons=["weak_rationale"],
    )  # fmt: skip
    task_commands.task_submit(contributor_id=contributors[1].pk, task_id=changed, judgment=judgment())
    review = pending_review(rejected)
    review_commands.review_decide(
        reviewer_id=review.reviewer_id, assignment_id=review.id, decision="reject",
        feedback="Copied.", reasons=["plagiarism", "low_effort"],
    )  # fmt: skip
    settle()
    with clock.pinned_at(clock.now() + timedelta(days=2)):
        expire_overdue_reviews_job()
        claimed = task_commands.task_claim(contributor_id=contributors[3].pk)
    expire_stale_claims_job()
    task_commands.task_cancel(actor_id=None, task_id=claimed.id, reason="bad prompt")
    person_update(actor_id=None, user_id=senior.pk, fields={"active": False})
    settle()


def gold_history() -> None:
    """Gold tasks scored both ways, a suspension below the bar, its lift, and a score after it."""
    project = make_project(name="Gold", review_layers=1, gold_min_accuracy="0.5", gold_min_answers=2)
    gold = {"preference": "B", "explanation": "B handles the empty list."}
    import_tasks(project, 4, prefix="g", gold=gold)
    contributor = make_user("contributor")
    for preference in ("B", "A", "A"):
        submitted_task(project, contributor, preference=preference)
        settle()
    task_commands.suspension_lift(actor_id=None, project_id=project.id, contributor_id=contributor.pk)
    submitted_task(project, contributor, preference="A")
    settle()


def test_rebuild_gives_exactly_the_live_rows_of_every_projection() -> None:
    busy_history()
    gold_history()
    live = snapshot()
    assert all(
        live[table]
        for table in (
            "tasks_task",
            "reviews_reviewassignment",
            "reviews_reviewreason",
            "tasks_goldtask",
            "tasks_goldtally",
            "tasks_suspension",
        )
    )
    assert Submission.objects.filter(presented_swapped=True).count() == 2  # a submission, its revision
    assert Project.objects.filter(randomize_order=False).exists()

    call_command("rebuild_projections", no_progress=True)

    assert snapshot() == live
    call_command("verify_events", no_progress=True)


def test_rebuild_folds_in_memory_its_statements_do_not_grow_with_the_log() -> None:
    """Replaying more task, review and payout events adds no statement: those tables are folded in
    memory and written once each (``COPY`` on PostgreSQL), and still equal the live rows."""
    busy_history()
    project = make_project(name="More")
    contributors = [make_user("contributor") for _ in range(3)]  # people are projected by SQL
    with CaptureQueriesContext(connection) as first:
        projections.rebuild()
    # 24 more tasks, 36 in all: on SQLite a bulk insert is cut every 999 parameters (37 task rows),
    # a limit of the database's, not of the log's length.
    import_tasks(project, 24)
    for contributor in contributors:
        submitted_task(project, contributor)
    settle()
    live = snapshot()

    with CaptureQueriesContext(connection) as second:
        projections.rebuild()

    assert snapshot() == live
    assert len(second.captured_queries) == len(first.captured_queries)
