"""Events of the task stream (``task-<uuid>``): import, claims, submissions and the task's end.

Review rounds are part of the task's own stream, so a task's state changes in one ordered
history: one layer's decision can never race another's. The events of a round in progress live
in ``tasks.domain.review_round``; the final outcomes (approved, rejected, reversed) live here,
since the payouts app reacts to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from marlin.kernel.events import DomainEvent, JsonDict, register_upcaster, stream_name
from tasks.domain.gold import GoldAnswer


def task_stream(task_id: UUID) -> str:
    return stream_name("task", task_id)


@dataclass(frozen=True)
class TaskImported(DomainEvent):
    """``gold``: the answer a gold task deserves (canonical order), decided here and only here.
    ``item``: see below; siblings are separate tasks, each claimed, reviewed and paid."""

    schema_version = 2

    task_id: UUID
    project_id: UUID
    external_id: str
    prompt: str
    context: str
    response_a: str
    response_b: str
    model_a: str
    model_b: str
    tags: tuple[str, ...]
    priority: int
    rate: Decimal
    currency: str
    row: int  # the row's number in its import, so tasks imported together keep their order
    gold: GoldAnswer | None = None
    # The imported item's external id, shared by its sibling tasks (project ``overlap``); None
    # (as in every event before overlap existed) means the task's own external id.
    item: str | None = None


@register_upcaster("TaskImported", 1)
def _task_imported_v1_to_v2(data: JsonDict) -> JsonDict:
    """Before v2 no task was gold."""
    return {**data, "gold": None}


@dataclass(frozen=True)
class TaskClaimed(DomainEvent):
    """``presented_swapped``: this claim shows the import's B as "A" and its A as "B" (drawn at
    random per claim when the project's ``randomize_order`` is on)."""

    schema_version = 2

    task_id: UUID
    contributor_id: int
    expires_at: datetime
    presented_swapped: bool = False


@register_upcaster("TaskClaimed", 1)
def _task_claimed_v1_to_v2(data: JsonDict) -> JsonDict:
    """Before v2 every claim showed A and B in the order of the import."""
    return {**data, "presented_swapped": False}


@dataclass(frozen=True)
class TaskReleased(DomainEvent):
    """The claim ended before a submission: ``reason`` is ``released`` or ``contributor_deactivated``."""

    task_id: UUID
    contributor_id: int
    reason: str


@dataclass(frozen=True)
class ClaimExpired(DomainEvent):
    task_id: UUID
    contributor_id: int


@dataclass(frozen=True)
class JudgmentSubmitted(DomainEvent):
    """A submission (version 1) or a revision (2, 3...) entering review at ``layer``.

    ``preference`` and ``scores`` are canonical (the import's order); ``presented_swapped`` is
    the order its contributor saw, their claim's. ``gold``: the task is gold, so the submission
    is scored against its gold answer instead of reviewed."""

    schema_version = 2

    task_id: UUID
    submission_id: UUID
    contributor_id: int
    version: int
    preference: str
    strength: int | None
    scores: dict[str, dict[str, int]]
    rationale: str
    time_spent_minutes: int
    layer: int
    presented_swapped: bool = False
    gold: bool = False


@register_upcaster("JudgmentSubmitted", 1)
def _judgment_submitted_v1_to_v2(data: JsonDict) -> JsonDict:
    """Before v2 every contributor saw A and B in the order of the import, and no task was gold:
    every submission went to review."""
    return {**data, "presented_swapped": False, "gold": False}


@dataclass(frozen=True)
class TaskCancelled(DomainEvent):
    task_id: UUID
    reason: str


# --- the end of a task (review outcomes are decided by ``reviews.domain``) --------------------


@dataclass(frozen=True)
class TaskApproved(DomainEvent):
    """Final approval at the last layer: the contributor earns ``rate`` in ``currency``."""

    task_id: UUID
    project_id: UUID
    contributor_id: int
    rate: Decimal
    currency: str
    approved_at: datetime


@dataclass(frozen=True)
class TaskRejected(DomainEvent):
    """Rejected (final): by a reviewer, or by a gold score (``reviewer_id`` null)."""

    task_id: UUID
    layer: int
    reviewer_id: int | None


@dataclass(frozen=True)
class ApprovalReversed(DomainEvent):
    """Ops reversed a wrong approval: the task is rejected; payouts add a reversal entry."""

    task_id: UUID
    contributor_id: int
    reason: str


# --- appeals ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppealFiled(DomainEvent):
    """The contributor appealed the task's rejection: it waits for an appeal reviewer at ``layer``
    (the project's top layer). ``rejected_by``: the reviewer whose rejection is appealed (None
    for a gold score), so an overturn counts against them."""

    task_id: UUID
    project_id: UUID
    contributor_id: int
    reason: str
    layer: int
    rejected_by: int | None


@dataclass(frozen=True)
class AppealDecided(DomainEvent):
    """The appeal reviewer's verdict: ``overturned`` (a ``TaskApproved`` follows in the same
    append, and payouts accrue it like any approval) or upheld (the task is rejected again,
    finally)."""

    task_id: UUID
    assignment_id: UUID
    reviewer_id: int
    contributor_id: int
    overturned: bool
    rejected_by: int | None
