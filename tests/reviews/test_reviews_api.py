"""``reviews/`` and ``queues/``: who sees and decides what."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from reviews import commands
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def review():
    project = make_project()
    import_tasks(project, 3)
    rita, ravi = make_user("reviewer"), make_user("reviewer")
    task_id, alice = submitted_task(project)
    settle()
    return {
        "task": task_id,
        "alice": alice,
        "rita": rita,
        "ravi": ravi,
        "assignment": pending_review(task_id),
    }


def test_a_reviewer_sees_only_their_own_assignments_and_tasks(review) -> None:
    rita, ravi = client_for(review["rita"]), client_for(review["ravi"])
    assignment = review["assignment"]

    assert [r["id"] for r in rita.get("/api/v1/reviews/").json()["results"]] == [str(assignment.id)]
    assert ravi.get("/api/v1/reviews/").json()["count"] == 0
    assert ravi.get(f"/api/v1/reviews/{assignment.id}/").status_code == 404
    assert ravi.get(f"/api/v1/tasks/{review['task']}/").status_code == 404
    assert rita.get(f"/api/v1/tasks/{review['task']}/").status_code == 200
    assert [s["version"] for s in rita.get(f"/api/v1/tasks/{review['task']}/submissions/").json()] == [1]


def test_a_reviewer_sees_the_task_without_models_or_the_contributors_identity(review) -> None:
    rita = client_for(review["rita"])

    task = rita.get(f"/api/v1/tasks/{review['task']}/").json()
    detail = rita.get(f"/api/v1/reviews/{review['assignment'].id}/").json()

    for body in (task, detail["task_detail"]):
        assert "model_a" not in body
        assert "model_b" not in body
    assert task["contributor"] is None
    assert task["contributor_pseudonym"] == detail["task_detail"]["contributor_pseudonym"]
    assert review["alice"].name not in str(detail)
    assert rita.get(f"/api/v1/tasks/{review['task']}/history/").status_code == 404


def test_someone_else_cannot_decide(review) -> None:
    assignment = review["assignment"]

    other_reviewer = client_for(review["ravi"]).post(
        f"/api/v1/reviews/{assignment.id}/decision/", {"decision": "approve"}, format="json"
    )
    contributor = client_for(review["alice"]).post(
        f"/api/v1/reviews/{assignment.id}/decision/", {"decision": "approve"}, format="json"
    )

    assert other_reviewer.status_code == 404
    assert contributor.status_code == 403


def test_a_second_decision_is_409_and_bad_input_is_400(review) -> None:
    rita = client_for(review["rita"])
    url = f"/api/v1/reviews/{review['assignment'].id}/decision/"

    missing = rita.post(url, {"decision": "reject"}, format="json")
    first = rita.post(
        url, {"decision": "reject", "feedback": "Wrong pick.", "reasons": ["wrong_preference"]}, format="json"
    )
    second = rita.post(url, {"decision": "approve"}, format="json")

    assert missing.status_code == 400
    assert set(missing.json()["error"]["fields"]) == {"feedback", "reasons"}
    assert first.json()["decision"] == "reject"
    assert second.status_code == 409


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "reject", "feedback": {"text": "no"}, "reasons": ["wrong_preference"]}, "feedback"),
        ({"decision": "reject", "feedback": "x" * 10_001, "reasons": ["wrong_preference"]}, "feedback"),
        ({"decision": "reject", "feedback": "Wrong pick.", "reasons": "wrong_preference"}, "reasons"),
        ({"decision": "reject", "feedback": "Wrong pick.", "reasons": [7]}, "reasons"),
    ],
)
def test_a_decision_of_the_wrong_shape_is_400_naming_the_field_and_decides_nothing(
    review, body, field
) -> None:
    rita = client_for(review["rita"])

    response = rita.post(f"/api/v1/reviews/{review['assignment'].id}/decision/", body, format="json")

    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]
    review["assignment"].refresh_from_db()
    assert review["assignment"].status == "pending"


def test_ops_see_all_assignments_and_the_queues_others_do_not(review) -> None:
    ops = client_for(make_user("ops"))

    assert ops.get("/api/v1/reviews/").json()["count"] == 1
    assert ops.get("/api/v1/reviews/", {"status": "decided"}).json()["count"] == 0
    queues = ops.get("/api/v1/queues/").json()
    [project] = queues["projects"]
    assert project["tasks"]["in_review"]["count"] == 1
    assert project["tasks"]["open"]["count"] == 2
    [layer] = project["layers"]
    # Seconds since the assignment: 0 on an idle machine, more while it is busy (seen: 1).
    assert 0 <= layer.pop("oldest_assigned_seconds") < 30
    assert layer == {"layer": 1, "assigned": 1, "unassigned": 0, "oldest_unassigned_seconds": None}
    assert project["throughput_24h"]["submitted"] == 1
    assert {r["id"]: r["pending"] for r in queues["reviewers"]} == {
        review["rita"].pk: 1,
        review["ravi"].pk: 0,
    }
    for person in (review["rita"], review["alice"]):
        assert client_for(person).get("/api/v1/queues/").status_code == 403
        assert (
            client_for(person).post(f"/api/v1/reviews/{review['assignment'].id}/reassign/", {}).status_code
            == 403
        )


def test_queue_and_list_queries_do_not_grow_with_the_work(django_assert_max_num_queries) -> None:
    project = make_project()
    import_tasks(project, 30)
    for _ in range(3):
        make_user("reviewer", capacity=20)
    for _ in range(12):
        submitted_task(project)
    settle()
    ops = client_for(make_user("ops"))

    with django_assert_max_num_queries(20):
        ops.get("/api/v1/queues/")
    with django_assert_max_num_queries(6):
        assert ops.get("/api/v1/reviews/").json()["count"] == 12


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_decisions_on_one_assignment_one_wins_one_409() -> None:
    project = make_project()
    import_tasks(project, 1)
    rita = make_user("reviewer")
    task_id, _ = submitted_task(project)
    settle()
    assignment = pending_review(task_id)
    start = threading.Barrier(2, timeout=10)
    outcomes: list[str] = []

    def decide(decision: str, **fields: object) -> None:
        try:
            start.wait()
            commands.review_decide(
                reviewer_id=rita.pk, assignment_id=assignment.id, decision=decision, **fields
            )
            outcomes.append("ok")
        except Exception as error:
            outcomes.append(getattr(error, "code", type(error).__name__))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=decide, args=("approve",)),
        threading.Thread(
            target=decide, args=("reject",), kwargs={"feedback": "No.", "reasons": ["low_effort"]}
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)

    assert sorted(outcomes) in (["concurrent_update", "ok"], ["not_pending", "ok"])
    assert pending_review(task_id) is None


def test_the_review_detail_lists_the_projects_reason_codes_next_to_its_criteria() -> None:
    project = make_project(reason_codes=["off_topic", "weak_rationale"])
    import_tasks(project, 1)
    rita = make_user("reviewer")
    task_id, _ = submitted_task(project)
    settle()

    detail = client_for(rita).get(f"/api/v1/reviews/{pending_review(task_id).id}/").json()

    assert detail["reason_codes"] == ["off_topic", "weak_rationale"]
    assert detail["criteria"] == list(project.criteria)


def test_the_queue_overview_flags_skills_no_active_contributor_has_and_layers_no_reviewer_can_take() -> None:
    rust = make_project(required_skills=["rust", "sql"], review_layers=3)
    staffed = make_project(required_skills=["python"], review_layers=2)
    make_user("contributor", skills=["sql", "python"])
    make_user("contributor", skills=["rust"], active=False)
    make_user("reviewer", reviewer_level=2, skills=["python", "rust", "sql"])
    make_user("reviewer", reviewer_level=5, skills=["python"])
    make_user("reviewer", reviewer_level=5, skills=["rust", "sql"], active=False)

    projects = {p["id"]: p for p in client_for(make_user("ops")).get("/api/v1/queues/").json()["projects"]}

    assert projects[str(rust.id)]["unstaffed_skills"] == ["rust"]
    assert projects[str(rust.id)]["unstaffed_layers"] == [3]
    assert projects[str(staffed.id)]["unstaffed_skills"] == []
    assert projects[str(staffed.id)]["unstaffed_layers"] == []
