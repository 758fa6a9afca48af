"""Demo data for ``seed_demo``: people for every role with one known password, a project and
realistic tasks, all created through the same commands the API uses. Safe to run again."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from marlin import reactors
from marlin.kernel import clock
from payments.commands import period_close, statement_mark_paid
from payments.models import PayoutEntry, Statement
from payments.periods import period_of
from people.commands import person_register
from people.models import User
from reviews.commands import review_decide
from reviews.models import ReviewAssignment
from tasks.commands import project_create, task_claim, task_release, task_submit
from tasks.domain.presentation import swapped_preference, swapped_scores
from tasks.importing import rows_from_file, task_import
from tasks.models import Project, Submission, Task

DEMO_PASSWORD = "marlin-demo-2026"
ADMIN_USERNAME = "admin"
DEMO_PROJECT = "Code judgments: general"
TASKS_FILE = Path(__file__).resolve().parent.parent / "tasks" / "fixtures" / "demo_tasks.jsonl"
# What a careful engineer would submit on each task the demo works on, keyed by external_id: a
# rationale about that task's own prompt and answers, never one text pasted on every task.
JUDGMENTS_FILE = Path(__file__).resolve().parent / "fixtures" / "demo_judgments.json"

DEMO_PEOPLE: list[dict[str, Any]] = [
    {"username": "admin", "name": "Ada Admin", "roles": []},
    {"username": "olga", "name": "Olga Ops", "roles": ["ops"]},
    {"username": "fred", "name": "Fred Finance", "roles": ["finance"]},
    {"username": "alice", "name": "Alice Contributor", "roles": ["contributor"], "skills": ["python", "sql"]},
    {"username": "bob", "name": "Bob Contributor", "roles": ["contributor"], "skills": ["python", "go"]},
    {"username": "carol", "name": "Carol Contributor", "roles": ["contributor"], "skills": ["typescript"]},
    {
        "username": "rita",
        "name": "Rita Reviewer",
        "roles": ["reviewer"],
        "reviewer_level": 1,
        "skills": ["python"],
    },
    {
        "username": "ravi",
        "name": "Ravi Reviewer",
        "roles": ["reviewer"],
        "reviewer_level": 1,
        "skills": ["python"],
    },
    {
        "username": "rosa",
        "name": "Rosa Senior Reviewer",
        "roles": ["reviewer"],
        "reviewer_level": 2,
        "skills": ["python"],
    },
    {
        "username": "ray",
        "name": "Ray Senior Reviewer",
        "roles": ["reviewer"],
        "reviewer_level": 2,
        "skills": ["python"],
    },
]


def seed() -> Iterator[str]:
    yield from _seed_people()
    project_id = yield from _seed_project()
    yield from _seed_work_in_review(project_id)
    yield from _seed_payouts(project_id)


def _seed_people() -> Iterator[str]:
    for spec in DEMO_PEOPLE:
        username = spec["username"]
        if User.objects.filter(username=username).exists():
            yield f"person {username!r} exists"
            continue
        person_register(
            actor_id=None,
            username=username,
            password=DEMO_PASSWORD,
            email=f"{username}@marlin.example",
            name=spec["name"],
            roles=spec["roles"],
            reviewer_level=spec.get("reviewer_level", 1),
            skills=spec.get("skills", []),
        )
        if username == ADMIN_USERNAME:
            User.objects.filter(username=username).update(is_superuser=True, is_staff=True)
        yield f"created {username!r} ({', '.join(spec['roles']) or 'superuser'}), password {DEMO_PASSWORD!r}"


def _seed_project() -> Iterator[str]:
    admin = User.objects.get(username=ADMIN_USERNAME)
    project = Project.objects.filter(name=DEMO_PROJECT).first()
    if project is None:
        project = project_create(
            actor_id=admin.pk,
            fields={
                "name": DEMO_PROJECT,
                "instructions": (
                    "Read the prompt and both answers. Run the code in your head (or for real). "
                    "Pick the better answer, say how strongly, score both on every criterion, and "
                    "explain your reasoning so another engineer could check it."
                ),
            },
        )
        yield f"created project {DEMO_PROJECT!r}"
    with TASKS_FILE.open("rb") as lines:  # read line by line, as an upload is
        rows = rows_from_file(TASKS_FILE.name, lines)
    result = task_import(actor_id=admin.pk, project_id=project.id, rows=rows)
    yield f"imported tasks into {DEMO_PROJECT!r}: {json.dumps(result.as_dict())}"
    return project.id


def _seed_work_in_review(project_id: Any) -> Iterator[str]:
    """Some work in flight, the first time only: a claim, a submission waiting at layer 1, and
    one approved at layer 1 waiting at layer 2."""
    if Submission.objects.filter(task__project_id=project_id).exists():
        yield "work in review exists"
        return
    people = {u.username: u for u in User.objects.filter(username__in=["alice", "bob", "carol"])}
    for username in ("alice", "bob"):
        task = task_claim(contributor_id=people[username].pk, project_id=project_id)
        if task is not None:
            _submit_or_release(people[username], task)
    reactors.pump_all()  # route now, whether or not a worker is running
    bob_review = ReviewAssignment.objects.filter(task__contributor=people["bob"], status="pending").first()
    if bob_review is not None:
        review_decide(reviewer_id=bob_review.reviewer_id, assignment_id=bob_review.id, decision="approve")
        reactors.pump_all()
    task_claim(contributor_id=people["carol"].pk, project_id=project_id)
    yield "work in flight: carol holds a claim, alice's judgment is at layer 1, bob's at layer 2"


def demo_judgments() -> dict[str, dict[str, Any]]:
    """The written judgments by task external_id (preference, strength, rationale)."""
    return json.loads(JUDGMENTS_FILE.read_text())


def _demo_judgment(task: Task) -> dict[str, Any] | None:
    """The judgment written for this task, its scores following the preference; None when the
    demo has none for it (a task deeper in the queue than a fresh seed reaches)."""
    written = demo_judgments().get(task.external_id)
    if written is None:
        return None
    preferred, other = (5, 4 - written["strength"]) if written["strength"] > 1 else (4, 3)
    scores = {"a": preferred, "b": other} if written["preference"] == "A" else {"a": other, "b": preferred}
    return {
        "preference": written["preference"],
        "strength": written["strength"],
        "scores": {name: dict(scores) for name in task.project.criteria},
        "rationale": written["rationale"],
        "time_spent_minutes": 45,
    }


def _submit_or_release(contributor: User, task: Task) -> bool:
    """Submit the task's written judgment; with none, give the claim back rather than submit a
    rationale about some other task."""
    judgment = _demo_judgment(task)
    if judgment is None:
        task_release(contributor_id=contributor.pk, task_id=task.id, reason="no demo judgment")
        return False
    task_submit(
        contributor_id=contributor.pk, task_id=task.id, judgment=as_shown(judgment, task.presented_swapped)
    )
    return True


_SIDE = re.compile(r"\b[AB]\b")


def as_shown(judgment: dict[str, Any], presented_swapped: bool) -> dict[str, Any]:
    """A judgment written about the import's A and B, as the contributor who was shown them
    swapped would send it: the preference, the scores and the rationale's letters (the written
    rationales use a capital A or B alone only to name a response) in the order they saw."""
    if not presented_swapped:
        return judgment
    return {
        **judgment,
        "preference": swapped_preference(judgment["preference"]),
        "scores": swapped_scores(judgment["scores"]),
        "rationale": _SIDE.sub(lambda side: swapped_preference(side.group()), judgment["rationale"]),
    }


def _seed_payouts(project_id: Any) -> Iterator[str]:
    """Approved work with payouts, the first time only: three tasks approved last week (a closed
    period, one statement paid) and one approved this week (its period still open)."""
    if PayoutEntry.objects.exists():
        yield "payouts exist"
        return
    people = {u.username: u for u in User.objects.filter(username__in=["alice", "bob"])}
    last_week = clock.now() - timedelta(days=7)
    with clock.pinned_at(last_week):
        for username in ("alice", "bob", "alice"):
            _approve_a_task(project_id, people[username])
    closed = period_of(last_week)
    period_close(actor_id=None, period=closed)
    first = Statement.objects.filter(period=closed).order_by("contributor_id").first()
    if first is not None:
        statement_mark_paid(actor_id=None, statement_id=first.id, reference="DEMO-WIRE-0001")
    _approve_a_task(project_id, people["bob"])
    yield f"payouts: 3 tasks approved in {closed} (closed, one statement paid), 1 in {period_of(clock.now())}"


def _approve_a_task(project_id: Any, contributor: User) -> None:
    """Claim, submit and approve through every review layer, as the people would."""
    task = task_claim(contributor_id=contributor.pk, project_id=project_id)
    if task is None:
        return
    if not _submit_or_release(contributor, task):
        return
    while True:
        reactors.pump_all()
        review = ReviewAssignment.objects.filter(task_id=task.id, status="pending").first()
        if review is None:
            break
        review_decide(
            reviewer_id=review.reviewer_id,
            assignment_id=review.id,
            decision="approve",
            feedback="Well argued.",
        )
    reactors.pump_all()
