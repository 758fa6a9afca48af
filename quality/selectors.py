"""The quality reports' figures, read from the read tables the events keep (tasks, submissions,
review assignments): aggregates per person in one project, never a scan of the event log.

Each function answers one row per person as a plain dict keyed by SPEC's field names; figures
whose feature does not exist yet are ``None`` (``NOT_YET``).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any
from uuid import UUID

from django.db.models import Avg, Count, Exists, OuterRef, Q

from people.models import User
from quality import domain
from reviews.models import ReviewAssignment
from tasks.domain.review_round import AssignmentStatus, Decision
from tasks.domain.task import TaskStatus
from tasks.models import Submission, Task

# Figures of features later work builds (agreement, appeals, calibration): null until then.
CONTRIBUTOR_NOT_YET = ("agreement_rate", "appeals_filed", "appeals_won")
REVIEWER_NOT_YET = ("appeals_overturned", "calibration_seen", "calibration_catch_rate")


def contributor_rows(project_id: UUID) -> list[dict[str, Any]]:
    """Every contributor who submitted in the project, by id.

    ``submitted`` counts tasks (a revision is not a new task); ``approved`` and ``rejected`` count
    those tasks' final states (a reversed approval is rejected); ``first_pass_approval_rate`` is the
    share, among them, approved without a request for changes; ``mean_revisions`` the versions
    beyond the first per task; ``mean_time_spent_minutes`` is over every version submitted."""
    submitted = {
        row["contributor_id"]: row
        for row in Submission.objects.filter(task__project_id=project_id)
        .values("contributor_id")
        .annotate(
            tasks=Count("task_id", distinct=True), versions=Count("pk"), minutes=Avg("time_spent_minutes")
        )
    }
    outcomes = {
        row["contributor_id"]: row
        for row in Task.objects.filter(project_id=project_id, contributor_id__in=submitted)
        .values("contributor_id")
        .annotate(
            approved=Count("pk", filter=Q(status=TaskStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=TaskStatus.REJECTED)),
            first_pass=Count("pk", filter=Q(status=TaskStatus.APPROVED, revisions=0)),
        )
    }
    names = dict(User.objects.filter(pk__in=submitted).values_list("pk", "name"))
    rows = []
    for contributor_id in sorted(submitted):
        work = submitted[contributor_id]
        outcome = outcomes.get(contributor_id, {"approved": 0, "rejected": 0, "first_pass": 0})
        decided = outcome["approved"] + outcome["rejected"]
        row: dict[str, Any] = {
            "contributor": contributor_id,
            "name": names.get(contributor_id, ""),
            "submitted": work["tasks"],
            "approved": outcome["approved"],
            "rejected": outcome["rejected"],
            "first_pass_approval_rate": domain.rate(outcome["first_pass"], decided),
            "mean_revisions": domain.mean(work["versions"] - work["tasks"], work["tasks"]),
            "mean_time_spent_minutes": None if work["minutes"] is None else round(float(work["minutes"]), 2),
            "gold_answers": None,
            "gold_accuracy": None,
            "first_position_rate": None,
            "position_bias_p": None,
            **dict.fromkeys(CONTRIBUTOR_NOT_YET),
            "suspended": None,
            "flags": [],
        }
        rows.append(row)
    return rows


def reviewer_rows(project_id: UUID) -> list[dict[str, Any]]:
    """Every reviewer assigned in the project, by id.

    Rates are shares of ``decisions``; ``median_decision_minutes`` runs from assignment to
    decision; ``overturned_by_later_layer`` counts approvals that a higher layer sent back or
    rejected (the same submission version); ``expired`` counts assignments that ran past due."""
    assignments = ReviewAssignment.objects.filter(task__project_id=project_id)
    overturning = assignments.filter(
        task_id=OuterRef("task_id"),
        submission_version=OuterRef("submission_version"),
        layer__gt=OuterRef("layer"),
        status=AssignmentStatus.DECIDED,
        decision__in=[Decision.REQUEST_CHANGES, Decision.REJECT],
    )
    decided = Q(status=AssignmentStatus.DECIDED)
    approved = decided & Q(decision=Decision.APPROVE)
    counts = list(
        assignments.values("reviewer_id")
        .annotate(
            decisions=Count("pk", filter=decided),
            approvals=Count("pk", filter=approved),
            changes=Count("pk", filter=decided & Q(decision=Decision.REQUEST_CHANGES)),
            rejections=Count("pk", filter=decided & Q(decision=Decision.REJECT)),
            overturned=Count("pk", filter=approved & Q(Exists(overturning))),
            expired=Count("pk", filter=Q(status=AssignmentStatus.EXPIRED)),
        )
        .order_by("reviewer_id")
    )
    minutes = _decision_minutes(assignments.filter(decided))
    names = dict(User.objects.filter(pk__in=[row["reviewer_id"] for row in counts]).values_list("pk", "name"))
    records = [
        domain.OverturnRecord(row["reviewer_id"], row["approvals"], row["overturned"]) for row in counts
    ]
    project_median = domain.project_overturn_median(records)
    rows = []
    for row, record in zip(counts, records, strict=True):
        decisions = row["decisions"]
        rows.append(
            {
                "reviewer": row["reviewer_id"],
                "name": names.get(row["reviewer_id"], ""),
                "decisions": decisions,
                "approve_rate": domain.rate(row["approvals"], decisions),
                "request_changes_rate": domain.rate(row["changes"], decisions),
                "reject_rate": domain.rate(row["rejections"], decisions),
                "median_decision_minutes": domain.median(minutes.get(row["reviewer_id"], [])),
                "overturned_by_later_layer": row["overturned"],
                "expired": row["expired"],
                **dict.fromkeys(REVIEWER_NOT_YET),
                "flags": domain.reviewer_flags(record, project_median),
            }
        )
    return rows


def _decision_minutes(decided: Any) -> dict[int, list[float]]:
    """Minutes from assignment to decision, per reviewer (the median is taken in Python: SQLite,
    the embedded default, has no percentile)."""
    minutes: dict[int, list[float]] = defaultdict(list)
    for reviewer_id, assigned_at, decided_at in decided.values_list(
        "reviewer_id", "assigned_at", "decided_at"
    ):
        minutes[reviewer_id].append((decided_at - assigned_at).total_seconds() / 60)
    return minutes
