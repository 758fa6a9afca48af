"""The preference export: approved judgments as JSON Lines, reversed ones left out."""

from __future__ import annotations

import json

import pytest

from reviews.commands import review_decide
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def approve_through_review(project, **judgment):
    task_id, _ = submitted_task(project, **judgment)
    settle()
    review = pending_review(task_id)
    review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve", feedback="ok")
    settle()
    return task_id


def test_approved_judgments_are_exported_with_chosen_rejected_and_their_review_chain() -> None:
    project = make_project(review_layers=1)
    import_tasks(project, 3)
    make_user("reviewer")
    ops = client_for(make_user("ops"))
    picked_b = approve_through_review(project, preference="B", strength=3)
    tie = approve_through_review(project, preference="tie", strength=...)
    reversed_task = approve_through_review(project)
    ops.post(f"/api/v1/tasks/{reversed_task}/reverse-approval/", {"reason": "wrong"}, format="json")

    response = ops.get("/api/v1/exports/preferences/", {"project": str(project.id)})

    assert response["Content-Type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]
    by_task = {line["task_id"]: line for line in lines}
    assert set(by_task) == {str(picked_b), str(tie)}
    b = by_task[str(picked_b)]
    assert (b["chosen"], b["rejected"]) == (
        "def f(xs):\n    return list(set(xs))",
        "def f(xs):\n    return sorted(set(xs))",
    )
    assert (b["preference"], b["strength"], b["model_a"], b["model_b"]) == ("B", 3, "atlas-70b", "corvid-xl")
    assert [r["decision"] for r in b["review_chain"]] == ["approve"]
    assert set(b["scores"]) >= {"correctness"}
    assert (by_task[str(tie)]["chosen"], by_task[str(tie)]["preference"]) == (None, "tie")


def test_only_ops_export_and_the_project_must_exist() -> None:
    project = make_project()

    assert (
        client_for(make_user("finance"))
        .get("/api/v1/exports/preferences/", {"project": str(project.id)})
        .status_code
        == 403
    )
    ops = client_for(make_user("ops"))
    assert ops.get("/api/v1/exports/preferences/").status_code == 400
    assert (
        ops.get(
            "/api/v1/exports/preferences/", {"project": "00000000-0000-0000-0000-000000000000"}
        ).status_code
        == 404
    )
