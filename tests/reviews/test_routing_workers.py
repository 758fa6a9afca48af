"""Routing by real Celery worker processes against PostgreSQL and Redis."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from marlin.eventstore.models import Event
from people.commands import person_update
from people.models import User
from tasks import commands as task_commands
from tests.factories import import_tasks, judgment, make_project, make_user, pending_review, submitted_task
from tests.support import services

pytestmark = [pytest.mark.worker, pytest.mark.postgres_only]


def assignments_by_task() -> Counter[str]:
    return Counter(Event.objects.filter(type="ReviewAssigned").values_list("data__task_id", flat=True))


def max_load_seen_in_history() -> dict[int, int]:
    """Replay the log in order and record each reviewer's highest number of pending reviews."""
    pending: Counter[int] = Counter()
    highest: Counter[int] = Counter()
    ending = {"ReviewDecided", "ReviewExpired", "ReviewReassigned"}
    for event_type, data in Event.objects.order_by("position").values_list("type", "data"):
        if event_type == "ReviewAssigned":
            pending[data["reviewer_id"]] += 1
            highest[data["reviewer_id"]] = max(highest[data["reviewer_id"]], pending[data["reviewer_id"]])
        elif event_type in ending:
            pending[data["reviewer_id"]] -= 1
    return dict(highest)


def test_100_submissions_routed_by_two_workers_are_each_assigned_once_within_capacity(start_worker) -> None:
    project = make_project()
    task_ids = import_tasks(project, 100)
    reviewers = [make_user("reviewer", capacity=4) for _ in range(25)]  # exactly 100 places
    contributors = [make_user("contributor") for _ in range(100)]
    for contributor in contributors:
        task_commands.task_claim(contributor_id=contributor.pk, project_id=project.id)
    # With beat, as production runs: a router that finds every reviewer with room held by the
    # other worker's batch leaves the task waiting, for the sweep (README: "the sweep at the
    # latest"). Without it, one full-suite run here ended with a task never routed.
    start_worker(concurrency=2, beat=True)
    start_worker(concurrency=2)
    claimed = dict(
        Event.objects.filter(type="TaskClaimed").values_list("data__contributor_id", "data__task_id")
    )
    start = threading.Barrier(8, timeout=30)

    def submit_all(batch: list) -> None:
        try:
            start.wait()
            for contributor in batch:
                task_commands.task_submit(
                    contributor_id=contributor.pk, task_id=claimed[contributor.pk], judgment=judgment()
                )
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(submit_all, [contributors[i::8] for i in range(8)]))

    services.wait_until(lambda: len(assignments_by_task()) >= 100, timeout=90, what="100 assignments")
    assert assignments_by_task() == Counter({str(task_id): 1 for task_id in task_ids})
    highest = max_load_seen_in_history()
    assert max(highest.values()) <= 4
    assert set(highest) == {r.pk for r in reviewers}
    assert not User.objects.filter(review_load__pending__gt=4).exists()


def test_waiting_work_is_assigned_within_seconds_of_a_reviewer_being_added(start_worker) -> None:
    project = make_project()
    import_tasks(project, 1)
    start_worker(concurrency=1)
    task_id, _ = submitted_task(project)
    services.wait_until(
        lambda: Event.objects.filter(type="JudgmentSubmitted").exists(), timeout=10, what="the submission"
    )
    assert pending_review(task_id) is None

    newcomer = make_user("reviewer")

    found = services.wait_until(lambda: pending_review(task_id), timeout=5, what="the assignment")
    assert found.reviewer_id == newcomer.pk


def test_a_raised_capacity_routes_waiting_work_through_the_worker(start_worker) -> None:
    project = make_project()
    import_tasks(project, 1)
    person = make_user("reviewer", capacity=0)
    start_worker(concurrency=1)
    task_id, _ = submitted_task(project)

    person_update(actor_id=None, user_id=person.pk, fields={"capacity": 1})

    found = services.wait_until(lambda: pending_review(task_id), timeout=5, what="the assignment")
    assert found.reviewer_id == person.pk


def _worker_backends() -> set[int]:
    """The other client connections to the test database: the worker's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def test_a_worker_keeps_its_database_connection_from_one_task_to_the_next(start_worker) -> None:
    # Celery's Django fixup closes the connection around every task unless told otherwise: each
    # reactor pump then paid for a new PostgreSQL backend.
    project = make_project()
    import_tasks(project, 6)
    make_user("reviewer", capacity=10)
    start_worker(concurrency=1, env={"CONN_MAX_AGE": "600"})  # production's (the suite's workers: 0)
    seen = []
    for routed in range(1, 7):
        submitted_task(project)
        services.wait_until(
            lambda n=routed: Event.objects.filter(type="ReviewAssigned").count() == n,
            timeout=10,
            what=f"assignment {routed}",
        )
        seen.append(_worker_backends())

    assert all(seen), f"the worker held no connection between tasks: {seen}"
    assert len(set().union(*seen)) <= 2, f"a new connection per task: {seen}"
