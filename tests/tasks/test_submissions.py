"""Submitting a judgment: only the claimant, only while claimed, exactly as SPEC checks it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marlin.eventstore.models import Event
from marlin.kernel import clock
from tasks import commands
from tasks.models import Submission, Task
from tests.factories import client_for, import_tasks, judgment, make_project, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def claimed():
    project = make_project()
    [task_id] = import_tasks(project, 1)
    alice = make_user("contributor")
    commands.task_claim(contributor_id=alice.pk)
    return task_id, alice


def submit(client, task_id, body):
    return client.post(f"/api/v1/tasks/{task_id}/submissions/", body, format="json")


def test_the_claimant_submits_and_the_task_enters_review_layer_1(claimed) -> None:
    task_id, alice = claimed
    client = client_for(alice)

    response = submit(client, task_id, judgment())

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["version"], body["preference"], body["strength"], body["layer"]) == (1, "A", 2, 1)
    task = client.get(f"/api/v1/tasks/{task_id}/").json()
    assert (task["status"], task["layer"], task["current_submission"]["version"]) == ("in_review", 1, 1)


def test_a_tie_is_submitted_without_strength(claimed) -> None:
    task_id, alice = claimed

    response = submit(client_for(alice), task_id, judgment(preference="tie", strength=...))

    assert response.status_code == 201
    assert response.json()["strength"] is None


def test_an_invalid_judgment_is_400_with_nested_fields_and_writes_nothing(claimed) -> None:
    task_id, alice = claimed
    events = Event.objects.count()
    scores = judgment()["scores"] | {"speed": {"a": 1, "b": 1}}
    scores["correctness"] = {"a": 9, "b": 2}

    response = submit(client_for(alice), task_id, judgment(scores=scores, rationale="meh"))

    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert fields["scores"] == {
        "correctness": {"a": ["must be a whole number from 1 to 5"]},
        "speed": ["not a criterion of this project"],
    }
    assert fields["rationale"] == ["must be at least 50 characters"]
    assert Event.objects.count() == events
    assert Task.objects.get(pk=task_id).status == "claimed"


def test_a_task_that_takes_no_submission_now_is_409_even_for_a_bad_body(claimed) -> None:
    task_id, alice = claimed
    client = client_for(alice)
    submit(client, task_id, judgment())

    response = submit(client, task_id, judgment(rationale="meh"))

    assert (response.status_code, response.json()["error"]["code"]) == (409, "not_submittable")


def test_a_second_submission_while_in_review_is_409(claimed) -> None:
    task_id, alice = claimed
    client = client_for(alice)
    submit(client, task_id, judgment())

    response = submit(client, task_id, judgment())

    assert response.status_code == 409
    assert Submission.objects.count() == 1


def test_someone_else_cannot_submit_on_your_task(claimed) -> None:
    task_id, _ = claimed

    assert submit(client_for(make_user("contributor")), task_id, judgment()).status_code == 404
    assert submit(client_for(make_user("ops")), task_id, judgment()).status_code == 403


def test_a_claim_that_expired_cannot_be_submitted(claimed) -> None:
    task_id, alice = claimed

    with clock.pinned_at(clock.now() + timedelta(minutes=121)):
        response = submit(client_for(alice), task_id, judgment())

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "claim_expired"


def test_a_body_that_is_not_an_object_is_400(claimed) -> None:
    task_id, alice = claimed

    assert submit(client_for(alice), task_id, ["A"]).status_code == 400


def test_the_contributor_and_ops_read_every_version(claimed) -> None:
    task_id, alice = claimed
    submit(client_for(alice), task_id, judgment())

    mine = client_for(alice).get(f"/api/v1/tasks/{task_id}/submissions/")
    theirs = client_for(make_user("contributor")).get(f"/api/v1/tasks/{task_id}/submissions/")
    ops = client_for(make_user("ops")).get(f"/api/v1/tasks/{task_id}/submissions/")

    assert [s["version"] for s in mine.json()] == [1]
    assert mine.json()[0]["contributor"] == alice.pk
    assert theirs.status_code == 404
    assert ops.status_code == 200


def test_ops_cancel_with_a_reason(claimed) -> None:
    task_id, _ = claimed
    ops = client_for(make_user("ops"))

    missing = ops.post(f"/api/v1/tasks/{task_id}/cancel/", {}, format="json")
    cancelled = ops.post(f"/api/v1/tasks/{task_id}/cancel/", {"reason": "duplicate prompt"}, format="json")
    again = ops.post(f"/api/v1/tasks/{task_id}/cancel/", {"reason": "again"}, format="json")

    assert missing.status_code == 400
    assert cancelled.json()["status"] == "cancelled"
    assert again.status_code == 409
    assert (
        client_for(make_user("contributor"))
        .post(f"/api/v1/tasks/{task_id}/cancel/", {"reason": "x"}, format="json")
        .status_code
        == 403
    )
