"""Which waiting task a reviewer with room gets: the deepest layer first, then the oldest.

A task at layer 2 has had a reviewer's hour spent on it already and is one decision from being
paid; a new submission at layer 1 has had none. When reviewers are the scarce side, taking the
queue oldest-first regardless of layer lets layer-1 arrivals push every layer-2 review behind
them, so reviewers keep starting tasks and rarely finish one.
"""

from __future__ import annotations

from typing import Any

import pytest

from reviews import commands, selectors
from reviews.jobs import route_waiting_reviews_job
from reviews.models import AwaitingReview
from tests.factories import import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def routed_submission(project: Any) -> Any:
    """A task submitted, and routed before the next is (routing partitions by task)."""
    task_id, _ = submitted_task(project)
    settle()
    return task_id


def approve(task_id: Any) -> None:
    review = pending_review(task_id)
    commands.review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")


def test_a_freed_reviewer_finishes_a_layer_2_task_before_older_layer_1_work() -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 4)
    first_reviewer = make_user("reviewer", reviewer_level=2, capacity=1)
    second_reviewer = make_user("reviewer", reviewer_level=2, capacity=1)
    one, two, three, four = (routed_submission(project) for _ in range(4))
    assert {pending_review(one).reviewer_id, pending_review(two).reviewer_id} == {
        first_reviewer.pk,
        second_reviewer.pk,
    }
    holds_one = pending_review(one).reviewer_id

    approve(one)  # one enters layer 2, which only the other reviewer may take; they are full
    settle()
    approve(two)  # the other reviewer frees a place: one (layer 2) waited less time than four
    settle()

    assert pending_review(one).layer == 2
    assert pending_review(one).reviewer_id != holds_one
    assert pending_review(three).reviewer_id == holds_one  # the first freed place took layer 1's oldest
    assert AwaitingReview.objects.filter(task_id__in=[two, four]).count() == 2


def test_the_sweep_gives_a_newcomer_the_layer_2_task_before_older_layer_1_work() -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 3)
    for _ in range(2):
        make_user("reviewer", reviewer_level=2, capacity=1)
    deeper, _, older = (routed_submission(project) for _ in range(3))  # older waits: both are full
    holds_deeper = pending_review(deeper).reviewer_id
    approve(deeper)  # layer 2 now, which its layer-1 reviewer may not take
    # Only the sweep routes from here (the reactors are not run): a newcomer with room for one.
    newcomer = make_user("reviewer", reviewer_level=2, capacity=1)

    assert route_waiting_reviews_job() == 2

    assert pending_review(deeper).reviewer_id == newcomer.pk
    assert pending_review(older).reviewer_id == holds_deeper


def test_waiting_work_pages_through_the_queue_deepest_layer_first_then_oldest() -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 6)
    layer_1_reviewer = make_user("reviewer", reviewer_level=1, capacity=2)
    at_layer_2 = [routed_submission(project) for _ in range(2)]
    for task_id in at_layer_2:
        approve(task_id)  # into layer 2, where nobody may review yet
    at_layer_1 = [routed_submission(project) for _ in range(4)]
    assert [pending_review(t).reviewer_id for t in at_layer_1[:2]] == [layer_1_reviewer.pk] * 2
    # Someone with room for both layers, whom the reactors have not routed to yet (no settle).
    make_user("reviewer", reviewer_level=2, capacity=5)

    seen: list[Any] = []
    after = None
    while page := selectors.waiting_work(after=after, limit=1):
        seen += [entry.task_id for entry in page]
        after = page[-1]

    assert seen == [*at_layer_2, *at_layer_1[2:]]
