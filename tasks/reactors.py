"""Reactions of the tasks app: a deactivated contributor's claim goes back to the queue."""

from __future__ import annotations

from marlin import reactors
from marlin.eventstore.store import RecordedEvent
from people.domain import PersonDeactivated
from tasks import commands
from tasks.domain.task import TaskStatus
from tasks.models import Task

claims = reactors.register(reactors.Reactor("tasks-claims"))


@claims.on(PersonDeactivated)
def release_claims_of_deactivated(event: PersonDeactivated, recorded: RecordedEvent) -> None:
    claimed = Task.objects.filter(contributor_id=event.user_id, status=TaskStatus.CLAIMED)
    for task_id in claimed.values_list("pk", flat=True):
        commands.task_release(contributor_id=event.user_id, task_id=task_id, reason="contributor_deactivated")
