"""The quality reports' figures recomputed the slow, obvious way: by replaying the whole event log.

The reports read the projections; this reads only the events. The two must agree."""

from __future__ import annotations

import statistics
from collections import defaultdict
from typing import Any
from uuid import UUID

from marlin.eventstore.store import RecordedEvent, iter_all
from tasks.domain.quality import binomial_two_sided_p


def replay(project_id: UUID) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """Contributors' and reviewers' figures in one project, keyed by person."""
    log = _Replay(project_id)
    for recorded in iter_all():
        log.apply(recorded)
    return log.contributors(), _reviewers(log.assignments, log.appeals, log.plant_scores)


class _Replay:
    """What the log says about one project, one event at a time (``on_<EventType>``)."""

    def __init__(self, project_id: UUID) -> None:
        self.project_id = project_id
        self.in_project: set[UUID] = set()
        self.submitted: dict[int, set[UUID]] = defaultdict(set)
        self.minutes: dict[int, list[int]] = defaultdict(list)
        self.submitter: dict[UUID, int] = {}
        self.latest: dict[UUID, dict[str, Any]] = {}  # each task's judgment of record
        self.final: dict[UUID, str] = {}
        self.asked_changes: set[UUID] = set()
        self.assignments: dict[UUID, dict[str, Any]] = {}
        self.gold: dict[int, list[bool]] = defaultdict(list)
        self.suspended: dict[int, bool] = {}
        self.item: dict[UUID, str] = {}
        self.gold_tasks: set[UUID] = set()
        self.appeals: dict[UUID, dict[str, Any]] = {}
        self.plant_scores: dict[int, list[bool]] = defaultdict(list)

    def apply(self, recorded: RecordedEvent) -> None:
        event = recorded.data
        if "project_id" in event and UUID(str(event["project_id"])) != self.project_id:
            return
        task = UUID(str(event["task_id"])) if "task_id" in event else None
        if recorded.type in {"TaskImported", "CalibrationPlanted"}:
            self.in_project.add(task)
            self.item[task] = event.get("item") or event["external_id"]
            if event.get("gold"):
                self.gold_tasks.add(task)
        if task is not None and task not in self.in_project:
            return
        handler = getattr(self, f"on_{recorded.type}", None)
        if handler is not None:
            handler(event, task, recorded)

    def on_JudgmentSubmitted(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        person = event["contributor_id"]
        self.submitted[person].add(task)
        self.minutes[person].append(event["time_spent_minutes"])
        self.submitter[task] = person
        self.latest[task] = event

    def on_TaskApproved(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.final[task] = "approved"

    def on_TaskRejected(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.final[task] = "rejected"

    on_ApprovalReversed = on_TaskRejected

    def on_CalibrationScored(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.plant_scores[event["reviewer_id"]].append(event["caught"])

    def on_AppealFiled(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.final[task] = "appealed"
        self.appeals[task] = {"contributor": event["contributor_id"], "rejected_by": event["rejected_by"]}

    def on_AppealDecided(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.appeals[task]["overturned"] = event["overturned"]
        if not event["overturned"]:
            self.final[task] = "rejected"

    def on_TaskCancelled(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.final[task] = "cancelled"

    def on_ChangesRequested(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.asked_changes.add(task)

    def on_GoldScored(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        self.gold[event["contributor_id"]].append(event["matched"])

    def on_ContributorSuspended(self, event: dict[str, Any], _: None, __: RecordedEvent) -> None:
        self.suspended[event["contributor_id"]] = True

    def on_SuspensionLifted(self, event: dict[str, Any], _: None, __: RecordedEvent) -> None:
        self.suspended[event["contributor_id"]] = False

    def on_ReviewAssigned(self, event: dict[str, Any], task: UUID, recorded: RecordedEvent) -> None:
        if event.get("calibration"):
            return  # a plant's review is in none of the ordinary figures
        self.assignments[UUID(str(event["assignment_id"]))] = {
            "task": task,
            "reviewer": event["reviewer_id"],
            "layer": event["layer"],
            "kind": event.get("kind", "review"),
            "version": event["submission_version"],
            "assigned_at": recorded.recorded_at,
            "status": "pending",
        }

    def on_ReviewDecided(self, event: dict[str, Any], task: UUID, recorded: RecordedEvent) -> None:
        if UUID(str(event["assignment_id"])) not in self.assignments:
            return  # a plant's
        self.assignments[UUID(str(event["assignment_id"]))].update(
            status="decided", decision=event["decision"], decided_at=recorded.recorded_at
        )

    def on_ReviewExpired(self, event: dict[str, Any], task: UUID, _: RecordedEvent) -> None:
        if UUID(str(event["assignment_id"])) in self.assignments:  # not a plant's
            self.assignments[UUID(str(event["assignment_id"]))]["status"] = "expired"

    def contributors(self) -> dict[int, dict[str, Any]]:
        figures = {}
        for person, tasks in self.submitted.items():
            outcomes = [self.final.get(task) for task in tasks if self.submitter[task] == person]
            approved, rejected = outcomes.count("approved"), outcomes.count("rejected")
            first_pass = sum(
                1 for task in tasks if self.final.get(task) == "approved" and task not in self.asked_changes
            )
            minutes, answers = self.minutes[person], self.gold.get(person, [])
            figures[person] = {
                "submitted": len(tasks),
                "approved": approved,
                "rejected": rejected,
                "first_pass_approval_rate": _share(first_pass, approved + rejected),
                "mean_revisions": round((len(minutes) - len(tasks)) / len(tasks), 2),
                "mean_time_spent_minutes": round(sum(minutes) / len(minutes), 2),
                "gold_answers": len(answers),
                "gold_accuracy": _share(sum(answers), len(answers)),
                "suspended": self.suspended.get(person, False),
                **_first_position(e for e in self.latest.values() if e["contributor_id"] == person),
                "agreement_rate": self.agreement_rate(person),
                "appeals_filed": sum(1 for a in self.appeals.values() if a["contributor"] == person),
                "appeals_won": sum(
                    1 for a in self.appeals.values() if a["contributor"] == person and a.get("overturned")
                ),
            }
        return figures

    def agreement_rate(self, person: int) -> float | None:
        """Every pair of an approved non-gold judgment of theirs and another contributor's approved
        non-gold judgment of a task of the same item: the share with the same preference."""
        approved = [
            task for task, final in self.final.items() if final == "approved" and task not in self.gold_tasks
        ]
        pairs = agreeing = 0
        for mine in (task for task in approved if self.submitter[task] == person):
            for theirs in approved:
                if self.item[theirs] == self.item[mine] and self.submitter[theirs] != person:
                    pairs += 1
                    agreeing += self.latest[theirs]["preference"] == self.latest[mine]["preference"]
        return _share(agreeing, pairs)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


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


def _reviewers(
    assignments: dict[UUID, dict[str, Any]],
    appeals: dict[UUID, dict[str, Any]],
    plant_scores: dict[int, list[bool]],
) -> dict[int, dict[str, Any]]:
    mine: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for assignment in assignments.values():
        mine[assignment["reviewer"]].append(assignment)
    for person in plant_scores:
        mine.setdefault(person, [])
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
                and b["kind"] == "review"
                and b["status"] == "decided"
                and b["decision"] in {"request_changes", "reject"}
                for b in assignments.values()
            )
        )
        figures[person] = {
            "decisions": len(decided),
            "approve_rate": _share(kinds.count("approve"), len(kinds)),
            "request_changes_rate": _share(kinds.count("request_changes"), len(kinds)),
            "reject_rate": _share(kinds.count("reject"), len(kinds)),
            "median_decision_minutes": round(statistics.median(minutes), 2) if minutes else None,
            "overturned_by_later_layer": overturned,
            "expired": sum(1 for a in theirs if a["status"] == "expired"),
            "appeals_overturned": sum(
                1 for a in appeals.values() if a["rejected_by"] == person and a.get("overturned")
            ),
            "calibration_seen": len(plant_scores.get(person, [])),
            "calibration_catch_rate": _share(
                sum(plant_scores.get(person, [])), len(plant_scores.get(person, []))
            ),
        }
    return figures
