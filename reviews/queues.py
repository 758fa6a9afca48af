"""The ops view of the queues (``GET queues/``): per project, where work stands and how old it is,
what is overdue, how fast it moves, what nobody can staff; and every reviewer's load against
capacity.

A fixed number of grouped queries, whatever the number of tasks.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from marlin.kernel import clock
from people.models import PersonSkill, User
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad, ReviewReason
from tasks.domain.review_round import AssignmentStatus
from tasks.domain.task import TaskStatus
from tasks.models import Project, Submission, Task


def _age(now: datetime, since: datetime | None) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def queue_overview() -> dict[str, Any]:
    now = clock.now()
    day_ago = now - timedelta(hours=24)
    projects = {p.id: _project_entry(p) for p in Project.objects.order_by("name", "id")}

    for row in Task.objects.values("project_id", "status").annotate(n=Count("pk"), since=Min("updated_at")):
        projects[row["project_id"]]["tasks"][row["status"]] = {
            "count": row["n"],
            "oldest_seconds": _age(now, row["since"]),
        }

    pending = ReviewAssignment.objects.filter(status=AssignmentStatus.PENDING)
    for row in pending.values("task__project_id", "layer").annotate(n=Count("pk"), since=Min("assigned_at")):
        layer = _layer(projects[row["task__project_id"]], row["layer"])
        layer["assigned"], layer["oldest_assigned_seconds"] = row["n"], _age(now, row["since"])
    for row in AwaitingReview.objects.values("task__project_id", "layer").annotate(
        n=Count("pk"), since=Min("waiting_since")
    ):
        layer = _layer(projects[row["task__project_id"]], row["layer"])
        layer["unassigned"], layer["oldest_unassigned_seconds"] = row["n"], _age(now, row["since"])

    overdue_claims = Task.objects.filter(status=TaskStatus.CLAIMED, claim_expires_at__lt=now)
    for row in overdue_claims.values("project_id").annotate(n=Count("pk")):
        projects[row["project_id"]]["overdue_claims"] = row["n"]
    for row in pending.filter(due_at__lt=now).values("task__project_id").annotate(n=Count("pk")):
        projects[row["task__project_id"]]["overdue_reviews"] = row["n"]

    _throughput(projects, day_ago)
    _quality(projects)
    _staffing(projects)
    for entry in projects.values():
        entry["layers"] = [entry["layers"][k] for k in sorted(entry["layers"])]
    return {"generated_at": now, "projects": list(projects.values()), "reviewers": _reviewers()}


def _project_entry(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "name": project.name,
        "status": project.status,
        "review_layers": project.review_layers,
        "tasks": {status.value: {"count": 0, "oldest_seconds": None} for status in TaskStatus},
        "layers": {},
        "overdue_claims": 0,
        "overdue_reviews": 0,
        "throughput_24h": {
            "submitted": 0,
            "approved": 0,
            "rejected": 0,
            "changes_requested": 0,
            "cancelled": 0,
        },
        "first_pass_approval_rate": None,
        "reason_counts": {},
        "required_skills": list(project.required_skills),
        "unstaffed_skills": [],
        "unstaffed_layers": [],
    }


def _layer(entry: dict[str, Any], layer: int) -> dict[str, Any]:
    return entry["layers"].setdefault(
        layer,
        {
            "layer": layer,
            "assigned": 0,
            "unassigned": 0,
            "oldest_assigned_seconds": None,
            "oldest_unassigned_seconds": None,
        },
    )


def _throughput(projects: dict[Any, dict[str, Any]], since: datetime) -> None:
    submitted = Submission.objects.filter(submitted_at__gte=since)
    for row in submitted.values("task__project_id").annotate(n=Count("pk")):
        projects[row["task__project_id"]]["throughput_24h"]["submitted"] = row["n"]
    finished = Task.objects.filter(finished_at__gte=since)
    for row in finished.values("project_id", "status").annotate(n=Count("pk")):
        projects[row["project_id"]]["throughput_24h"][row["status"]] = row["n"]
    changes = ReviewAssignment.objects.filter(decided_at__gte=since, decision="request_changes")
    for row in changes.values("task__project_id").annotate(n=Count("pk")):
        projects[row["task__project_id"]]["throughput_24h"]["changes_requested"] = row["n"]


def _quality(projects: dict[Any, dict[str, Any]]) -> None:
    decided = Task.objects.filter(status__in=[TaskStatus.APPROVED, TaskStatus.REJECTED])
    rates = decided.values("project_id").annotate(
        decided=Count("pk"),
        first_pass=Count("pk", filter=Q(status=TaskStatus.APPROVED, revisions=0)),
    )
    for row in rates:
        projects[row["project_id"]]["first_pass_approval_rate"] = round(row["first_pass"] / row["decided"], 4)
    counts: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in ReviewReason.objects.values("assignment__task__project_id", "code").annotate(n=Count("pk")):
        counts[row["assignment__task__project_id"]][row["code"]] = row["n"]
    for project_id, reason_counts in counts.items():
        projects[project_id]["reason_counts"] = dict(sorted(reason_counts.items()))


def _staffing(projects: dict[Any, dict[str, Any]]) -> None:
    """Per project, the required skills no active contributor has (nobody can claim its tasks),
    and the layers no active reviewer can take (level too low or a skill lacking: those reviews
    wait forever). Two queries, whatever the number of projects and people."""
    active = {"user__active": True, "user__is_active": True}
    contributor_skills = set(
        PersonSkill.objects.filter(user__is_contributor=True, **active)
        .values_list("skill", flat=True)
        .distinct()
    )
    reviewers = [
        (level, frozenset(skills or ()))
        for level, skills in User.objects.filter(is_reviewer=True, active=True, is_active=True).values_list(
            "reviewer_level", "skills"
        )
    ]
    for entry in projects.values():
        required = set(entry.pop("required_skills"))
        entry["unstaffed_skills"] = sorted(required - contributor_skills)
        top = max((level for level, skills in reviewers if required <= skills), default=0)
        entry["unstaffed_layers"] = list(range(top + 1, entry["review_layers"] + 1))


def _reviewers() -> list[dict[str, Any]]:
    """Each reviewer's pending reviews against capacity. A calibration plant under review takes
    capacity like any review but is not work ops can see or steer: it is left out of ``pending``."""
    plants_held = (
        ReviewAssignment.all_objects.filter(
            reviewer_id=OuterRef("reviewer_id"), calibration=True, status=AssignmentStatus.PENDING
        )
        .values("reviewer_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    loads = (
        ReviewerLoad.objects.filter(reviewer__is_reviewer=True)
        .select_related("reviewer")
        .annotate(plants=Coalesce(Subquery(plants_held), 0))
        .order_by("reviewer_id")
    )
    return [
        {
            "id": load.reviewer_id,
            "username": load.reviewer.username,
            "reviewer_level": load.reviewer.reviewer_level,
            "active": load.reviewer.active,
            "pending": load.pending - load.plants,
            "capacity": load.reviewer.capacity,
            "last_assigned_at": load.last_assigned_at,
        }
        for load in loads
    ]
