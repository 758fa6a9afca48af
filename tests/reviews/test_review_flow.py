"""The whole review path through the API: two layers and a revision, as REST clients do it."""

from __future__ import annotations

import pytest

from tests.factories import client_for, import_tasks, judgment, make_project, make_user
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


def test_a_task_goes_from_submission_to_final_approval_through_two_layers_and_a_revision() -> None:
    project = make_project(name="Judgments")
    import_tasks(project, 1)
    alice = client_for(make_user("contributor"))
    rita = client_for(rita_user := make_user("reviewer", reviewer_level=1))
    rosa = client_for(make_user("reviewer", reviewer_level=2))

    task = alice.post("/api/v1/tasks/claim/", {}, format="json").json()
    assert (
        alice.post(f"/api/v1/tasks/{task['id']}/submissions/", judgment(), format="json").status_code == 201
    )
    settle()  # the routing reactor assigns layer 1

    # Layer 1 goes to the least loaded eligible reviewer: both have 0; Rita has the lower id.
    [review] = rita.get("/api/v1/reviews/", {"status": "pending"}).json()["results"]
    assert (review["layer"], review["reviewer"]) == (1, rita_user.pk)
    detail = rita.get(f"/api/v1/reviews/{review['id']}/").json()
    assert detail["submission"]["version"] == 1
    assert "model_a" not in detail["task_detail"]
    assert detail["task_detail"]["contributor_pseudonym"].startswith("contributor-")
    assert detail["submission"]["contributor"] is None
    asked = rita.post(
        f"/api/v1/reviews/{review['id']}/decision/",
        {
            "decision": "request_changes",
            "feedback": "Score readability lower for B.",
            "reasons": ["inconsistent_scores"],
        },
        format="json",
    )
    assert asked.status_code == 200, asked.content
    assert alice.get(f"/api/v1/tasks/{task['id']}/").json()["status"] == "changes_requested"

    revised = alice.post(
        f"/api/v1/tasks/{task['id']}/submissions/", judgment(rationale="B " * 40), format="json"
    )
    assert revised.json()["version"] == 2
    settle()

    # The revision returns to layer 1 and to Rita, who asked for it.
    [again] = rita.get("/api/v1/reviews/", {"status": "pending"}).json()["results"]
    detail = rita.get(f"/api/v1/reviews/{again['id']}/").json()
    assert detail["submission"]["version"] == 2
    assert [s["version"] for s in detail["earlier_submissions"]] == [1]
    assert detail["earlier_rounds"][0]["feedback"] == "Score readability lower for B."
    rita.post(f"/api/v1/reviews/{again['id']}/decision/", {"decision": "approve"}, format="json")
    settle()

    # Layer 2 needs level 2: Rosa.
    [senior] = rosa.get("/api/v1/reviews/", {"status": "pending"}).json()["results"]
    assert senior["layer"] == 2
    assert rosa.get(f"/api/v1/tasks/{task['id']}/").status_code == 200
    rosa.post(
        f"/api/v1/reviews/{senior['id']}/decision/",
        {"decision": "approve", "feedback": "Good."},
        format="json",
    )

    final = alice.get(f"/api/v1/tasks/{task['id']}/").json()
    assert (final["status"], final["layer"]) == ("approved", None)
    history = [e["type"] for e in alice.get(f"/api/v1/tasks/{task['id']}/history/").json()]
    assert history == [
        "TaskImported", "TaskClaimed", "JudgmentSubmitted", "ReviewAssigned", "ReviewDecided",
        "ChangesRequested", "JudgmentSubmitted", "ReviewAssigned", "ReviewDecided", "TaskEnteredLayer",
        "ReviewAssigned", "ReviewDecided", "TaskApproved",
    ]  # fmt: skip
    contributor_view = alice.get(f"/api/v1/tasks/{task['id']}/history/").json()
    assert all("reviewer_id" not in e["data"] for e in contributor_view)
    ops = client_for(make_user("ops"))
    queue = ops.get("/api/v1/queues/").json()["projects"][0]
    assert queue["tasks"]["approved"]["count"] == 1
    assert queue["throughput_24h"]["approved"] == 1
    assert queue["first_pass_approval_rate"] == 0.0
    assert queue["reason_counts"] == {"inconsistent_scores": 1}
