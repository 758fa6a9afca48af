"""Given approvals: tasks imported through the import command, then approved in the log.

Payout tests start from approved tasks; walking 1,000 tasks through claim, submission and two
review layers would test the review path again, slowly. The events are appended through the
event store exactly as the review decision appends them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from marlin.eventstore.store import command_transaction
from marlin.kernel import clock
from tasks.domain.events import TaskApproved, task_stream
from tasks.selectors import load_task
from tests.factories import import_tasks


def given_approved(
    project: Any,
    n: int,
    contributors: Sequence[Any],
    *,
    approved_at: datetime | None = None,
    prefix: str = "ok",
) -> list[UUID]:
    task_ids = import_tasks(project, n, prefix=prefix)
    moment = approved_at or clock.now()
    with command_transaction() as uow:
        appends = []
        for index, task_id in enumerate(task_ids):
            state, version = load_task(task_id)
            contributor = contributors[index % len(contributors)]
            event = TaskApproved(task_id, project.id, contributor.pk, state.rate, state.currency, moment)  # type: ignore[arg-type]
            appends.append((task_stream(task_id), version, [event]))
        uow.append_many(appends)
    return task_ids
