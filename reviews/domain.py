"""Review rounds: the rules for assigning, expiring, reassigning and deciding reviews.

They act on the task aggregate (``tasks.domain.task.TaskState``): review events belong to the
task's stream (``tasks.domain.review_round``), so a task's review history is one ordered
sequence. Deciders take typed values: the API's serializer has checked the input's shape (a
known decision, text within its length, a list of codes); the rules that need the task or the
project are checked here. Pure: no Django imports.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from marlin.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marlin.kernel.events import DomainEvent
from tasks.domain.calibration import CalibrationScored, caught
from tasks.domain.events import AppealDecided, TaskApproved, TaskRejected
from tasks.domain.review_round import (
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    ChangesRequested,
    Decision,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)
from tasks.domain.task import ProjectPolicy, TaskState, TaskStatus, contributor_of, known

MAX_FEEDBACK = 10_000  # characters; the API's input serializer holds feedback to it
MAX_REASONS = 30


@dataclass(frozen=True)
class ReviewDecision:
    """A reviewer's decision as the API received it: feedback stripped, each reason code once."""

    decision: Decision
    feedback: str = ""
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewerFacts:
    """What the eligibility rules need to know of one person (read by a selector)."""

    reviewer_id: int
    is_reviewer: bool
    active: bool
    reviewer_level: int
    skills: frozenset[str]
    pending: int
    capacity: int


def check_named_reviewer(state: TaskState, facts: ReviewerFacts, *, required_skills: tuple[str, ...]) -> None:
    """Why ops may not give the current layer's review to this person: the first rule of SPEC's
    "Routing" they break, as its own code with ``details`` (``{"rule": code, ...}``), the field
    to blame being ``reviewer``. Returns when every rule holds."""
    layer = state.layer or 1
    missing = sorted(set(required_skills) - facts.skills)
    rules: list[tuple[bool, str, str, dict[str, object]]] = [
        (not facts.is_reviewer, "not_a_reviewer", "is not a reviewer", {}),
        (not facts.active, "reviewer_inactive", "is inactive", {}),
        (facts.reviewer_id == state.contributor_id, "own_work", "is the task's contributor", {}),
        (
            facts.reviewer_level < layer,
            "reviewer_level_too_low",
            f"is level {facts.reviewer_level}, below layer {layer}",
            {"reviewer_level": facts.reviewer_level, "layer": layer},
        ),
        (
            bool(missing),
            "reviewer_missing_skill",
            f"lacks the project's skills {missing}",
            {"missing_skills": missing},
        ),
        (
            facts.reviewer_id in state.reviewers_at_other_layers(layer),
            "reviewed_other_layer",
            "reviewed this task at another layer",
            {},
        ),
        (
            state.status == TaskStatus.APPEALED and facts.reviewer_id in state.reviewers_of_task(),
            "reviewed_appealed_task",
            "reviewed this task before its appeal",
            {},
        ),
        (
            facts.reviewer_id in state.reviewers_passed_over(),
            "reviewer_passed_over",
            "already let this review expire or had it taken away",
            {},
        ),
        (
            facts.pending >= facts.capacity,
            "reviewer_at_capacity",
            f"holds {facts.pending} pending reviews, their capacity",
            {"pending": facts.pending, "capacity": facts.capacity},
        ),
    ]
    for broken, code, why, details in rules:
        if broken:
            raise InvalidInput(
                f"not eligible for this review: the reviewer {why}",
                code=code,
                fields={"reviewer": [f"the reviewer {why}"]},
                details={"rule": code, **details},
            )


def excluded_reviewers(state: TaskState) -> frozenset[int]:
    """Who may not take the current layer's review: the contributor, anyone who reviewed this
    task at another layer (for an appeal: at any layer), and anyone this round's review already
    expired on or was taken from."""
    reviewed = (
        state.reviewers_of_task()
        if state.status == TaskStatus.APPEALED
        else state.reviewers_at_other_layers(state.layer or 0)
    )
    excluded = set(reviewed) | set(state.reviewers_passed_over())
    if state.contributor_id is not None:
        excluded.add(state.contributor_id)
    return frozenset(excluded)


def decide_assign(
    state: TaskState,
    *,
    reviewer_id: int,
    assignment_id: UUID,
    policy: ProjectPolicy,
    now: datetime,
    by_hand: bool = False,
) -> list[DomainEvent]:
    """Give the current layer to a reviewer (routing has checked level, skills and capacity).
    ``by_hand``: ops named this reviewer, rather than letting routing pick."""
    task = known(state)
    if not state.awaits_reviewer() or state.layer is None:
        raise Conflict("the task is not waiting for a reviewer", code="not_awaiting_review")
    if reviewer_id == state.contributor_id:
        raise NotAllowed("nobody reviews their own work", code="own_work")
    if reviewer_id in state.reviewers_at_other_layers(state.layer):
        raise NotAllowed("this reviewer reviewed the task at another layer", code="reviewed_other_layer")
    if state.status == TaskStatus.APPEALED and reviewer_id in state.reviewers_of_task():
        raise NotAllowed("this reviewer reviewed the task before its appeal", code="reviewed_appealed_task")
    return [
        ReviewAssigned(
            task_id=task.task_id,
            assignment_id=assignment_id,
            layer=state.layer,
            reviewer_id=reviewer_id,
            submission_version=state.submissions,
            due_at=now + timedelta(minutes=policy.review_timeout_minutes),
            by_hand=by_hand,
            kind=state.assignment_kind(),
        )
    ]


def decide_assign_plant(
    state: TaskState,
    *,
    reviewer_id: int,
    assignment_id: UUID,
    policy: ProjectPolicy,
    now: datetime,
) -> list[DomainEvent]:
    """Give a calibration plant to a reviewer (routing has checked level, skills, room and that
    they are due for one): never twice to one reviewer, and to at most the project's
    ``calibration_reviews`` at once or decided. It reads like any review: the same due date."""
    task = known(state)
    if state.calibration is None or state.layer is None:
        raise Conflict("the task is not a calibration plant", code="not_a_plant")
    if reviewer_id in state.plant_reviewers():
        raise NotAllowed("this reviewer has had this plant", code="plant_seen")
    if state.plant_reviews_held() >= policy.calibration_reviews:
        raise Conflict("the plant has all the reviews the project asks for", code="plant_full")
    return [
        ReviewAssigned(
            task_id=task.task_id,
            assignment_id=assignment_id,
            layer=state.layer,
            reviewer_id=reviewer_id,
            submission_version=state.submissions,
            due_at=now + timedelta(minutes=policy.review_timeout_minutes),
            calibration=True,
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
    task = known(state)
    assignment = _pending(state, assignment_id)
    if assignment.due_at > now:
        raise Conflict("the assignment is not overdue", code="not_overdue")
    return [ReviewExpired(task.task_id, assignment_id, assignment.reviewer_id)]


def decide_reassign(state: TaskState, *, assignment_id: UUID, reason: str) -> list[DomainEvent]:
    task = known(state)
    assignment = _pending(state, assignment_id)
    return [ReviewReassigned(task.task_id, assignment_id, assignment.reviewer_id, reason)]


def check_decision(decision: ReviewDecision, *, reason_codes: tuple[str, ...]) -> None:
    """Feedback and at least one of the project's reason codes are required to ask for changes
    or to reject; an approval may carry feedback but no reasons. Every broken rule is named."""
    errors: dict[str, list[str]] = {}
    unknown = [code for code in decision.reasons if code not in reason_codes]
    if unknown:
        errors["reasons"] = [f"unknown reason(s) {unknown}; this project's are {list(reason_codes)}"]
    if decision.decision != Decision.APPROVE:
        if not decision.feedback:
            errors.setdefault("feedback", []).append("feedback is required to ask for changes or to reject")
        if not decision.reasons:
            errors.setdefault("reasons", []).append("at least one reason code is required")
    elif decision.reasons:
        errors.setdefault("reasons", []).append("an approval takes no reason codes")
    if errors:
        raise InvalidInput(fields=errors)


def decide_review(
    state: TaskState,
    *,
    assignment_id: UUID,
    reviewer_id: int,
    decision: ReviewDecision,
    policy: ProjectPolicy,
    now: datetime,
) -> list[DomainEvent]:
    """The assigned reviewer's decision, and what it does to the task."""
    task = known(state)
    assignment = state.assignment(assignment_id)
    if assignment is None:
        raise NotFound("no such review assignment")
    if assignment.reviewer_id != reviewer_id:
        raise NotAllowed("only the assigned reviewer decides", code="not_assigned_reviewer")
    _pending(state, assignment_id)
    if assignment.calibration:
        return _decide_plant_review(state, assignment, decision, policy)
    if assignment.kind == AssignmentKind.APPEAL:
        return _decide_appeal_review(state, assignment, decision, policy, now)
    if state.status != TaskStatus.IN_REVIEW or assignment.layer != state.layer:
        raise Conflict("the task is no longer in review at this layer", code="not_in_review")
    check_decision(decision, reason_codes=policy.reason_codes)
    chosen = decision.decision
    if chosen == Decision.REQUEST_CHANGES and state.revisions_requested >= policy.max_revisions:
        raise Conflict(
            f"this task has had {state.revisions_requested} revision(s), the project's maximum: "
            "approve or reject it",
            code="max_revisions_reached",
        )
    return [_decided(task.task_id, assignment, decision), _outcome(state, chosen, assignment, policy, now)]


def _decide_plant_review(
    state: TaskState, assignment: Assignment, decision: ReviewDecision, policy: ProjectPolicy
) -> list[DomainEvent]:
    """A plant's review is decided like any other (the same rules, the same answer) and scored
    against what the plant deserves; the plant itself stays as it is for its next reviewer."""
    task = known(state)
    assert state.calibration is not None
    check_decision(decision, reason_codes=policy.reason_codes)
    expected = state.calibration.decision
    return [
        _decided(task.task_id, assignment, decision),
        CalibrationScored(
            task_id=task.task_id,
            project_id=task.project_id,
            assignment_id=assignment.assignment_id,
            reviewer_id=assignment.reviewer_id,
            layer=assignment.layer,
            decision=decision.decision,
            expected_decision=expected,
            caught=caught(decision.decision, expected),
        ),
    ]


def _decide_appeal_review(
    state: TaskState, assignment: Assignment, decision: ReviewDecision, policy: ProjectPolicy, now: datetime
) -> list[DomainEvent]:
    """An appeal is approved (the rejection is overturned: the task is approved and paid) or
    rejected (the rejection stands, finally); it cannot be sent back for changes."""
    task = known(state)
    if state.status != TaskStatus.APPEALED:
        raise Conflict(f"the task is {state.status}, no longer appealed", code="not_appealed")
    if decision.decision == Decision.REQUEST_CHANGES:
        raise InvalidInput(
            "an appeal is approved (overturned) or rejected (upheld), not sent back for changes",
            fields={"decision": ["an appeal takes approve or reject"]},
        )
    check_decision(decision, reason_codes=policy.reason_codes)
    overturned = decision.decision == Decision.APPROVE
    contributor_id = contributor_of(state)
    events: list[DomainEvent] = [
        _decided(task.task_id, assignment, decision),
        AppealDecided(
            task_id=task.task_id,
            assignment_id=assignment.assignment_id,
            reviewer_id=assignment.reviewer_id,
            contributor_id=contributor_id,
            overturned=overturned,
            rejected_by=state.rejected_by,
        ),
    ]
    if overturned:
        events.append(_approved(state, now))
    return events


def _outcome(
    state: TaskState, decision: Decision, assignment: Assignment, policy: ProjectPolicy, now: datetime
) -> DomainEvent:
    task = known(state)
    if decision == Decision.REJECT:
        return TaskRejected(task.task_id, assignment.layer, assignment.reviewer_id)
    if decision == Decision.REQUEST_CHANGES:
        return ChangesRequested(
            task.task_id, assignment.layer, assignment.reviewer_id, state.revisions_requested + 1
        )
    if assignment.layer < policy.review_layers:
        return TaskEnteredLayer(task.task_id, assignment.layer + 1)
    return _approved(state, now)


def _decided(task_id: UUID, assignment: Assignment, decision: ReviewDecision) -> ReviewDecided:
    return ReviewDecided(
        task_id,
        assignment.assignment_id,
        assignment.reviewer_id,
        assignment.layer,
        decision.decision,
        decision.feedback,
        decision.reasons,
    )


def _approved(state: TaskState, now: datetime) -> TaskApproved:
    """Final approval: the contributor earns the task's rate (payouts react to it)."""
    task = known(state)
    return TaskApproved(
        task_id=task.task_id,
        project_id=task.project_id,
        contributor_id=contributor_of(state),
        rate=task.rate,
        currency=task.currency,
        approved_at=now,
    )
