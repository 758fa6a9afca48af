"""The quality reports' figures, read from the read tables the events keep (tasks, submissions,
review assignments): aggregates per person and project, never a scan of the event log.

Rows are plain dicts keyed by SPEC's field names; figures whose feature does not exist yet are
``None``. Every read groups by project, so the dashboard's list of people who stand out costs the
same few queries for many projects as for one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Avg, Count, Exists, F, FloatField, OuterRef, Q, Sum, Window
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast

from people.models import User
from quality import domain
from quality.agreement import Agreement, agreement, agreement_with_others
from reviews.models import ReviewAssignment
from tasks.domain.review_round import AssignmentKind, AssignmentStatus, Decision
from tasks.domain.task import TaskStatus
from tasks.models import Appeal, CalibrationScore, GoldTally, Project, Submission, Suspension, Task
from tasks.selectors import first_position_rates

Key = tuple[UUID, int]  # (project, person)


@dataclass(frozen=True)
class Standout:
    """A person whose figures stand out in a project, and why (the row's ``flags``)."""

    project: UUID
    kind: str  # "contributor" or "reviewer"
    person: int
    name: str
    flags: tuple[str, ...]


def contributor_rows(project_id: UUID) -> list[dict[str, Any]]:
    """Every contributor who submitted in the project, by id."""
    return [row for (_, _), row in sorted(_contributors([project_id]).items())]


def reviewer_rows(project_id: UUID) -> list[dict[str, Any]]:
    """Every reviewer assigned in the project, by id."""
    return [row for (_, _), row in sorted(_reviewers([project_id]).items())]


def standouts(project_ids: Iterable[UUID]) -> dict[UUID, list[Standout]]:
    """Per project, the flagged contributors, then the flagged reviewers, by id."""
    projects = list(project_ids)
    found: dict[UUID, list[Standout]] = defaultdict(list)
    contributors = _contributors(projects, with_appeals=False)
    reviewers = _reviewers(projects, with_minutes=False, with_appeals=False)
    for kind, rows in (("contributor", contributors), ("reviewer", reviewers)):
        for (project, person), row in sorted(rows.items()):
            if row["flags"]:
                found[project].append(Standout(project, kind, person, row["name"], tuple(row["flags"])))
    return dict(found)


def _contributors(projects: list[UUID], *, with_appeals: bool = True) -> dict[Key, dict[str, Any]]:
    """``submitted`` counts tasks (a revision is not a new task); ``approved`` and ``rejected``
    count those tasks' final states (a reversed approval is rejected); ``first_pass_approval_rate``
    is the share, among them, approved without a request for changes; ``mean_revisions`` the
    versions beyond the first per task; ``mean_time_spent_minutes`` is over every version;
    ``appeals_filed`` and ``appeals_won`` count their appeals (None with ``with_appeals`` off: no
    flag needs them)."""
    submitted = {
        (row["task__project_id"], row["contributor_id"]): row
        for row in Submission.objects.filter(task__project_id__in=projects)
        .values("task__project_id", "contributor_id")
        .annotate(
            tasks=Count("task_id", distinct=True), versions=Count("pk"), minutes=Avg("time_spent_minutes")
        )
    }
    outcomes = {
        (row["project_id"], row["contributor_id"]): row
        for row in Task.objects.filter(project_id__in=projects, contributor_id__isnull=False)
        .values("project_id", "contributor_id")
        .annotate(
            approved=Count("pk", filter=Q(status=TaskStatus.APPROVED)),
            rejected=Count("pk", filter=Q(status=TaskStatus.REJECTED)),
            first_pass=Count("pk", filter=Q(status=TaskStatus.APPROVED, revisions=0)),
        )
    }
    names = _names(person for _, person in submitted)
    agreeing = agreement_tallies(projects)
    first_position = first_position_rates(projects)
    gold = _gold_records(projects)
    appeals = _appeal_counts(projects) if with_appeals else None
    suspended = set(
        Suspension.objects.filter(project_id__in=projects, lifted_at__isnull=True).values_list(
            "project_id", "contributor_id"
        )
    )
    nothing_final = {"approved": 0, "rejected": 0, "first_pass": 0}
    rows = {}
    for key, work in submitted.items():
        outcome = outcomes.get(key, nothing_final)
        decided = outcome["approved"] + outcome["rejected"]
        position = first_position.get(key)
        record = gold.get(key) or gold.get((key[0], None))
        rows[key] = {
            "contributor": key[1],
            "name": names.get(key[1], ""),
            "submitted": work["tasks"],
            "approved": outcome["approved"],
            "rejected": outcome["rejected"],
            "first_pass_approval_rate": domain.rate(outcome["first_pass"], decided),
            "mean_revisions": domain.mean(work["versions"] - work["tasks"], work["tasks"]),
            "mean_time_spent_minutes": None if work["minutes"] is None else round(float(work["minutes"]), 2),
            "gold_answers": record.answers if record else 0,
            "gold_accuracy": domain.rate(record.correct, record.answers) if record else None,
            "first_position_rate": None if position is None else _rounded(position.rate),
            "position_bias_p": None if position is None else position.p_value,
            "agreement_rate": domain.rate(*agreeing.get(key, (0, 0))),
            "appeals_filed": None if appeals is None else appeals.get(key, (0, 0))[0],
            "appeals_won": None if appeals is None else appeals.get(key, (0, 0))[1],
            "suspended": key in suspended,
            "flags": domain.contributor_flags(
                first_position=position, gold=record, suspended=key in suspended
            ),
        }
    return rows


def _appeal_counts(projects: list[UUID]) -> dict[Key, tuple[int, int]]:
    """Per contributor, ``(filed, won)``: their appeals, and those that overturned the rejection."""
    return {
        (project, contributor): (filed, won)
        for project, contributor, filed, won in Appeal.objects.filter(project_id__in=projects)
        .values("project_id", "contributor_id")
        .annotate(filed=Count("pk"), won=Count("pk", filter=Q(overturned=True)))
        .values_list("project_id", "contributor_id", "filed", "won")
    }


def _overturned_appeals(projects: list[UUID]) -> dict[Key, int]:
    """Per reviewer, how many of their rejections an appeal overturned."""
    return {
        (project, reviewer): n
        for project, reviewer, n in Appeal.objects.filter(
            project_id__in=projects, overturned=True, rejected_by__isnull=False
        )
        .values("project_id", "rejected_by_id")
        .annotate(n=Count("pk"))
        .values_list("project_id", "rejected_by_id", "n")
    }


def project_agreement(project_id: UUID) -> Agreement:
    """How much the contributors agree on the project's items (README "Agreement")."""
    return agreement(
        [preference for _, preference in judgments] for judgments in _shared_items([project_id]).values()
    )


def agreement_tallies(projects: list[UUID]) -> dict[Key, tuple[int, int]]:
    """Per contributor, ``(agreeing, pairs)``: their judgments against the others' on the same items."""
    by_project: dict[UUID, list[list[tuple[int, str]]]] = defaultdict(list)
    for (project, _), judgments in _shared_items(projects).items():
        by_project[project].append(judgments)
    return {
        (project, contributor): tally
        for project, units in by_project.items()
        for contributor, tally in agreement_with_others(units).items()
    }


def _shared_items(projects: list[UUID]) -> dict[tuple[UUID, str], list[tuple[int, str]]]:
    """Each item with two or more approved judgments, per project: its ``(contributor,
    preference)`` judgments, in canonical order. Gold tasks are left out: the gold answer, not the
    contributors, decides what an approved gold judgment says. Only the shared items are read (a
    window counts each item's approved tasks), never every approved task of a project."""
    approved = Task.objects.filter(
        project_id__in=projects, status=TaskStatus.APPROVED, gold__isnull=True
    ).annotate(judged=Window(Count("pk"), partition_by=[F("project_id"), F("item")]))
    items: dict[tuple[UUID, str], list[tuple[int, str]]] = defaultdict(list)
    for project, item, contributor, preference in (
        approved.filter(judged__gte=2)
        .order_by()
        .values_list("project_id", "item", "contributor_id", "current_submission__preference")
    ):
        items[(project, item)].append((contributor, preference))
    return items


def _gold_records(projects: list[UUID]) -> dict[tuple[UUID, int | None], domain.GoldRecord]:
    """Each contributor's gold answers against their project's bar; under ``(project, None)``,
    the bar with no answers, for contributors who answered no gold yet."""
    bars = {
        project: domain.GoldRecord(0, 0, min_accuracy, min_answers)
        for project, min_accuracy, min_answers in Project.objects.filter(pk__in=projects).values_list(
            "id", "gold_min_accuracy", "gold_min_answers"
        )
    }
    records: dict[tuple[UUID, int | None], domain.GoldRecord] = {(p, None): bar for p, bar in bars.items()}
    for project, contributor, answers, correct in GoldTally.objects.filter(
        project_id__in=projects
    ).values_list("project_id", "contributor_id", "answers", "correct"):
        bar = bars[project]
        records[(project, contributor)] = domain.GoldRecord(
            answers, correct, bar.min_accuracy, bar.min_answers
        )
    return records


def _reviewers(
    projects: list[UUID], *, with_minutes: bool = True, with_appeals: bool = True
) -> dict[Key, dict[str, Any]]:
    """Rates are shares of ``decisions``; ``median_decision_minutes`` runs from assignment to
    decision (None with ``with_minutes`` off: no flag needs it); ``overturned_by_later_layer``
    counts approvals that a higher layer sent back or rejected (the same submission version; an
    appeal is not a later layer); ``appeals_overturned`` counts the reviewer's rejections that an
    appeal overturned (None with ``with_appeals`` off); ``expired`` counts assignments that ran
    past due. Calibration plants' reviews are left out of all of those (``ReviewAssignment.objects``)
    and counted apart: ``calibration_seen`` plants decided, ``calibration_catch_rate`` the share
    decided right."""
    assignments = ReviewAssignment.objects.filter(task__project_id__in=projects)
    overturning = ReviewAssignment.objects.filter(
        task_id=OuterRef("task_id"),
        submission_version=OuterRef("submission_version"),
        layer__gt=OuterRef("layer"),
        kind=AssignmentKind.REVIEW,
        status=AssignmentStatus.DECIDED,
        decision__in=[Decision.REQUEST_CHANGES, Decision.REJECT],
    )
    decided = Q(status=AssignmentStatus.DECIDED)
    approved = decided & Q(decision=Decision.APPROVE)
    counts = {
        (row["task__project_id"], row["reviewer_id"]): row
        for row in assignments.values("task__project_id", "reviewer_id").annotate(
            decisions=Count("pk", filter=decided),
            approvals=Count("pk", filter=approved),
            # Only an approval below the top layer can be overturned: the flag compares those.
            overturnable=Count("pk", filter=approved & Q(layer__lt=F("task__project__review_layers"))),
            changes=Count("pk", filter=decided & Q(decision=Decision.REQUEST_CHANGES)),
            rejections=Count("pk", filter=decided & Q(decision=Decision.REJECT)),
            overturned=Count("pk", filter=approved & Q(Exists(overturning))),
            expired=Count("pk", filter=Q(status=AssignmentStatus.EXPIRED)),
        )
    }
    minutes = _decision_minutes(assignments.filter(decided)) if with_minutes else {}
    overturned_appeals = _overturned_appeals(projects) if with_appeals else None
    calibration = _calibration_records(projects)
    nothing = {
        "decisions": 0, "approvals": 0, "overturnable": 0, "changes": 0, "rejections": 0, "overturned": 0,
        "expired": 0,
    }  # fmt: skip
    for key in calibration.keys() - counts.keys():  # someone who has only reviewed plants so far
        counts[key] = nothing
    names = _names(person for _, person in counts)
    records = {
        key: domain.OverturnRecord(key[1], row["overturnable"], row["overturned"])
        for key, row in counts.items()
    }
    by_project: dict[UUID, list[domain.OverturnRecord]] = defaultdict(list)
    for (project, _), record in records.items():
        by_project[project].append(record)
    medians = {project: domain.project_overturn_median(found) for project, found in by_project.items()}
    rows = {}
    for key, row in counts.items():
        decisions = row["decisions"]
        rows[key] = {
            "reviewer": key[1],
            "name": names.get(key[1], ""),
            "decisions": decisions,
            "approve_rate": domain.rate(row["approvals"], decisions),
            "request_changes_rate": domain.rate(row["changes"], decisions),
            "reject_rate": domain.rate(row["rejections"], decisions),
            "median_decision_minutes": domain.median(minutes.get(key, [])),
            "overturned_by_later_layer": row["overturned"],
            "appeals_overturned": None if overturned_appeals is None else overturned_appeals.get(key, 0),
            "expired": row["expired"],
            "calibration_seen": calibration[key].seen if key in calibration else 0,
            "calibration_catch_rate": (
                domain.rate(calibration[key].caught, calibration[key].seen) if key in calibration else None
            ),
            "flags": [
                *domain.reviewer_flags(records[key], medians[key[0]]),
                *domain.calibration_flags(calibration.get(key)),
            ],
        }
    return rows


def _calibration_records(projects: list[UUID]) -> dict[Key, domain.CalibrationRecord]:
    """Per reviewer, their scored calibration plants (``tasks.domain.calibration.caught``)."""
    approved_bad = Q(decision=Decision.APPROVE, expected_decision=Decision.REJECT)
    return {
        (project, reviewer): domain.CalibrationRecord(seen, caught, bad)
        for project, reviewer, seen, caught, bad in CalibrationScore.objects.filter(project_id__in=projects)
        .values("project_id", "reviewer_id")
        .annotate(
            seen=Count("pk"), caught=Count("pk", filter=Q(caught=True)), bad=Count("pk", filter=approved_bad)
        )
        .values_list("project_id", "reviewer_id", "seen", "caught", "bad")
    }


def _decision_minutes(decided: Any) -> dict[Key, list[float]]:
    """Minutes from assignment to decision, per project and reviewer (the median is taken in
    Python: SQLite, the embedded default, has no percentile)."""
    minutes: dict[Key, list[float]] = defaultdict(list)
    for project, reviewer, assigned_at, decided_at in decided.order_by().values_list(
        "task__project_id", "reviewer_id", "assigned_at", "decided_at"
    ):
        minutes[(project, reviewer)].append((decided_at - assigned_at).total_seconds() / 60)
    return minutes


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, domain.RATE_PLACES)


def _names(people: Iterable[int]) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=set(people)).values_list("pk", "name"))


def leaderboard_groups(project_id: UUID, criteria: Sequence[str]) -> list[tuple[str, str, str, int, Any]]:
    """The judgments the model leaderboard counts, grouped by the database (one row per model A,
    model B and canonical preference, with per criterion the sum and number of A's and B's
    scores): each approved task's current submission (a reversed approval leaves the task
    rejected, so it is not here), gold tasks left out (their answer is known before anyone
    judges). Calibration plants, once they exist, are one more ``exclude`` here. Grouping in SQL
    keeps 100,000 judgments to a few hundred rows: reading them one by one alone takes a second."""
    aggregates: dict[str, Any] = {}
    for k, criterion in enumerate(criteria):
        for side in ("a", "b"):
            given = Cast(
                KeyTextTransform(side, KeyTransform(criterion, "current_submission__scores")), FloatField()
            )
            aggregates[f"sum_{k}_{side}"] = Sum(given)
            aggregates[f"n_{k}_{side}"] = Count(given)
    rows = (
        Task.objects.filter(
            project_id=project_id, status=TaskStatus.APPROVED, current_submission__isnull=False
        )
        .filter(gold__isnull=True)
        .values("model_a", "model_b", "current_submission__preference")
        .annotate(judgments=Count("pk"), **aggregates)
        .order_by()
    )
    return [
        (
            row["model_a"],
            row["model_b"],
            row["current_submission__preference"],
            row["judgments"],
            {
                criterion: (
                    row[f"sum_{k}_a"] or 0.0,
                    row[f"n_{k}_a"],
                    row[f"sum_{k}_b"] or 0.0,
                    row[f"n_{k}_b"],
                )
                for k, criterion in enumerate(criteria)
            },
        )
        for row in rows
    ]


def project_criteria(project_id: UUID) -> list[str]:
    return list(Project.objects.filter(pk=project_id).values_list("criteria", flat=True).first() or [])
