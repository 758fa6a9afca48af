"""The quality reports' figures recomputed the slow, obvious way: by replaying the whole event log.

The reports read the projections; this reads only the events. The two must agree."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any
from uuid import UUID

from marlin.eventstore.store import iter_all
from tasks.domain.quality import binomial_two_sided_p


def replay(project_id: UUID) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """Contributors' and reviewers' figures in one project, keyed by person."""
    in_project: set[UUID] = set()
    submitted: dict[int, set[UUID]] = defaultdict(set)
    versions: dict[int, list[int]] = defaultdict(list)
    submitter: dict[UUID, int] = {}
    latest: dict[UUID, dict[str, Any]] = {}  # each task's judgment of record
    final: dict[UUID, str] = {}
    asked_changes: set[UUID] = set()
    assignments: dict[UUID, dict[str, Any]] = {}
    for recorded in iter_all():
        event, kind = recorded.data, recorded.type
        task = UUID(str(event["task_id"])) if "task_id" in event else None
        if kind == "TaskImported" and UUID(str(event["project_id"])) == project_id:
            in_project.add(task)
        if task not in in_project:
            continue
        if kind == "JudgmentSubmitted":
            person = event["contributor_id"]
            submitted[person].add(task)
            versions[person].append(event["time_spent_minutes"])
            submitter[task] = person
            latest[task] = event
        elif kind == "TaskApproved":
            final[task] = "approved"
        elif kind in {"TaskRejected", "ApprovalReversed"}:
            final[task] = "rejected"
        elif kind == "TaskCancelled":
            final[task] = "cancelled"
        elif kind == "ChangesRequested":
            asked_changes.add(task)
        elif kind == "ReviewAssigned":
            assignments[UUID(str(event["assignment_id"]))] = {
                "task": task,
                "reviewer": event["reviewer_id"],
                "layer": event["layer"],
                "version": event["submission_version"],
                "assigned_at": recorded.recorded_at,
                "status": "pending",
            }
        elif kind == "ReviewDecided":
            assignment = assignments[UUID(str(event["assignment_id"]))]
            assignment.update(status="decided", decision=event["decision"], decided_at=recorded.recorded_at)
        elif kind == "ReviewExpired":
            assignments[UUID(str(event["assignment_id"]))]["status"] = "expired"
    contributors = _contributors(submitted, versions, submitter, final, asked_changes)
    for person, figures in contributors.items():
        figures.update(
            _first_position(event for event in latest.values() if event["contributor_id"] == person)
        )
    return contributors, _reviewers(assignments)


def _first_position(judgments: Any) -> dict[str, Any]:
    """Non-tie judgments of record, and how many chose the answer their author was shown first."""
    chose = [
        (event["preference"] == "A") != bool(event.get("presented_swapped", False))
        for event in judgments
        if event["preference"] != "tie"
    ]
    if not chose:
        return {"first_position_rate": None, "position_bias_p": None}
    return {
        "first_position_rate": round(sum(chose) / len(chose), 4),
        "position_bias_p": binomial_two_sided_p(sum(chose), len(chose)),
    }


def _contributors(
    submitted: dict[int, set[UUID]],
    versions: dict[int, list[int]],
    submitter: dict[UUID, int],
    final: dict[UUID, str],
    asked_changes: set[UUID],
) -> dict[int, dict[str, Any]]:
    figures = {}
    for person, tasks in submitted.items():
        outcomes = [final.get(task) for task in tasks if submitter[task] == person]
        approved = outcomes.count("approved")
        rejected = outcomes.count("rejected")
        first_pass = sum(1 for task in tasks if final.get(task) == "approved" and task not in asked_changes)
        minutes = versions[person]
        figures[person] = {
            "submitted": len(tasks),
            "approved": approved,
            "rejected": rejected,
            "first_pass_approval_rate": round(first_pass / (approved + rejected), 4)
            if approved + rejected
            else None,
            "mean_revisions": round((len(minutes) - len(tasks)) / len(tasks), 2),
            "mean_time_spent_minutes": round(sum(minutes) / len(minutes), 2),
        }
    return figures


def _reviewers(assignments: dict[UUID, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    mine: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for assignment in assignments.values():
        mine[assignment["reviewer"]].append(assignment)
    figures = {}
    for person, theirs in mine.items():
        decided = [a for a in theirs if a["status"] == "decided"]
        kinds = [a["decision"] for a in decided]
        minutes = [(a["decided_at"] - a["assigned_at"]).total_seconds() / 60 for a in decided]
        overturned = sum(
            1
            for a in decided
            if a["decision"] == "approve"
            and any(
                b["task"] == a["task"]
                and b["version"] == a["version"]
                and b["layer"] > a["layer"]
                and b["status"] == "decided"
                and b["decision"] in {"request_changes", "reject"}
                for b in assignments.values()
            )
        )
        figures[person] = {
            "decisions": len(decided),
            "approve_rate": round(kinds.count("approve") / len(kinds), 4) if kinds else None,
            "request_changes_rate": round(kinds.count("request_changes") / len(kinds), 4) if kinds else None,
            "reject_rate": round(kinds.count("reject") / len(kinds), 4) if kinds else None,
            "median_decision_minutes": round(statistics.median(minutes), 2) if minutes else None,
            "overturned_by_later_layer": overturned,
            "expired": sum(1 for a in theirs if a["status"] == "expired"),
        }
    return figures
