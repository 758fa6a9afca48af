"""Events of the task stream (``task-<uuid>``): import, claims, submissions, review, the end.

Review rounds are part of the task's own stream, so a task's state changes in one ordered
history: one layer's decision can never race another's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from marlin.kernel.events import DomainEvent


def task_stream(task_id: UUID) -> str:
    return f"task-{task_id}"


@dataclass(frozen=True)
class TaskImported(DomainEvent):
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


@dataclass(frozen=True)
class TaskClaimed(DomainEvent):
    task_id: UUID
    contributor_id: int
    expires_at: datetime


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
    """A submission (version 1) or a revision (2, 3...) entering review at ``layer``."""

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


@dataclass(frozen=True)
class TaskCancelled(DomainEvent):
    task_id: UUID
    reason: str


# --- review rounds (decided by ``reviews.domain``) -------------------------------------------------


@dataclass(frozen=True)
class ReviewAssigned(DomainEvent):
    """Routing (or ops) gave the submission under review at ``layer`` to a reviewer."""

    task_id: UUID
    assignment_id: UUID
    layer: int
    reviewer_id: int
    submission_version: int
    due_at: datetime


@dataclass(frozen=True)
class ReviewExpired(DomainEvent):
    """The reviewer did not decide by ``due_at``; the layer is routed to someone else."""

    task_id: UUID
    assignment_id: UUID
    reviewer_id: int


@dataclass(frozen=True)
class ReviewReassigned(DomainEvent):
    """The assignment was taken from its reviewer: ``reason`` is ``ops`` or ``reviewer_deactivated``."""

    task_id: UUID
    assignment_id: UUID
    reviewer_id: int
    reason: str


@dataclass(frozen=True)
class ReviewDecided(DomainEvent):
    task_id: UUID
    assignment_id: UUID
    reviewer_id: int
    layer: int
    decision: str  # approve | request_changes | reject
    feedback: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class TaskEnteredLayer(DomainEvent):
    """Approved at ``layer - 1``: the submission now waits for review at ``layer``."""

    task_id: UUID
    layer: int


@dataclass(frozen=True)
class ChangesRequested(DomainEvent):
    """The contributor revises; the revision returns to ``layer``, preferably to ``reviewer_id``."""

    task_id: UUID
    layer: int
    reviewer_id: int
    revision: int  # 1 for the first request for changes on this task


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
    """Rejected by a reviewer (final)."""

    task_id: UUID
    layer: int
    reviewer_id: int


@dataclass(frozen=True)
class ApprovalReversed(DomainEvent):
    """Ops reversed a wrong approval: the task is rejected; payouts add a reversal entry."""

    task_id: UUID
    contributor_id: int
    reason: str
