"""The tasks projections: projects, their required skills, tasks and submissions; and which
reviewers may read which task, and the decided review rounds its contributor reads (both from the
review events on the task stream)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marlin import projections
from marlin.eventstore.store import RecordedEvent
from tasks.domain.calibration import CalibrationPlanted, CalibrationScored
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
from tasks.domain.gold import (
    ContributorSuspended,
    GoldScored,
    SuspensionLifted,
    gold_round_id,
    gold_tally_id,
)
from tasks.domain.project import (
    ProjectArchived,
    ProjectCreated,
    ProjectPaused,
    ProjectResumed,
    ProjectStatus,
    ProjectUpdated,
    settings_from_json,
)
from tasks.domain.review_round import (
    ChangesRequested,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)
from tasks.domain.task import TaskStatus
from tasks.models import (
    Appeal,
    CalibrationPlant,
    CalibrationScore,
    GoldTally,
    GoldTask,
    Project,
    ProjectRequiredSkill,
    Submission,
    Suspension,
    Task,
    TaskReviewer,
    TaskRound,
)

tasks_projector = projections.register(
    projections.Projector(
        "tasks", tables=[Project, ProjectRequiredSkill, Submission, Task, GoldTask], in_memory=True
    )
)
on = tasks_projector.on
rows = projections.rows


def _set_required_skills(project_id: Any, skills: Any) -> None:
    rows(ProjectRequiredSkill).delete(project_id=project_id)
    rows(ProjectRequiredSkill).insert_many({"project_id": project_id, "skill": skill} for skill in skills)


@on(ProjectCreated)
def _project_created(event: ProjectCreated, recorded: RecordedEvent) -> None:
    s = event.settings
    rows(Project).insert(
        id=event.project_id,
        name=s.name,
        instructions=s.instructions,
        rate=s.rate,
        currency=s.currency,
        review_layers=s.review_layers,
        max_revisions=s.max_revisions,
        claim_timeout_minutes=s.claim_timeout_minutes,
        review_timeout_minutes=s.review_timeout_minutes,
        criteria=list(s.criteria),
        reason_codes=list(s.reason_codes),
        required_skills=list(s.required_skills),
        randomize_order=s.randomize_order,
        gold_min_accuracy=s.gold_min_accuracy,
        gold_min_answers=s.gold_min_answers,
        overlap=s.overlap,
        appeal_window_days=s.appeal_window_days,
        calibration_reviews=s.calibration_reviews,
        calibration_every=s.calibration_every,
        status=ProjectStatus.ACTIVE,
        created_at=recorded.recorded_at,
        updated_at=recorded.recorded_at,
    )
    _set_required_skills(event.project_id, s.required_skills)


@on(ProjectUpdated)
def _project_updated(event: ProjectUpdated, recorded: RecordedEvent) -> None:
    changes = {
        k: list(v) if isinstance(v, tuple) else v for k, v in settings_from_json(event.changes).items()
    }
    rows(Project).update({"pk": event.project_id}, **changes, updated_at=recorded.recorded_at)
    if "required_skills" in changes:
        _set_required_skills(event.project_id, changes["required_skills"])


@on(ProjectPaused, ProjectResumed, ProjectArchived)
def _project_status(event: Any, recorded: RecordedEvent) -> None:
    status = {
        ProjectPaused: ProjectStatus.PAUSED,
        ProjectResumed: ProjectStatus.ACTIVE,
        ProjectArchived: ProjectStatus.ARCHIVED,
    }[type(event)]
    rows(Project).update({"pk": event.project_id}, status=status, updated_at=recorded.recorded_at)


@tasks_projector.on_many(TaskImported)
def _tasks_imported(run: Sequence[tuple[TaskImported, RecordedEvent]]) -> None:
    rows(Task).insert_many(_imported_task(event, recorded) for event, recorded in run)
    rows(GoldTask).insert_many(
        {
            "task_id": event.task_id,
            "project_id": event.project_id,
            "preference": event.gold.preference,
            "explanation": event.gold.explanation,
        }
        for event, _ in run
        if event.gold is not None
    )


def _imported_task(event: TaskImported, recorded: RecordedEvent) -> dict[str, Any]:
    return dict(
        id=event.task_id,
        project_id=event.project_id,
        external_id=event.external_id,
        item=event.item or event.external_id,
        status=TaskStatus.OPEN,
        prompt=event.prompt,
        context=event.context,
        response_a=event.response_a,
        response_b=event.response_b,
        model_a=event.model_a,
        model_b=event.model_b,
        tags=list(event.tags),
        priority=event.priority,
        rate=event.rate,
        currency=event.currency,
        import_row=event.row,
        created_at=recorded.recorded_at,
        updated_at=recorded.recorded_at,
    )


def _task(task_id: Any, recorded: RecordedEvent, **fields: Any) -> None:
    rows(Task).update({"pk": task_id}, **fields, updated_at=recorded.recorded_at)


@on(CalibrationPlanted)
def _planted(event: CalibrationPlanted, recorded: RecordedEvent) -> None:
    """A plant reads, to its reviewers, like a task in review at its layer with one submission."""
    rows(Submission).insert(
        id=event.submission_id,
        task_id=event.task_id,
        contributor_id=None,
        version=1,
        preference=event.preference,
        strength=event.strength,
        scores=event.scores,
        rationale=event.rationale,
        time_spent_minutes=event.time_spent_minutes,
        layer=event.layer,
        presented_swapped=False,
        submitted_at=recorded.recorded_at,
    )
    rows(Task).insert(
        id=event.task_id,
        project_id=event.project_id,
        external_id=event.external_id,
        item=event.external_id,
        status=TaskStatus.IN_REVIEW,
        layer=event.layer,
        prompt=event.prompt,
        context=event.context,
        response_a=event.response_a,
        response_b=event.response_b,
        model_a=event.model_a,
        model_b=event.model_b,
        tags=[],
        priority=0,
        rate=event.rate,
        currency=event.currency,
        current_submission_id=event.submission_id,
        import_row=event.row,
        calibration=True,
        created_at=recorded.recorded_at,
        updated_at=recorded.recorded_at,
    )


@on(TaskClaimed)
def _claimed(event: TaskClaimed, recorded: RecordedEvent) -> None:
    _task(
        event.task_id,
        recorded,
        status=TaskStatus.CLAIMED,
        contributor_id=event.contributor_id,
        claimed_at=recorded.recorded_at,
        claim_expires_at=event.expires_at,
        presented_swapped=event.presented_swapped,
    )


@on(TaskReleased, ClaimExpired)
def _claim_ended(event: TaskReleased | ClaimExpired, recorded: RecordedEvent) -> None:
    _task(
        event.task_id,
        recorded,
        status=TaskStatus.OPEN,
        contributor_id=None,
        claimed_at=None,
        claim_expires_at=None,
        presented_swapped=False,
    )


@on(JudgmentSubmitted)
def _submitted(event: JudgmentSubmitted, recorded: RecordedEvent) -> None:
    rows(Submission).insert(
        id=event.submission_id,
        task_id=event.task_id,
        contributor_id=event.contributor_id,
        version=event.version,
        preference=event.preference,
        strength=event.strength,
        scores=event.scores,
        rationale=event.rationale,
        time_spent_minutes=event.time_spent_minutes,
        layer=event.layer,
        presented_swapped=event.presented_swapped,
        submitted_at=recorded.recorded_at,
    )
    _task(
        event.task_id,
        recorded,
        status=TaskStatus.IN_REVIEW,
        layer=event.layer,
        current_submission_id=event.submission_id,
        claim_expires_at=None,
    )


@on(TaskCancelled)
def _cancelled(event: TaskCancelled, recorded: RecordedEvent) -> None:
    _task(
        event.task_id,
        recorded,
        status=TaskStatus.CANCELLED,
        layer=None,
        claim_expires_at=None,
        finished_at=recorded.recorded_at,
    )


@on(TaskEnteredLayer)
def _entered_layer(event: TaskEnteredLayer, recorded: RecordedEvent) -> None:
    _task(event.task_id, recorded, layer=event.layer)


@on(ChangesRequested)
def _changes_requested(event: ChangesRequested, recorded: RecordedEvent) -> None:
    _task(event.task_id, recorded, status=TaskStatus.CHANGES_REQUESTED, layer=None, revisions=event.revision)


@on(TaskApproved)
def _approved(event: TaskApproved, recorded: RecordedEvent) -> None:
    _task(event.task_id, recorded, status=TaskStatus.APPROVED, layer=None, finished_at=recorded.recorded_at)


@on(ApprovalReversed)
def _approval_reversed(event: ApprovalReversed, recorded: RecordedEvent) -> None:
    _task(event.task_id, recorded, status=TaskStatus.REJECTED, finished_at=recorded.recorded_at)


@on(TaskRejected)
def _rejected(event: TaskRejected, recorded: RecordedEvent) -> None:
    _task(event.task_id, recorded, status=TaskStatus.REJECTED, layer=None, finished_at=recorded.recorded_at)


@on(AppealFiled)
def _appealed(event: AppealFiled, recorded: RecordedEvent) -> None:
    _task(event.task_id, recorded, status=TaskStatus.APPEALED, layer=event.layer, finished_at=None)


@on(AppealDecided)
def _appeal_decided(event: AppealDecided, recorded: RecordedEvent) -> None:
    """Upheld: rejected again, finally (an overturn's ``TaskApproved`` follows it instead)."""
    if not event.overturned:
        _task(
            event.task_id, recorded, status=TaskStatus.REJECTED, layer=None, finished_at=recorded.recorded_at
        )


# --- who may read a task as its reviewer -------------------------------------------------------------

task_reviewers_projector = projections.register(
    projections.Projector("task_reviewers", tables=[TaskReviewer], in_memory=True)
)


@task_reviewers_projector.on(ReviewAssigned)
def _review_assigned(event: ReviewAssigned, recorded: RecordedEvent) -> None:
    rows(TaskReviewer).insert(
        assignment_id=event.assignment_id, task_id=event.task_id, reviewer_id=event.reviewer_id
    )


@task_reviewers_projector.on(ReviewDecided)
def _review_decided(event: ReviewDecided, recorded: RecordedEvent) -> None:
    rows(TaskReviewer).update({"pk": event.assignment_id}, decided=True)


@task_reviewers_projector.on(ReviewExpired, ReviewReassigned)
def _review_taken_back(event: ReviewExpired | ReviewReassigned, recorded: RecordedEvent) -> None:
    rows(TaskReviewer).delete(pk=event.assignment_id)


@task_reviewers_projector.on(TaskCancelled)
def _pending_reviews_cancelled(event: TaskCancelled, recorded: RecordedEvent) -> None:
    rows(TaskReviewer).delete(task_id=event.task_id, decided=False)


# --- the decided review rounds a task's contributor reads --------------------------------------------

task_rounds_projector = projections.register(
    projections.Projector("task_rounds", tables=[TaskRound], in_memory=True)
)


@task_rounds_projector.on(GoldScored)
def _gold_round(event: GoldScored, recorded: RecordedEvent) -> None:
    """A gold score reads like a reviewer's decision at the layer the submission entered:
    approve, or reject with ``gold_mismatch`` and the gold explanation."""
    rows(TaskRound).insert(
        assignment_id=gold_round_id(event.task_id, event.submission_version),
        task_id=event.task_id,
        layer=event.layer,
        decision="approve" if event.matched else "reject",
        feedback=event.feedback,
        reasons=list(event.reasons),
        decided_at=recorded.recorded_at,
        version=recorded.version,
    )


@task_rounds_projector.on(AppealDecided)
def _appeal_round(event: AppealDecided, recorded: RecordedEvent) -> None:
    """The round its ``ReviewDecided`` just wrote (same append) was the appeal's."""
    rows(TaskRound).update({"pk": event.assignment_id}, kind="appeal")


@task_rounds_projector.on(ReviewDecided)
def _round_decided(event: ReviewDecided, recorded: RecordedEvent) -> None:
    rows(TaskRound).insert(
        assignment_id=event.assignment_id,
        task_id=event.task_id,
        layer=event.layer,
        decision=event.decision,
        feedback=event.feedback,
        reasons=list(event.reasons),
        decided_at=recorded.recorded_at,
        version=recorded.version,
    )


# --- gold tallies and suspensions --------------------------------------------------------------------

gold_projector = projections.register(
    projections.Projector("gold", tables=[GoldTally, Suspension], in_memory=True)
)


@gold_projector.on(GoldScored)
def _gold_scored(event: GoldScored, recorded: RecordedEvent) -> None:
    tally_id = gold_tally_id(event.project_id, event.contributor_id)
    rows(GoldTally).insert_many(
        [{"id": tally_id, "project_id": event.project_id, "contributor_id": event.contributor_id}],
        ignore_conflicts=True,
    )
    correct = projections.Increment(int(event.matched))
    rows(GoldTally).update(
        {"pk": tally_id},
        answers=projections.Increment(1),
        correct=correct,
        window_answers=projections.Increment(1),
        window_correct=correct,
    )


@gold_projector.on(ContributorSuspended)
def _suspended(event: ContributorSuspended, recorded: RecordedEvent) -> None:
    rows(Suspension).insert(
        id=event.suspension_id,
        project_id=event.project_id,
        contributor_id=event.contributor_id,
        since=recorded.recorded_at,
        gold_answers=event.gold_answers,
        gold_correct=event.gold_correct,
        min_accuracy=event.min_accuracy,
        min_answers=event.min_answers,
    )


@gold_projector.on(SuspensionLifted)
def _lifted(event: SuspensionLifted, recorded: RecordedEvent) -> None:
    rows(Suspension).update(
        {"pk": event.suspension_id},
        lifted_at=recorded.recorded_at,
        lifted_by_id=recorded.metadata.get("actor"),
    )
    # From the lift on, only new answers count towards another suspension.
    rows(GoldTally).update(
        {"pk": gold_tally_id(event.project_id, event.contributor_id)}, window_answers=0, window_correct=0
    )


# --- appeals -------------------------------------------------------------------------------------------

appeals_projector = projections.register(projections.Projector("appeals", tables=[Appeal], in_memory=True))


@appeals_projector.on(AppealFiled)
def _appeal_filed(event: AppealFiled, recorded: RecordedEvent) -> None:
    rows(Appeal).insert(
        task_id=event.task_id,
        project_id=event.project_id,
        contributor_id=event.contributor_id,
        reason=event.reason,
        rejected_by_id=event.rejected_by,
        filed_at=recorded.recorded_at,
    )


@appeals_projector.on(AppealDecided)
def _appeal_outcome(event: AppealDecided, recorded: RecordedEvent) -> None:
    rows(Appeal).update(
        {"pk": event.task_id},
        decided_by_id=event.reviewer_id,
        overturned=event.overturned,
        decided_at=recorded.recorded_at,
    )


# --- calibration plants ----------------------------------------------------------------------------

calibration_projector = projections.register(
    projections.Projector("calibration", tables=[CalibrationPlant, CalibrationScore], in_memory=True)
)


@calibration_projector.on(CalibrationPlanted)
def _plant_recorded(event: CalibrationPlanted, recorded: RecordedEvent) -> None:
    rows(CalibrationPlant).insert(
        task_id=event.task_id,
        project_id=event.project_id,
        layer=event.layer,
        expected_decision=event.expected_decision,
        expected_reasons=list(event.expected_reasons),
        explanation=event.explanation,
        reviews=0,
        planted_at=recorded.recorded_at,
    )


@calibration_projector.on(ReviewAssigned)
def _plant_given(event: ReviewAssigned, recorded: RecordedEvent) -> None:
    if event.calibration:
        rows(CalibrationPlant).update({"pk": event.task_id}, reviews=projections.Increment(1))


@calibration_projector.on(ReviewExpired, ReviewReassigned)
def _plant_taken_back(event: ReviewExpired | ReviewReassigned, recorded: RecordedEvent) -> None:
    """A plant's review that expired or was taken away frees its place for another reviewer."""
    if rows(CalibrationPlant).values("task_id", pk=event.task_id):
        rows(CalibrationPlant).update({"pk": event.task_id}, reviews=projections.Increment(-1))


@calibration_projector.on(CalibrationScored)
def _plant_scored(event: CalibrationScored, recorded: RecordedEvent) -> None:
    rows(CalibrationScore).insert(
        assignment_id=event.assignment_id,
        task_id=event.task_id,
        project_id=event.project_id,
        reviewer_id=event.reviewer_id,
        decision=event.decision,
        expected_decision=event.expected_decision,
        caught=event.caught,
        decided_at=recorded.recorded_at,
    )
