"""What routing costs: it follows freed capacity to the reviewer who has it, and when nobody has
room it does nothing, in a few queries however long the unassigned queue is."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from marlin import reactors
from marlin.eventstore.models import Event
from marlin.eventstore.store import RecordedEvent, command_transaction
from marlin.kernel import clock
from people.commands import person_update
from reviews import commands, jobs
from reviews.jobs import expire_overdue_reviews_job, route_waiting_reviews_job
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad
from tests.factories import import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def routing_queries_for(event_type: str) -> int:
    """The queries the routing reactor's handler runs for the latest event of ``event_type``,
    inside a reactor's transaction as the pump runs it."""
    recorded = RecordedEvent.from_row(Event.objects.filter(type=event_type).latest("position"))
    handler = reactors.get("review-routing").handlers[recorded.type]
    with command_transaction(), CaptureQueriesContext(connection) as queries:
        handler(recorded.event, recorded)
    return len(queries)


def everyone_full_with_waiting(waiting: int) -> tuple[list[Any], Any]:
    """Two reviewers of capacity 1, both holding a review, and ``waiting`` tasks queued."""
    project = make_project(review_layers=1)
    import_tasks(project, waiting + 3)
    reviewers = [make_user("reviewer", capacity=1) for _ in range(2)]
    for _ in range(waiting + 2):
        submitted_task(project)
    settle()
    assert AwaitingReview.objects.count() == waiting
    return reviewers, project


def waiting_work_and_a_reviewer_given_room(waiting: int, *, capacity: int) -> Any:
    """``waiting`` submitted tasks queued for review, and one reviewer, created full, then given
    ``capacity`` with no reactor run: only what the test calls routes to them."""
    project = make_project(review_layers=1)
    import_tasks(project, waiting)
    reviewer = make_user("reviewer", capacity=0)
    for _ in range(waiting):
        submitted_task(project)
    settle()
    person_update(actor_id=None, user_id=reviewer.pk, fields={"capacity": capacity})
    return reviewer


def counted_routing_attempts(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The routing attempts made from now on (each one's arguments), in order."""
    attempts: list[Any] = []
    route = commands.review_route_outcome
    monkeypatch.setattr(commands, "review_route_outcome", lambda **kw: attempts.append(kw) or route(**kw))
    return attempts


@contextmanager
def row_held_elsewhere(reviewer: Any) -> Iterator[None]:
    """Inside, another transaction (a thread of its own) holds ``reviewer``'s load row."""
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with transaction.atomic():
                ReviewerLoad.objects.select_for_update().get(reviewer=reviewer)
                locked.set()
                release.wait(30)
        finally:
            connections.close_all()

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert locked.wait(10)
        yield
    finally:
        release.set()
        holder.join()


def decide_then_lose_the_place(reviewer: Any) -> None:
    """``reviewer`` approves; before the decision's routing runs, another router fills the place."""
    review = ReviewAssignment.objects.get(reviewer=reviewer, status="pending")
    commands.review_decide(reviewer_id=reviewer.pk, assignment_id=review.id, decision="approve")
    oldest = AwaitingReview.objects.order_by("waiting_since", "task_id").values_list("task_id", flat=True)[0]
    assert commands.review_route(task_id=oldest) is not None


@pytest.mark.parametrize("waiting", [2, 25])
def test_a_decision_while_every_reviewer_is_full_costs_at_most_3_queries_however_long_the_queue(
    waiting: int,
) -> None:
    reviewers, _ = everyone_full_with_waiting(waiting)
    decide_then_lose_the_place(reviewers[0])

    assert routing_queries_for("ReviewDecided") <= 3
    assert AwaitingReview.objects.count() == waiting - 1


@pytest.mark.parametrize("waiting", [2, 25])
def test_a_submission_while_every_reviewer_is_full_costs_at_most_3_queries(waiting: int) -> None:
    everyone_full_with_waiting(waiting)

    assert routing_queries_for("JudgmentSubmitted") <= 3
    assert AwaitingReview.objects.count() == waiting


def test_a_profile_change_of_a_full_reviewer_costs_at_most_3_queries() -> None:
    reviewers, _ = everyone_full_with_waiting(25)
    person_update(actor_id=None, user_id=reviewers[0].pk, fields={"name": "Renamed"})

    assert routing_queries_for("PersonUpdated") <= 3


def test_freed_capacity_goes_to_the_reviewer_who_freed_it_past_work_they_cannot_take() -> None:
    # More tasks than one freeing event used to look at wait for a skill nobody has; the one
    # task the freed reviewer can take is the newest.
    rust = make_project(required_skills=["rust"], review_layers=1)
    import_tasks(rust, 25, prefix="r")
    python = make_project(review_layers=1)
    import_tasks(python, 3, prefix="p")
    freeing = make_user("reviewer", capacity=1)
    held, _ = submitted_task(python)
    settle()
    for _ in range(25):
        submitted_task(rust, make_user("contributor", skills=["rust"]))
    newest, _ = submitted_task(python)
    settle()
    assert pending_review(newest) is None

    review = pending_review(held)
    commands.review_decide(reviewer_id=freeing.pk, assignment_id=review.id, decision="approve")
    settle()

    assert pending_review(newest).reviewer_id == freeing.pk


def test_an_expired_review_frees_its_reviewer_for_other_waiting_work() -> None:
    project = make_project(review_layers=1)
    import_tasks(project, 3)
    slow = make_user("reviewer", capacity=1)
    first, _ = submitted_task(project)
    settle()
    second, _ = submitted_task(project)
    settle()
    assert pending_review(second) is None

    with clock.pinned_at(clock.now() + timedelta(days=1, minutes=1)):
        assert expire_overdue_reviews_job() == 1
    settle()

    # The expired task may not go back to ``slow``; the other waiting one may, at once.
    assert pending_review(second).reviewer_id == slow.pk
    assert pending_review(first) is None


def test_the_sweep_costs_one_query_when_nobody_has_room_however_long_the_queue() -> None:
    everyone_full_with_waiting(25)

    with CaptureQueriesContext(connection) as queries:
        assert route_waiting_reviews_job() == 0

    assert len(queries) <= 1


def test_the_sweep_gives_each_reviewer_with_room_the_oldest_work_they_may_take() -> None:
    rust = make_project(required_skills=["rust"], review_layers=1)
    import_tasks(rust, 3, prefix="r")
    python = make_project(review_layers=1)
    import_tasks(python, 3, prefix="p")
    rust_tasks = [submitted_task(rust, make_user("contributor", skills=["rust"]))[0] for _ in range(3)]
    python_tasks = [submitted_task(python)[0] for _ in range(3)]
    settle()
    pythonista = make_user("reviewer", capacity=2)
    rustacean = make_user("reviewer", capacity=1, skills=["rust"])

    # Skip the reactors: only the sweep sees the new reviewers.
    assert route_waiting_reviews_job() == 3

    assert [pending_review(t).reviewer_id for t in python_tasks[:2]] == [pythonista.pk] * 2
    assert pending_review(rust_tasks[0]).reviewer_id == rustacean.pk
    assert AwaitingReview.objects.filter(task_id__in=[*rust_tasks[1:], python_tasks[2]]).count() == 3


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_sweep_stops_after_a_page_that_routed_nothing(monkeypatch) -> None:
    # Under load the reviewers with room are the ones the reactors are routing to at that moment
    # (their rows locked): trying hundreds of candidates held a worker for seconds.
    reviewer = waiting_work_and_a_reviewer_given_room(3 * commands.WAITING_PAGE, capacity=1)
    attempts = counted_routing_attempts(monkeypatch)
    # The page is what stops this run, not the sweep's time budget: on a busy machine 20 attempts
    # once outlasted its 0.25 s and the run stopped after 19.
    monkeypatch.setattr(jobs, "SWEEP_SECONDS", 60.0)
    with row_held_elsewhere(reviewer):
        assert route_waiting_reviews_job() == 0

    assert len(attempts) == commands.WAITING_PAGE
    assert route_waiting_reviews_job() == 1


def test_a_sweep_hands_its_worker_back_after_its_turn_and_the_next_run_goes_on(monkeypatch) -> None:
    reviewer = waiting_work_and_a_reviewer_given_room(12, capacity=20)
    route = commands.review_route_outcome

    def slow_route(**kwargs: Any) -> Any:
        time.sleep(0.05)
        return route(**kwargs)

    monkeypatch.setattr(commands, "review_route_outcome", slow_route)
    monkeypatch.setattr(jobs, "SWEEP_SECONDS", 0.12)

    first = route_waiting_reviews_job()

    assert 1 <= first < 12
    while AwaitingReview.objects.exists():
        assert route_waiting_reviews_job() >= 1
    assert ReviewAssignment.objects.filter(reviewer=reviewer, status="pending").count() == 12


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_freed_capacity_routing_stops_at_once_while_the_reviewers_row_is_held_elsewhere(monkeypatch) -> None:
    # In the workday two routing pumps each held the load row of the reviewer the other was
    # routing for (each had just assigned them a task). Each then tried 100 waiting tasks, every
    # one failing on that row, and held its worker and its locked rows for a second: submissions
    # waited for routing and decisions for the rows.
    reviewer = waiting_work_and_a_reviewer_given_room(30, capacity=1)
    attempts = counted_routing_attempts(monkeypatch)
    with row_held_elsewhere(reviewer):
        assert commands.review_route_waiting(reviewer_id=reviewer.pk) == 0

    assert len(attempts) == 1
    assert commands.review_route_waiting(reviewer_id=reviewer.pk) == 1
