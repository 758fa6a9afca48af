"""The task aggregate: its states and the rules of the contributor's side.

``decide_*`` functions take the state folded from the task's stream (and whatever else the rule
needs, passed in as plain values) and return the events to append, or raise a refusal.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from marlin.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from marlin.kernel.events import DomainEvent
from tasks.domain.calibration import CalibrationPlanted, ExpectedDecision, PlantRow
from tasks.domain.events import (
    AppealDecided,
    AppealFiled,
    ApprovalReversed,
    ClaimExpired,
    JudgmentSubmitted,
    TaskApproved,
    TaskCancelled,
    TaskClaimed,
    TaskImported,
    TaskRejected,
    TaskReleased,
)
from tasks.domain.gold import GOLD_MISMATCH, GoldAnswer, GoldScored, score_gold
from tasks.domain.judgment import Judgment
from tasks.domain.presentation import canonical_judgment
from tasks.domain.review_round import (
    Assignment,
    AssignmentKind,
    AssignmentStatus,
    ChangesRequested,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)
from tasks.domain.rows import TaskRow

TASK_ID_NAMESPACE = uuid.UUID("6f1b7f4e-2f55-4c7e-9f1e-0d6c7a1b9a10")


class TaskStatus(StrEnum):
    OPEN = "open"
    CLAIMED = "claimed"
    IN_REVIEW = "in_review"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    APPEALED = "appealed"  # rejected, and its contributor's appeal waits for a decision
    CANCELLED = "cancelled"


def task_id_for(project_id: UUID, external_id: str) -> UUID:
    """The same external id in the same project is always the same task (imports are idempotent)."""
    return uuid.uuid5(TASK_ID_NAMESPACE, f"{project_id}:{external_id}")


@dataclass(frozen=True)
class ProjectPolicy:
    """What the task rules need to know about the task's project, read when the command runs."""

    project_id: UUID
    status: str
    criteria: tuple[str, ...]
    claim_timeout_minutes: int
    review_layers: int = 2
    max_revisions: int = 2
    review_timeout_minutes: int = 1440
    reason_codes: tuple[str, ...] = ()
    rate: Decimal = Decimal("280.00")
    currency: str = "USD"
    randomize_order: bool = True
    gold_min_accuracy: Decimal | None = None
    gold_min_answers: int = 5
    overlap: int = 1
    appeal_window_days: int = 7
    calibration_reviews: int = 3
    calibration_every: int = 20


@dataclass(frozen=True)
class KnownTask:
    """What every imported task has, typed without ``None``: the state a decider reads once it
    has checked that the task exists (``known``)."""

    task_id: UUID
    project_id: UUID
    rate: Decimal
    currency: str


@dataclass(frozen=True)
class TaskState:
    task_id: UUID | None = None
    project_id: UUID | None = None
    status: TaskStatus | None = None
    layer: int | None = None
    contributor_id: int | None = None
    claim_expires_at: datetime | None = None
    presented_swapped: bool = False  # the current claim's presentation order
    submissions: int = 0
    resume_layer: int | None = None  # the layer that asked for changes, where the revision goes
    preferred_reviewer_id: int | None = None  # who asked for changes, to review the revision
    revisions_requested: int = 0
    assignments: tuple[Assignment, ...] = ()
    rate: Decimal | None = None
    currency: str | None = None
    gold: GoldAnswer | None = None
    rejected_by: int | None = None  # the reviewer of the last rejection (None: a gold score)
    appealed: bool = False  # one appeal per task, whatever its outcome
    reversed: bool = False  # rejected by ops reversing its approval: no appeal
    calibration: ExpectedDecision | None = None  # a calibration plant, and what it deserves

    @property
    def exists(self) -> bool:
        return self.status is not None

    def pending_assignment(self) -> Assignment | None:
        return next((a for a in self.assignments if a.status == AssignmentStatus.PENDING), None)

    def assignment(self, assignment_id: UUID) -> Assignment | None:
        return next((a for a in self.assignments if a.assignment_id == assignment_id), None)

    def reviewers_at_other_layers(self, layer: int) -> frozenset[int]:
        """Who decided on this task at another layer: they may not review it at this one."""
        return frozenset(
            a.reviewer_id
            for a in self.assignments
            if a.layer != layer and a.status == AssignmentStatus.DECIDED
        )

    def reviewers_passed_over(self) -> frozenset[int]:
        """Who let this submission's review at this layer expire or had it taken away."""
        return frozenset(
            a.reviewer_id
            for a in self.assignments
            if a.layer == self.layer
            and a.submission_version == self.submissions
            and a.status in (AssignmentStatus.EXPIRED, AssignmentStatus.REASSIGNED)
        )

    def reviewers_of_task(self) -> frozenset[int]:
        """Whoever decided a review of this task, at any layer: none of them hears its appeal."""
        return frozenset(a.reviewer_id for a in self.assignments if a.status == AssignmentStatus.DECIDED)

    def awaits_reviewer(self) -> bool:
        """In review (a gold task is scored, never reviewed) or appealed (gold or not: an appeal
        is heard by a person), with no pending assignment."""
        if self.calibration is not None:
            return False  # routing offers a plant to reviewers due for one (``reviews.commands``)
        waiting = (
            self.status == TaskStatus.IN_REVIEW and self.gold is None
        ) or self.status == TaskStatus.APPEALED
        return waiting and self.pending_assignment() is None

    def plant_reviewers(self) -> frozenset[int]:
        """Whoever a plant was ever given to: none of them gets it again."""
        return frozenset(a.reviewer_id for a in self.assignments)

    def plant_reviews_held(self) -> int:
        """A plant's reviews pending or decided: those count against ``calibration_reviews``."""
        kept = (AssignmentStatus.PENDING, AssignmentStatus.DECIDED)
        return sum(1 for a in self.assignments if a.status in kept)

    def assignment_kind(self) -> AssignmentKind:
        """The kind of review the task waits for now."""
        return AssignmentKind.APPEAL if self.status == TaskStatus.APPEALED else AssignmentKind.REVIEW


def known(state: TaskState) -> KnownTask:
    """The task's fixed facts; NotFound for a stream with no ``TaskImported``."""
    if state.task_id is None or state.project_id is None or state.rate is None or state.currency is None:
        raise NotFound("no such task")
    return KnownTask(state.task_id, state.project_id, state.rate, state.currency)


def may_see(state: TaskState, person_id: int) -> bool:
    """Whether a contributor or reviewer may see the task (ops see every task): its contributor,
    and whoever holds or decided one of its reviews, as the task list and detail views say."""
    if state.contributor_id == person_id:
        return True
    kept = (AssignmentStatus.PENDING, AssignmentStatus.DECIDED)
    return any(a.reviewer_id == person_id and a.status in kept for a in state.assignments)


def contributor_of(state: TaskState) -> int:
    """The contributor of a claimed or submitted task (a Conflict for an open one)."""
    if state.contributor_id is None:
        raise Conflict(f"the task is {state.status}: it has no contributor", code="no_contributor")
    return state.contributor_id


def _with_assignment(state: TaskState, assignment_id: UUID, **changes: Any) -> TaskState:
    assignments = tuple(
        replace(a, **changes) if a.assignment_id == assignment_id else a for a in state.assignments
    )
    return replace(state, assignments=assignments)


def _cancel_pending(state: TaskState) -> tuple[Assignment, ...]:
    return tuple(
        replace(a, status=AssignmentStatus.CANCELLED) if a.status == AssignmentStatus.PENDING else a
        for a in state.assignments
    )


def evolve(state: TaskState, event: DomainEvent) -> TaskState:  # noqa: PLR0911, PLR0912 - a case per event
    match event:
        case TaskImported():
            return TaskState(
                task_id=event.task_id,
                project_id=event.project_id,
                status=TaskStatus.OPEN,
                rate=event.rate,
                currency=event.currency,
                gold=event.gold,
            )
        case TaskClaimed():
            return replace(
                state,
                status=TaskStatus.CLAIMED,
                contributor_id=event.contributor_id,
                claim_expires_at=event.expires_at,
                presented_swapped=event.presented_swapped,
            )
        case TaskReleased() | ClaimExpired():
            return replace(
                state,
                status=TaskStatus.OPEN,
                contributor_id=None,
                claim_expires_at=None,
                presented_swapped=False,
            )
        case JudgmentSubmitted():
            return replace(
                state,
                status=TaskStatus.IN_REVIEW,
                layer=event.layer,
                submissions=event.version,
                claim_expires_at=None,
                resume_layer=None,
            )
        case TaskCancelled():
            return replace(
                state,
                status=TaskStatus.CANCELLED,
                layer=None,
                claim_expires_at=None,
                assignments=_cancel_pending(state),
            )
        case ReviewAssigned():
            assignment = Assignment(
                event.assignment_id,
                event.layer,
                event.reviewer_id,
                event.submission_version,
                event.due_at,
                kind=event.kind,
                calibration=event.calibration,
            )
            return replace(state, assignments=(*state.assignments, assignment))
        case ReviewExpired():
            return _with_assignment(state, event.assignment_id, status=AssignmentStatus.EXPIRED)
        case ReviewReassigned():
            return _with_assignment(state, event.assignment_id, status=AssignmentStatus.REASSIGNED)
        case ReviewDecided():
            return _with_assignment(
                state, event.assignment_id, status=AssignmentStatus.DECIDED, decision=event.decision
            )
        case TaskEnteredLayer():
            return replace(state, layer=event.layer)
        case ChangesRequested():
            return replace(
                state,
                status=TaskStatus.CHANGES_REQUESTED,
                resume_layer=event.layer,
                preferred_reviewer_id=event.reviewer_id,
                revisions_requested=event.revision,
            )
        case TaskApproved():
            return replace(state, status=TaskStatus.APPROVED, layer=None, contributor_id=event.contributor_id)
        case TaskRejected():
            return replace(state, status=TaskStatus.REJECTED, layer=None, rejected_by=event.reviewer_id)
        case ApprovalReversed():
            return replace(state, status=TaskStatus.REJECTED, layer=None, reversed=True)
        case CalibrationPlanted():
            return TaskState(
                task_id=event.task_id,
                project_id=event.project_id,
                status=TaskStatus.IN_REVIEW,
                layer=event.layer,
                submissions=1,
                rate=event.rate,
                currency=event.currency,
                calibration=ExpectedDecision(
                    event.expected_decision, event.expected_reasons, event.explanation
                ),
            )
        case AppealFiled():
            return replace(state, status=TaskStatus.APPEALED, layer=event.layer, appealed=True)
        case AppealDecided() if not event.overturned:
            return replace(state, status=TaskStatus.REJECTED, layer=None)
    return state


# --- import ----------------------------------------------------------------------------------------


def sibling_external_ids(external_id: str, overlap: int) -> list[str]:
    """The external ids of an item's tasks under ``overlap``: ``X`` itself, then ``X#2`` ... ``X#n``.
    The first is the item's own id, so raising the overlap and importing the item again adds the
    missing siblings and keeps the task it has."""
    return [external_id, *(f"{external_id}#{n}" for n in range(2, overlap + 1))]


def decide_import(
    state: TaskState,
    *,
    task_id: UUID,
    row: TaskRow,
    row_number: int,
    project: ProjectPolicy,
    item: str | None = None,
) -> list[DomainEvent]:
    """Import a new task at the project's current rate; an existing task is left as it is.
    ``item``: the item's external id when the task is one of its siblings (``row`` then carries
    the sibling's own external id)."""
    if state.exists:
        return []
    if project.status == "archived":
        raise Conflict("tasks cannot be imported into an archived project", code="project_archived")
    return [
        TaskImported(
            task_id=task_id,
            project_id=project.project_id,
            external_id=row.external_id,
            prompt=row.prompt,
            context=row.context,
            response_a=row.response_a,
            response_b=row.response_b,
            model_a=row.model_a,
            model_b=row.model_b,
            tags=row.tags,
            priority=row.priority,
            rate=project.rate,
            currency=project.currency,
            row=row_number,
            gold=row.gold,
            item=item,
        )
    ]


def decide_plant(
    state: TaskState,
    *,
    task_id: UUID,
    plant: PlantRow,
    row_number: int,
    project: ProjectPolicy,
    submission_id: UUID,
) -> list[DomainEvent]:
    """Plant a prepared submission for calibration; an existing plant is left as it is."""
    if state.exists:
        return []
    if project.status == "archived":
        raise Conflict("nothing can be planted in an archived project", code="project_archived")
    row, judgment, expected = plant.task, plant.judgment, plant.expected
    return [
        CalibrationPlanted(
            task_id=task_id,
            project_id=project.project_id,
            external_id=row.external_id,
            prompt=row.prompt,
            context=row.context,
            response_a=row.response_a,
            response_b=row.response_b,
            model_a=row.model_a,
            model_b=row.model_b,
            layer=plant.layer,
            submission_id=submission_id,
            preference=judgment.preference,
            strength=judgment.strength,
            scores=judgment.scores,
            rationale=judgment.rationale,
            time_spent_minutes=judgment.time_spent_minutes,
            expected_decision=expected.decision,
            expected_reasons=expected.reasons,
            explanation=expected.explanation,
            rate=project.rate,
            currency=project.currency,
            row=row_number,
        )
    ]


# --- claims ----------------------------------------------------------------------------------------


def check_may_claim(*, active: bool, held_task_id: UUID | None) -> None:
    """A contributor claims only while active and while holding no other claim (the refusal
    names the task held)."""
    if not active:
        raise NotAllowed("your account is inactive: no new claims", code="inactive")
    if held_task_id is not None:
        raise Conflict(
            "you already hold a claimed task: submit or release it first",
            code="claim_held",
            details={"task": str(held_task_id)},
        )


def check_qualified(*, required_skills: Sequence[str], skills: Sequence[str]) -> None:
    """Claiming within a project takes every skill it requires; the refusal names those lacking."""
    missing = sorted(set(required_skills) - set(skills))
    if missing:
        raise NotAllowed(
            f"this project requires skills you lack: {', '.join(missing)}",
            code="missing_skill",
            details={"missing_skills": missing},
        )


def decide_claim(
    state: TaskState, *, contributor_id: int, project: ProjectPolicy, now: datetime, coin: bool
) -> list[DomainEvent]:
    """Claim an open task of an active project. ``coin`` is this claim's fair draw: the claim
    presents A and B swapped when it fell True and the project randomizes the order."""
    task = known(state)
    if project.status != "active":
        raise Conflict(
            f"the project is {project.status}: it hands out no new claims", code="project_not_active"
        )
    if state.status != TaskStatus.OPEN:
        raise Conflict(f"the task is {state.status}, not open", code="task_not_open")
    expires_at = now + timedelta(minutes=project.claim_timeout_minutes)
    swapped = project.randomize_order and coin
    return [TaskClaimed(task.task_id, contributor_id, expires_at, presented_swapped=swapped)]


def decide_release(state: TaskState, *, contributor_id: int, reason: str = "released") -> list[DomainEvent]:
    task = known(state)
    _must_be_claimant(state, contributor_id)
    if state.status != TaskStatus.CLAIMED:
        raise Conflict(f"the task is {state.status}: only a claimed task can be released", code="not_claimed")
    return [TaskReleased(task.task_id, contributor_id, reason)]


def decide_expire_claim(state: TaskState, *, now: datetime) -> list[DomainEvent]:
    task = known(state)
    if state.status != TaskStatus.CLAIMED or state.claim_expires_at is None:
        raise Conflict("the task is not claimed", code="not_claimed")
    if state.claim_expires_at > now:
        raise Conflict("the claim has not expired yet", code="claim_not_expired")
    return [ClaimExpired(task.task_id, contributor_of(state))]


# --- submissions -----------------------------------------------------------------------------------


def check_submittable(state: TaskState, *, contributor_id: int, now: datetime) -> int:
    """The layer a submission by ``contributor_id`` would enter now, or the refusal: only the
    task's contributor submits, while the claim holds or after changes were requested."""
    known(state)
    _must_be_claimant(state, contributor_id)
    if state.status == TaskStatus.CLAIMED:
        if state.claim_expires_at is not None and state.claim_expires_at <= now:
            raise Conflict("your claim has expired", code="claim_expired")
        return 1
    if state.status == TaskStatus.CHANGES_REQUESTED:
        return state.resume_layer or 1
    raise Conflict(f"the task is {state.status}: nothing to submit now", code="not_submittable")


def decide_submit(
    state: TaskState,
    *,
    contributor_id: int,
    judgment: Judgment,
    submission_id: UUID,
    now: datetime,
) -> list[DomainEvent]:
    """Submit (while claimed) or revise (while changes are requested), as the task's contributor.

    ``judgment`` has been checked against the project's criteria (``clean_judgment``) and is in
    the order the contributor was shown; it is recorded canonical, with that order. A revision
    belongs to the same claim, so it keeps the claim's order."""
    task = known(state)
    layer = check_submittable(state, contributor_id=contributor_id, now=now)
    judgment = canonical_judgment(judgment, presented_swapped=state.presented_swapped)
    return [
        JudgmentSubmitted(
            task_id=task.task_id,
            submission_id=submission_id,
            contributor_id=contributor_id,
            version=state.submissions + 1,
            preference=judgment.preference,
            strength=judgment.strength,
            scores=judgment.scores,
            rationale=judgment.rationale,
            time_spent_minutes=judgment.time_spent_minutes,
            layer=layer,
            presented_swapped=state.presented_swapped,
            gold=state.gold is not None,
        )
    ]


# --- gold ------------------------------------------------------------------------------------------


def decide_gold_score(
    state: TaskState, *, submission_version: int, preference: str, now: datetime
) -> list[DomainEvent]:
    """Score a gold task's submission (``preference`` as its ``JudgmentSubmitted`` recorded it,
    canonical): a match is approved at once (and paid like any approval), a mismatch rejected
    with ``gold_mismatch`` and the gold explanation as feedback. A task scored already, cancelled
    meanwhile, or whose submission is not this one gets nothing (a redelivery is harmless)."""
    task = known(state)
    if state.gold is None:
        raise Conflict("the task is not gold: its submissions are reviewed", code="not_gold")
    if state.status != TaskStatus.IN_REVIEW or state.submissions != submission_version:
        return []
    contributor_id = contributor_of(state)
    layer = state.layer or 1
    matched = score_gold(preference, state.gold)
    scored = GoldScored(
        task_id=task.task_id,
        project_id=task.project_id,
        contributor_id=contributor_id,
        submission_version=submission_version,
        layer=layer,
        preference=preference,
        gold_preference=state.gold.preference,
        matched=matched,
        feedback="" if matched else state.gold.explanation,
        reasons=() if matched else (GOLD_MISMATCH,),
    )
    if matched:
        outcome: DomainEvent = TaskApproved(
            task_id=task.task_id,
            project_id=task.project_id,
            contributor_id=contributor_id,
            rate=task.rate,
            currency=task.currency,
            approved_at=now,
        )
    else:
        outcome = TaskRejected(task.task_id, layer, None)
    return [scored, outcome]


# --- appeals ---------------------------------------------------------------------------------------

MIN_APPEAL_REASON = 50
MAX_APPEAL_REASON = 5000


def clean_appeal_reason(reason: str) -> str:
    """An appeal says why, in at least 50 characters (and at most 5000)."""
    text = reason.strip()
    if len(text) < MIN_APPEAL_REASON:
        raise InvalidInput(
            fields={"reason": [f"say why in at least {MIN_APPEAL_REASON} characters ({len(text)} given)"]}
        )
    if len(text) > MAX_APPEAL_REASON:
        raise InvalidInput(fields={"reason": [f"at most {MAX_APPEAL_REASON} characters"]})
    return text


def decide_appeal(
    state: TaskState,
    *,
    contributor_id: int,
    reason: str,
    project: ProjectPolicy,
    rejected_at: datetime | None,
    now: datetime,
) -> list[DomainEvent]:
    """The contributor appeals the rejection of their task, once, within the project's
    ``appeal_window_days`` of it (``rejected_at``: when the rejection was recorded). The appeal
    goes to the project's top layer. A rejection that ops made by reversing an approval is not a
    reviewer's verdict and is not appealed (the reversal already paid back the approval)."""
    task = known(state)
    _must_be_claimant(state, contributor_id)
    text = clean_appeal_reason(reason)
    if state.status == TaskStatus.APPEALED or state.appealed:
        raise Conflict("the task has been appealed already: one appeal per task", code="already_appealed")
    if state.status != TaskStatus.REJECTED:
        raise Conflict(
            f"the task is {state.status}: only a rejected task can be appealed", code="not_rejected"
        )
    if state.reversed:
        raise Conflict(
            "the task was rejected by reversing its approval, not by a review: there is nothing to appeal",
            code="approval_reversed",
        )
    window = timedelta(days=project.appeal_window_days)
    if rejected_at is None or now > rejected_at + window:
        raise Conflict(
            f"the appeal window ({project.appeal_window_days} days after the rejection) has closed",
            code="appeal_window_closed",
            details={"appeal_window_days": project.appeal_window_days},
        )
    return [
        AppealFiled(
            task_id=task.task_id,
            project_id=task.project_id,
            contributor_id=contributor_id,
            reason=text,
            layer=project.review_layers,
            rejected_by=state.rejected_by,
        )
    ]


# --- ops -------------------------------------------------------------------------------------------


def clean_reason(reason: str) -> str:
    """Ops say why they cancel or reverse: required, and at most 2000 characters."""
    if not reason.strip():
        raise InvalidInput(fields={"reason": ["a reason is required"]})
    if len(reason) > 2000:
        raise InvalidInput(fields={"reason": ["at most 2000 characters"]})
    return reason.strip()


def ops_task(state: TaskState) -> KnownTask:
    """``known``, for ops' commands: a calibration plant is not there for ops (404), as their
    lists and details say."""
    if state.calibration is not None:
        raise NotFound("no such task")
    return known(state)


def decide_cancel(state: TaskState, *, reason: str) -> list[DomainEvent]:
    task = ops_task(state)
    text = clean_reason(reason)
    if state.status == TaskStatus.APPROVED:
        raise Conflict(
            "an approved task cannot be cancelled; reverse the approval instead", code="task_approved"
        )
    if state.status == TaskStatus.CANCELLED:
        raise Conflict("the task is already cancelled", code="task_cancelled")
    return [TaskCancelled(task.task_id, text)]


def decide_reverse_approval(state: TaskState, *, reason: str) -> list[DomainEvent]:
    """Ops undo a wrong approval: the task becomes rejected, with the reason in its history."""
    task = ops_task(state)
    text = clean_reason(reason)
    if state.status != TaskStatus.APPROVED:
        raise Conflict(
            f"the task is {state.status}: only an approved task can be reversed", code="not_approved"
        )
    return [ApprovalReversed(task.task_id, contributor_of(state), text)]


def _must_be_claimant(state: TaskState, contributor_id: int) -> None:
    if state.contributor_id != contributor_id:
        raise NotAllowed("only the task's contributor may do this", code="not_claimant")
