"""A reviewer reads a task through the tasks app's own projection of the review events
(``TaskReviewer``): while they hold its review, and after they decided it; not once it expired,
was taken away, or was cancelled with the task."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command

from marlin import projections
from marlin.kernel import clock
from people.models import User
from reviews import commands as review_commands
from reviews.jobs import expire_overdue_reviews_job
from tasks import commands
from tasks.models import TaskReviewer
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def sees(person, task_id) -> bool:
    return client_for(person).get(f"/api/v1/tasks/{task_id}/").status_code == 200


@pytest.fixture
def two_layers():
    project = make_project(review_layers=2)
    import_tasks(project, 4)
    first = make_user("reviewer", reviewer_level=2)
    second = make_user("reviewer", reviewer_level=2)
    task_id, _ = submitted_task(project)
    settle()
    return project, task_id, first, second


def test_the_layer_1_reviewer_keeps_the_task_after_deciding_and_the_pending_one_loses_it_on_cancel(
    two_layers,
) -> None:
    _, task_id, _, _ = two_layers
    layer_1 = pending_review(task_id)
    review_commands.review_decide(
        reviewer_id=layer_1.reviewer_id, assignment_id=layer_1.id, decision="approve"
    )
    settle()
    layer_2 = pending_review(task_id)
    decided_by = User.objects.get(pk=layer_1.reviewer_id)
    holding = User.objects.get(pk=layer_2.reviewer_id)
    assert sees(decided_by, task_id)
    assert sees(holding, task_id)

    commands.task_cancel(actor_id=None, task_id=task_id, reason="bad prompt")

    assert sees(decided_by, task_id)
    assert not sees(holding, task_id)
    assert list(TaskReviewer.objects.filter(task_id=task_id).values_list("reviewer_id", "decided")) == [
        (decided_by.pk, True)
    ]


def test_a_review_that_expired_no_longer_opens_the_task(two_layers) -> None:
    _, task_id, first, second = two_layers
    review = pending_review(task_id)
    holder = first if review.reviewer_id == first.pk else second

    with clock.pinned_at(clock.now() + timedelta(days=2)):
        expire_overdue_reviews_job()
        settle()

    assert not sees(holder, task_id)
    assert not TaskReviewer.objects.filter(assignment_id=review.id).exists()


@pytest.mark.django_db(transaction=True)
def test_migrating_an_existing_database_fills_the_table_exactly_as_a_replay_of_the_log() -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 4)
    for _ in range(3):
        make_user("reviewer", reviewer_level=2)
    decided, _ = submitted_task(project)
    reassigned, _ = submitted_task(project)
    cancelled, _ = submitted_task(project)
    settle()
    review = pending_review(decided)
    review_commands.review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")
    review_commands.review_reassign(actor_id=None, assignment_id=pending_review(reassigned).id)
    commands.task_cancel(actor_id=None, task_id=cancelled, reason="bad prompt")
    settle()
    expected = sorted(TaskReviewer.objects.values_list("assignment_id", "reviewer_id", "decided"))
    # decided at layer 1 and pending at layer 2; the reassigned one's successor; nothing cancelled
    assert len(expected) == 3

    try:
        # Back to before the table existed (the projection tables keep their rows), then forward.
        call_command("migrate", "tasks", "0001_initial", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)

    assert sorted(TaskReviewer.objects.values_list("assignment_id", "reviewer_id", "decided")) == expected
    assert projections.compare_with_rebuild() == {}
