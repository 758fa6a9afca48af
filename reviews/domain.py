"""Review rounds: the rules for assigning, expiring, reassigning and deciding reviews.

They act on the task aggregate (``tasks.domain.task.TaskState``): review events belong to the
task's stream, so a task's review history is one ordered sequence. Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from marlin.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marlin.kernel.events import DomainEvent
from tasks.domain.events import (
    ChangesRequested,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskApproved,
    TaskEnteredLayer,
    TaskRejected,
)
from tasks.domain.task import Assignment, AssignmentStatus, ProjectPolicy, TaskState, TaskStatus

MAX_FEEDBACK = 10_000


class Decision(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    REJECT = "reject"


def excluded_reviewers(state: TaskState) -> frozenset[int]:
    """Who may not take the current layer's review: the contributor, anyone who reviewed this
    task at another layer, and anyone this round's review already expired on or was taken from."""
    excluded = set(state.reviewers_at_other_layers(state.layer or 0)) | set(state.reviewers_passed_over())
    if state.contributor_id is not None:
        excluded.add(state.contributor_id)
    return frozenset(excluded)


def decide_assign(
    state: TaskState, *, reviewer_id: int, assignment_id: UUID, policy: ProjectPolicy, now: datetime
) -> list[DomainEvent]:
    """Give the current layer to a reviewer (routing has checked level, skills and capacity)."""
    if not state.exists:
        raise NotFound("no such task")
    if not state.awaits_reviewer():
        raise Conflict("the task is not waiting for a reviewer", code="not_awaiting_review")
    if reviewer_id == state.contributor_id:
        raise NotAllowed("nobody reviews their own work", code="own_work")
    if reviewer_id in state.reviewers_at_other_layers(state.layer or 0):
        raise NotAllowed("this reviewer reviewed the task at another layer", code="reviewed_other_layer")
    return [
        ReviewAssigned(
            task_id=state.task_id,  # type: ignore[arg-type]
            assignment_id=assignment_id,
            layer=state.layer,  # type: ignore[arg-type]
            reviewer_id=reviewer_id,
            submission_version=state.submissions,
            due_at=now + timedelta(minutes=policy.review_timeout_minutes),
        )
    ]


def _pending(state: TaskState, assignment_id: UUID) -> Assignment:
    assignment = state.assignment(assignment_id)
    if assignment is None:
        raise NotFound("no such review assignment")
    if assignment.status != AssignmentStatus.PENDING:
        raise Conflict(f"the assignment is {assignment.status}, not pending", code="not_pending")
    return assignment


def decide_expire(state: TaskState, *, assignment_id: UUID, now: datetime) -> list[DomainEvent]:
    assignment = _pending(state, assignment_id)
    if assignment.due_at > now:
        raise Conflict("the assignment is not overdue", code="not_overdue")
    return [ReviewExpired(state.task_id, assignment_id, assignment.reviewer_id)]  # type: ignore[arg-type]


def decide_reassign(state: TaskState, *, assignment_id: UUID, reason: str) -> list[DomainEvent]:
    assignment = _pending(state, assignment_id)
    return [ReviewReassigned(state.task_id, assignment_id, assignment.reviewer_id, reason)]  # type: ignore[arg-type]


def clean_decision(
    raw_decision: Any, feedback: Any, reasons: Any, *, reason_codes: Sequence[str]
) -> tuple[Decision, str, tuple[str, ...]]:
    """Feedback and at least one of the project's reason codes are required to ask for changes
    or to reject; an approval may carry feedback but no reasons."""
    errors: dict[str, list[str]] = {}
    try:
        decision = Decision(raw_decision)
    except ValueError:
        raise InvalidInput(fields={"decision": [f"must be one of {[d.value for d in Decision]}"]}) from None
    text = feedback.strip() if isinstance(feedback, str) else ""
    if feedback is not None and not isinstance(feedback, str):
        errors["feedback"] = ["must be text"]
    elif len(text) > MAX_FEEDBACK:
        errors["feedback"] = [f"at most {MAX_FEEDBACK} characters"]
    codes = reasons if isinstance(reasons, list | tuple) else None
    if reasons is not None and codes is None:
        errors["reasons"] = ["must be a list of reason codes"]
    codes = tuple(dict.fromkeys(codes or ()))
    unknown = [code for code in codes if code not in reason_codes]
    if unknown:
        errors.setdefault("reasons", []).append(
            f"unknown reason(s) {unknown}; this project's are {list(reason_codes)}"
        )
    if decision != Decision.APPROVE:
        if not text:
            errors.setdefault("feedback", []).append("feedback is required to ask for changes or to reject")
        if not codes:
            errors.setdefault("reasons", []).append("at least one reason code is required")
    elif codes:
        errors.setdefault("reasons", []).append("an approval takes no reason codes")
    if errors:
        raise InvalidInput(fields=errors)
    return decision, text, codes


def decide_review(
    state: TaskState,
    *,
    assignment_id: UUID,
    reviewer_id: int,
    decision: Any,
    feedback: Any,
    reasons: Any,
    policy: ProjectPolicy,
    now: datetime,
) -> list[DomainEvent]:
    """The assigned reviewer's decision, and what it does to the task."""
    assignment = state.assignment(assignment_id)
    if assignment is None:
        raise NotFound("no such review assignment")
    if assignment.reviewer_id != reviewer_id:
        raise NotAllowed("only the assigned reviewer decides", code="not_assigned_reviewer")
    _pending(state, assignment_id)
    if state.status != TaskStatus.IN_REVIEW or assignment.layer != state.layer:
        raise Conflict("the task is no longer in review at this layer", code="not_in_review")
    chosen, text, codes = clean_decision(decision, feedback, reasons, reason_codes=policy.reason_codes)
    if chosen == Decision.REQUEST_CHANGES and state.revisions_requested >= policy.max_revisions:
        raise Conflict(
            f"this task has had {state.revisions_requested} revision(s), the project's maximum: "
            "approve or reject it",
            code="max_revisions_reached",
        )
    decided = ReviewDecided(
        state.task_id,
        assignment_id,
        reviewer_id,
        assignment.layer,
        chosen.value,
        text,
        codes,  # type: ignore[arg-type]
    )
    return [decided, _outcome(state, chosen, assignment, policy, now)]


def _outcome(
    state: TaskState, decision: Decision, assignment: Assignment, policy: ProjectPolicy, now: datetime
) -> DomainEvent:
    task_id: UUID = state.task_id  # type: ignore[assignment]
    if decision == Decision.REJECT:
        return TaskRejected(task_id, assignment.layer, assignment.reviewer_id)
    if decision == Decision.REQUEST_CHANGES:
        return ChangesRequested(
            task_id, assignment.layer, assignment.reviewer_id, state.revisions_requested + 1
        )
    if assignment.layer < policy.review_layers:
        return TaskEnteredLayer(task_id, assignment.layer + 1)
    return TaskApproved(
        task_id=task_id,
        project_id=state.project_id,  # type: ignore[arg-type]
        contributor_id=state.contributor_id,  # type: ignore[arg-type]
        rate=state.rate,  # type: ignore[arg-type]
        currency=state.currency,  # type: ignore[arg-type]
        approved_at=now,
    )
