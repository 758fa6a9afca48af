"""Reactions of the tasks app: a deactivated contributor's claim goes back to the queue; a gold
task's submission is scored against its gold answer."""

from __future__ import annotations

from marlin import reactors
from marlin.eventstore.store import RecordedEvent
from people.domain import PersonDeactivated
from tasks import commands
from tasks.domain.events import JudgmentSubmitted
from tasks.domain.task import TaskStatus
from tasks.models import Task

claims = reactors.register(reactors.Reactor("tasks-claims"))


@claims.on(PersonDeactivated)
def release_claims_of_deactivated(event: PersonDeactivated, recorded: RecordedEvent) -> None:
    claimed = Task.objects.filter(contributor_id=event.user_id, status=TaskStatus.CLAIMED)
    for task_id in claimed.values_list("pk", flat=True):
        commands.task_release(contributor_id=event.user_id, task_id=task_id, reason="contributor_deactivated")


gold = reactors.register(reactors.Reactor("gold-scoring", partitions=2))


def _is_gold(recorded: RecordedEvent) -> bool:
    return bool(recorded.data.get("gold"))


# Only a gold submission wakes the reactor: any other passes through it unhandled, when the next
# gold submission or beat's periodic pump comes (a wake-up per submission was a fifth of the
# worker's messages under load, each a pump that did nothing).
@gold.on(JudgmentSubmitted, wakes=_is_gold)
def score_gold_submission(event: JudgmentSubmitted, recorded: RecordedEvent) -> None:
    """Routing leaves gold submissions alone; here they are scored (once: a scored task's decider
    answers a redelivery with nothing)."""
    if event.gold:
        commands.gold_score(
            task_id=event.task_id, submission_version=event.version, preference=event.preference
        )
