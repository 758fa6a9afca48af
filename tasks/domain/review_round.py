"""The review round: one home for what the tasks and reviews apps both know of a review.

A round is the review of one submission at one layer. Its events ride on the task's own stream
(``task-<uuid>``), so they are ordered with everything else that happens to the task; the rules
that append them live in ``reviews.domain``, and both the task aggregate (``tasks.domain.task``)
and the reviews projections read them from here. Pure: no Django imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from marlin.kernel.events import DomainEvent, JsonDict, register_upcaster


class AssignmentStatus(StrEnum):
    PENDING = "pending"
    DECIDED = "decided"
    EXPIRED = "expired"
    REASSIGNED = "reassigned"
    CANCELLED = "cancelled"  # the task was cancelled while the review was pending


class AssignmentKind(StrEnum):
    REVIEW = "review"
    APPEAL = "appeal"  # a rejected task's appeal, at the project's top layer


class Decision(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


@dataclass(frozen=True)
class Assignment:
    """One reviewer's assignment within the task aggregate's state."""

    assignment_id: UUID
    layer: int
    reviewer_id: int
    submission_version: int
    due_at: datetime
    status: AssignmentStatus = AssignmentStatus.PENDING
    decision: Decision | None = None
    kind: AssignmentKind = AssignmentKind.REVIEW
    calibration: bool = False  # the review of a calibration plant


@dataclass(frozen=True)
class ReviewAssigned(DomainEvent):
    """Routing (or ops) gave the submission under review at ``layer`` to a reviewer.

    ``by_hand`` is true only when ops named the reviewer; when routing picks (after an expiry,
    a deactivation, or an ops reassignment without a name) it is false. Finance's controls
    list approvals whose chain had a reviewer assigned by hand, so it must be a recorded fact.
    ``kind``: ``review``, or ``appeal`` for the review of an appealed rejection.
    ``calibration``: the task is a calibration plant (its reviewer is never told: the
    assignment's ``kind`` is ``review``, and nothing a reviewer reads shows this flag).
    """

    schema_version = 3

    task_id: UUID
    assignment_id: UUID
    layer: int
    reviewer_id: int
    submission_version: int
    due_at: datetime
    by_hand: bool = False
    kind: AssignmentKind = AssignmentKind.REVIEW
    calibration: bool = False


@register_upcaster("ReviewAssigned", 2)
def _review_assigned_v2_to_v3(data: JsonDict) -> JsonDict:
    """Before v3 there were no appeals and no calibration plants: every assignment reviewed a
    contributor's submission."""
    return {**data, "kind": AssignmentKind.REVIEW.value, "calibration": False}


@register_upcaster("ReviewAssigned", 1)
def _review_assigned_v1_to_v2(data: JsonDict) -> JsonDict:
    """Before v2 the log did not record who chose the reviewer: read it as routing's choice."""
    return {**data, "by_hand": False}


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
    decision: Decision
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
