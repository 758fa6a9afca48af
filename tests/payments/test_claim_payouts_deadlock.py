"""A claim locks its contributor's row while a payouts batch inserts ledger rows that refer to it:
the foreign key's check at the batch's COMMIT takes FOR KEY SHARE on that row, which a claim's
FOR UPDATE blocked while the claim waited for the position counter the batch held (a deadlock).
The claim locks FOR NO KEY UPDATE: it never changes the key."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection

from marlin import reactors
from marlin.eventstore.store import command_transaction
from tasks.commands import task_claim, task_release
from tasks.domain.events import TaskApproved, task_stream
from tasks.selectors import load_task
from tests.factories import import_tasks, make_project, make_user
from tests.support.settle import settle

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_claims_while_payouts_accrue_for_the_same_contributor_never_deadlock() -> None:
    project = make_project()
    paid = import_tasks(project, 300, prefix="p")
    import_tasks(project, 5, prefix="c")
    contributor = make_user("contributor")
    settle()
    with command_transaction() as uow:
        appends = []
        for task_id in paid:
            state, version = load_task(task_id)
            approved = TaskApproved(task_id, project.id, contributor.pk, state.rate, "USD", datetime.now(UTC))
            appends.append((task_stream(task_id), version, [approved]))
        uow.append_many(appends)
    payouts = reactors.get("payouts")
    failures: list[BaseException] = []
    done = threading.Event()

    def pump() -> None:
        try:
            for partition in range(payouts.partitions):
                while reactors.pump(payouts, partition, max_events=50):
                    pass
        except BaseException as error:
            failures.append(error)
        finally:
            done.set()
            connection.close()

    def claim() -> None:
        try:
            while not done.is_set():
                task = task_claim(contributor_id=contributor.pk)
                task_release(contributor_id=contributor.pk, task_id=task.id)
        except BaseException as error:
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=pump), threading.Thread(target=claim)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
