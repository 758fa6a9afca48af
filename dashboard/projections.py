"""The dashboard's projection of the review flow (``LayerVisit``): a stay opens when a submission
enters a layer and closes when a reviewer decides there or the task is cancelled."""

from __future__ import annotations

from dashboard.models import LayerVisit
from marlin import projections
from marlin.eventstore.store import RecordedEvent
from tasks.domain.events import JudgmentSubmitted, TaskCancelled
from tasks.domain.review_round import ReviewDecided, TaskEnteredLayer

layer_visits_projector = projections.register(
    projections.Projector("layer_visits", tables=[LayerVisit], in_memory=True)
)
rows = projections.rows
CANCELLED = "cancelled"


@layer_visits_projector.on(JudgmentSubmitted, TaskEnteredLayer)
def _entered(event: JudgmentSubmitted | TaskEnteredLayer, recorded: RecordedEvent) -> None:
    if isinstance(event, JudgmentSubmitted) and event.gold:
        return  # scored at once, never a stay with a reviewer
    rows(LayerVisit).insert(
        task_id=event.task_id,
        entered_version=recorded.version,
        layer=event.layer,
        entered_at=recorded.recorded_at,
    )


@layer_visits_projector.on(ReviewDecided)
def _decided(event: ReviewDecided, recorded: RecordedEvent) -> None:
    _leave(event.task_id, recorded, outcome=str(event.decision))


@layer_visits_projector.on(TaskCancelled)
def _cancelled(event: TaskCancelled, recorded: RecordedEvent) -> None:
    _leave(event.task_id, recorded, outcome=CANCELLED)


def _leave(task_id: object, recorded: RecordedEvent, *, outcome: str) -> None:
    rows(LayerVisit).update(
        {"task_id": task_id, "left_at": None}, left_at=recorded.recorded_at, outcome=outcome
    )
