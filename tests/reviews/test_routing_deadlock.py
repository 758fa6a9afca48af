"""Deactivating reviewers while routing batches run: no deadlock, and no client ever sees one.

A routing batch holds the position counter from its first append until it commits, and each
assignment it inserts takes ``FOR KEY SHARE`` on the reviewer's person row (the foreign key). A
deactivation that locked that row ``FOR UPDATE`` and then waited for the counter made a cycle.
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection

from marlin import reactors
from people.commands import person_update
from reviews.models import AwaitingReview, ReviewAssignment
from tests.factories import import_tasks, make_project, make_user, submitted_task
from tests.support.settle import settle

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_deactivating_reviewers_while_routing_pumps_run_neither_deadlocks_nor_fails() -> None:
    project = make_project()
    import_tasks(project, 100)
    reviewers = [make_user("reviewer", capacity=100) for _ in range(6)]
    contributor = make_user("contributor")
    settle()
    for _ in range(100):
        submitted_task(project, contributor)
    routing = reactors.get("review-routing")
    failures: list[BaseException] = []
    done = threading.Event()
    deadline = time.monotonic() + 10

    def pump_partition(partition: int) -> None:
        try:
            while time.monotonic() < deadline and reactors.pump(routing, partition, max_events=40):
                pass  # the toggler keeps making work; settle() finishes it afterwards
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    def toggle_reviewers() -> None:
        try:
            while not done.is_set():
                for reviewer in reviewers:
                    person_update(actor_id=None, user_id=reviewer.pk, fields={"active": False})
                    person_update(actor_id=None, user_id=reviewer.pk, fields={"active": True})
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    toggler = threading.Thread(target=toggle_reviewers)
    toggler.start()
    pumps = [threading.Thread(target=pump_partition, args=(p,)) for p in range(routing.partitions)]
    for pump in pumps:
        pump.start()
    for pump in pumps:
        pump.join(timeout=120)
    done.set()
    toggler.join(timeout=60)

    assert failures == []
    settle()
    # Withdrawn reviewers are passed over for that submission: a task may end up waiting.
    pending = Counter(ReviewAssignment.objects.filter(status="pending").values_list("task_id", flat=True))
    waiting = set(AwaitingReview.objects.values_list("task_id", flat=True))
    assert set(pending.values()) <= {1}
    assert not waiting & set(pending)
    assert len(waiting) + len(pending) == 100
