"""Payouts in Celery: final approval accrues; a reversed approval adds the reversal entry.

Both events are on the task's stream, so they reach this reactor in order: the accrual always
exists before its reversal is recorded.
"""

from __future__ import annotations

from marlin import reactors
from marlin.eventstore.store import RecordedEvent
from payments import commands
from tasks.domain.events import ApprovalReversed, TaskApproved

payouts = reactors.register(reactors.Reactor("payouts", partitions=2))


@payouts.on(TaskApproved)
def accrue(event: TaskApproved, recorded: RecordedEvent) -> None:
    commands.payout_accrue(
        task_id=event.task_id,
        contributor_id=event.contributor_id,
        rate=event.rate,
        currency=event.currency,
        approved_at=event.approved_at,
    )


@payouts.on(ApprovalReversed)
def reverse(event: ApprovalReversed, recorded: RecordedEvent) -> None:
    commands.payout_reverse(task_id=event.task_id, reason=event.reason)
