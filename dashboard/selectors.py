"""What the ops pages read: the queues now (totals, per project, with SLA levels), the items that
are late, and the review flow of the last days. Reads only; a fixed number of grouped queries
per page, whatever the number of tasks and people.

SLA levels compare an age with the project's own limits: a claim with ``claim_timeout_minutes``,
a review (assigned or still waiting for a reviewer) with ``review_timeout_minutes``. ``ok`` below
three quarters of the limit, ``warn`` from there, ``late`` past it. Open tasks and tasks waiting
for their contributor's revision have no limit, so no level.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery

from dashboard.models import LayerVisit
from marlin.kernel import clock
from reviews.models import AwaitingReview, ReviewAssignment
from reviews.queues import queue_overview
from tasks.domain.review_round import AssignmentStatus, Decision
from tasks.domain.task import TaskStatus
from tasks.models import Project, Submission, Task

WARN_AT = 0.75
LIVE_STATES = (TaskStatus.OPEN, TaskStatus.CLAIMED, TaskStatus.IN_REVIEW, TaskStatus.CHANGES_REQUESTED)
FINISHED_STATES = (TaskStatus.APPROVED, TaskStatus.REJECTED, TaskStatus.CANCELLED)
TREND_DAYS = (7, 30)


def sla_level(age_seconds: int | None, limit_minutes: int | None) -> str | None:
    """``ok``, ``warn`` or ``late`` for an age against a limit; None when either is missing."""
    if age_seconds is None or not limit_minutes:
        return None
    share = age_seconds / (limit_minutes * 60)
    if share >= 1:
        return "late"
    return "warn" if share >= WARN_AT else "ok"


# --- the queues now ----------------------------------------------------------------------------


def ops_overview() -> dict[str, Any]:
    """``GET queues/`` for people: per project the live states with their oldest ages and SLA
    levels, the layers, overdue counts and flags; and the totals across projects."""
    overview = queue_overview()
    limits = {
        row["id"]: row
        for row in Project.objects.values("id", "claim_timeout_minutes", "review_timeout_minutes")
    }
    projects = [_with_levels(entry, limits[entry["id"]]) for entry in overview["projects"]]
    return {
        "generated_at": overview["generated_at"],
        "projects": projects,
        "totals": _totals(projects),
    }


def _with_levels(entry: dict[str, Any], limits: dict[str, Any]) -> dict[str, Any]:
    claim_limit, review_limit = limits["claim_timeout_minutes"], limits["review_timeout_minutes"]
    tasks = entry["tasks"]
    claimed = tasks[TaskStatus.CLAIMED]
    claimed["level"] = sla_level(claimed["oldest_seconds"], claim_limit) if claimed["count"] else None
    for layer in entry["layers"]:
        layer["assigned_level"] = sla_level(layer["oldest_assigned_seconds"], review_limit)
        layer["unassigned_level"] = sla_level(layer["oldest_unassigned_seconds"], review_limit)
    flags = []
    if entry["status"] == "active" and entry["unstaffed_skills"]:
        flags.append("no contributor has " + ", ".join(entry["unstaffed_skills"]) + ": nobody can claim")
    if entry["status"] != "archived" and entry["unstaffed_layers"]:
        layers = ", ".join(str(layer) for layer in entry["unstaffed_layers"])
        flags.append(f"no reviewer can take layer {layers}: its reviews wait forever")
    return {
        **entry,
        "claim_timeout_minutes": claim_limit,
        "review_timeout_minutes": review_limit,
        "live": {state.value: tasks[state] for state in LIVE_STATES},
        "finished": {state.value: tasks[state]["count"] for state in FINISHED_STATES},
        "in_review_assigned": sum(layer["assigned"] for layer in entry["layers"]),
        "in_review_unassigned": sum(layer["unassigned"] for layer in entry["layers"]),
        "flags": flags,
    }


def _totals(projects: list[dict[str, Any]]) -> dict[str, Any]:
    def total(pick: Any) -> int:
        return sum(pick(project) for project in projects)

    decided = total(lambda p: p["finished"]["approved"] + p["finished"]["rejected"])
    return {
        "projects": len(projects),
        "active_projects": sum(1 for p in projects if p["status"] == "active"),
        "live": {state.value: total(lambda p, s=state.value: p["live"][s]["count"]) for state in LIVE_STATES},
        "finished": {
            state.value: total(lambda p, s=state.value: p["finished"][s]) for state in FINISHED_STATES
        },
        "in_review_assigned": total(lambda p: p["in_review_assigned"]),
        "in_review_unassigned": total(lambda p: p["in_review_unassigned"]),
        "overdue_claims": total(lambda p: p["overdue_claims"]),
        "overdue_reviews": total(lambda p: p["overdue_reviews"]),
        "throughput_24h": {
            key: total(lambda p, k=key: p["throughput_24h"][k]) for key in projects[0]["throughput_24h"]
        }
        if projects
        else {},
        "decided": decided,
        "flagged_projects": sum(1 for p in projects if p["flags"]),
    }


# --- the items behind the numbers ----------------------------------------------------------------


def overdue_claims(project_id: UUID | None = None) -> QuerySet[Task]:
    """Claims past their expiry that the expiry sweep has not yet returned: oldest first."""
    query = Task.objects.filter(status=TaskStatus.CLAIMED, claim_expires_at__lt=clock.now())
    if project_id is not None:
        query = query.filter(project_id=project_id)
    return (
        query.select_related("contributor", "project")
        .only("id", "external_id", "claimed_at", "claim_expires_at", "contributor__username", "project__name")
        .order_by("claim_expires_at", "id")
    )


def overdue_reviews(project_id: UUID | None = None) -> QuerySet[ReviewAssignment]:
    """Pending reviews past their due time: oldest due first."""
    query = ReviewAssignment.objects.filter(status=AssignmentStatus.PENDING, due_at__lt=clock.now())
    if project_id is not None:
        query = query.filter(task__project_id=project_id)
    return (
        query.select_related("reviewer", "task", "task__project")
        .only(
            "id",
            "layer",
            "assigned_at",
            "due_at",
            "reviewer__username",
            "task__external_id",
            "task__project__name",
        )
        .order_by("due_at", "id")
    )


def waiting_for_a_reviewer(project_id: UUID) -> QuerySet[AwaitingReview]:
    """Submissions in a layer's unassigned queue: longest waiting first."""
    return (
        AwaitingReview.objects.filter(task__project_id=project_id)
        .select_related("task")
        .only("layer", "waiting_since", "task__external_id")
        .order_by("waiting_since", "task_id")
    )


def task_page(task_id: UUID) -> Task:
    """A task as ops read it: its submissions and every review round, with reviewers' names, and
    its gold answer if it is a gold task."""
    return (
        Task.objects.select_related("project", "contributor", "gold")
        .prefetch_related("submissions")
        .get(pk=task_id)
    )


def task_assignments(task_id: UUID) -> QuerySet[ReviewAssignment]:
    return (
        ReviewAssignment.objects.filter(task_id=task_id)
        .select_related("reviewer")
        .order_by("assigned_at", "id")
    )


# --- the review flow of the last days ------------------------------------------------------------


@dataclass(frozen=True)
class Trends:
    """Per day (UTC), oldest first: the submissions in review per layer at the day's end (now,
    for today), approvals (final, at the last layer), the first-pass approval rate of the tasks
    finally decided that day, and the median hours from first submission to that decision."""

    days: list[date]
    backlog_by_layer: dict[int, list[int]] = field(default_factory=dict)
    approvals: list[int] = field(default_factory=list)
    rejections: list[int] = field(default_factory=list)
    first_pass_rate: list[float | None] = field(default_factory=list)
    median_hours_to_decision: list[float | None] = field(default_factory=list)


def review_trends(days: int, *, project_id: UUID | None = None) -> Trends:
    now = clock.now()
    today = now.date()
    span = [today - timedelta(days=back) for back in range(days - 1, -1, -1)]
    ends = [min(now, datetime.combine(day + timedelta(days=1), time.min, tzinfo=now.tzinfo)) for day in span]
    start = datetime.combine(span[0], time.min, tzinfo=now.tzinfo)
    visits = LayerVisit.objects.all()
    if project_id is not None:
        visits = visits.filter(task__project_id=project_id)
    return Trends(
        days=span,
        backlog_by_layer=_backlog(visits, start, ends),
        **_decisions(visits, span, start, now),
    )


def _backlog(visits: QuerySet[LayerVisit], start: datetime, ends: list[datetime]) -> dict[int, list[int]]:
    """In one grouped query: per layer, the stays open at each day's end."""

    def open_at(moment: datetime) -> Q:
        return Q(entered_at__lte=moment) & (Q(left_at__isnull=True) | Q(left_at__gt=moment))

    counts = {f"d{index}": Count("pk", filter=open_at(end)) for index, end in enumerate(ends)}
    rows = (
        visits.filter(Q(left_at__isnull=True) | Q(left_at__gt=start))
        .values("layer")
        .annotate(**counts)
        .order_by("layer")
    )
    return {row["layer"]: [row[f"d{index}"] for index in range(len(ends))] for row in rows}


def _decisions(
    visits: QuerySet[LayerVisit], span: list[date], start: datetime, now: datetime
) -> dict[str, Any]:
    """Final decisions of the window (a rejection at any layer, an approval at the last one),
    with each task's first submission time, bucketed per day in Python for the medians."""
    first_submitted = Submission.objects.filter(task_id=OuterRef("task_id"), version=1).values(
        "submitted_at"
    )[:1]
    final = visits.filter(left_at__gte=start, left_at__lte=now).filter(
        Q(outcome=Decision.REJECT) | Q(outcome=Decision.APPROVE, layer=F("task__project__review_layers"))
    )
    per_day: dict[date, list[tuple[str, int, float | None]]] = defaultdict(list)
    for left_at, outcome, revisions, submitted_at in final.values_list(
        "left_at", "outcome", "task__revisions", Subquery(first_submitted)
    ):
        hours = None if submitted_at is None else (left_at - submitted_at).total_seconds() / 3600
        per_day[left_at.date()].append((outcome, revisions, hours))
    result: dict[str, list[Any]] = {
        "approvals": [],
        "rejections": [],
        "first_pass_rate": [],
        "median_hours_to_decision": [],
    }
    for day in span:
        decided = per_day.get(day, [])
        approved = [row for row in decided if row[0] == Decision.APPROVE]
        first_pass = sum(1 for row in approved if row[1] == 0)
        hours = [row[2] for row in decided if row[2] is not None]
        result["approvals"].append(len(approved))
        result["rejections"].append(len(decided) - len(approved))
        result["first_pass_rate"].append(round(first_pass / len(decided), 4) if decided else None)
        result["median_hours_to_decision"].append(round(statistics.median(hours), 2) if hours else None)
    return result
