"""The dashboard's review-flow projection: one stay per submission in a layer, closed by the
decision there or by cancellation; migrating an existing database fills it as a replay would."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from dashboard.models import LayerVisit
from marlin import projections
from reviews import commands as review_commands
from tasks import commands
from tests.factories import import_tasks, judgment, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def decide(task_id, decision: str, **fields) -> None:
    review = pending_review(task_id)
    review_commands.review_decide(
        reviewer_id=review.reviewer_id, assignment_id=review.id, decision=decision, **fields
    )
    settle()


def workload() -> dict[str, object]:
    """Revised then approved at both layers; rejected; cancelled in review; still in layer 1."""
    project = make_project(review_layers=2)
    import_tasks(project, 4)
    for _ in range(3):
        make_user("reviewer", reviewer_level=2)
    revised, alice = submitted_task(project)
    rejected, _ = submitted_task(project)
    cancelled, _ = submitted_task(project)
    waiting, _ = submitted_task(project)
    settle()
    decide(revised, "request_changes", feedback="Justify the strength.", reasons=["weak_rationale"])
    commands.task_submit(contributor_id=alice.pk, task_id=revised, judgment=judgment())
    settle()
    decide(revised, "approve")
    decide(revised, "approve")
    decide(rejected, "reject", feedback="Copied.", reasons=["plagiarism"])
    commands.task_cancel(actor_id=None, task_id=cancelled, reason="duplicate")
    return {"revised": revised, "rejected": rejected, "cancelled": cancelled, "waiting": waiting}


def stays(task_id) -> list[tuple[int, str, bool]]:
    return [
        (visit.layer, visit.outcome, visit.left_at is None)
        for visit in LayerVisit.objects.filter(task_id=task_id).order_by("entered_version")
    ]


def test_each_stay_in_a_layer_ends_with_the_decision_there_or_the_cancellation() -> None:
    tasks = workload()

    assert stays(tasks["revised"]) == [
        (1, "request_changes", False),
        (1, "approve", False),
        (2, "approve", False),
    ]
    assert stays(tasks["rejected"]) == [(1, "reject", False)]
    assert stays(tasks["cancelled"]) == [(1, "cancelled", False)]
    assert stays(tasks["waiting"]) == [(1, "", True)]
    assert projections.compare_with_rebuild() == {}


@pytest.mark.django_db(transaction=True)
def test_migrating_an_existing_database_fills_the_stays_exactly_as_a_replay_of_the_log() -> None:
    workload()
    fields = ("task_id", "entered_version", "layer", "entered_at", "left_at", "outcome")
    expected = sorted(LayerVisit.objects.values_list(*fields))
    assert len(expected) == 6

    try:
        call_command("migrate", "dashboard", "zero", verbosity=0)
    finally:
        call_command("migrate", verbosity=0)

    assert sorted(LayerVisit.objects.values_list(*fields)) == expected
    assert projections.compare_with_rebuild() == {}
