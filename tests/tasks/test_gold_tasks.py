"""Gold tasks end to end: they look like any task to contributors and reviewers; a submission is
scored at once (a match approved and paid once, a mismatch rejected with ``gold_mismatch`` and the
explanation); gold never reaches the training export; ops see which tasks are gold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from marlin import reactors
from marlin.eventstore.models import ReactorCheckpoint
from marlin.eventstore.store import head_position, read_stream
from payments.models import PayoutEntry
from payments.reactors import accrue
from reviews.models import AwaitingReview, ReviewAssignment
from tasks import reactors as task_reactors
from tasks.commands import task_claim, task_submit
from tasks.domain.events import task_stream
from tasks.domain.task import task_id_for
from tasks.importing import task_import
from tasks.models import Task
from tests.factories import client_for, judgment, make_project, make_user, pending_review, task_row
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

WHY = "B checks the empty input; A indexes the first element without checking it."


def gold(preference: str = "B") -> dict[str, str]:
    return {"preference": preference, "explanation": WHY}


def import_rows(project, *rows: dict[str, Any]) -> None:
    task_import(actor_id=None, project_id=project.id, rows=list(enumerate(rows, start=1)))


def keys_of(value: Any) -> set[str]:
    """Every key of every object in a JSON document."""
    if isinstance(value, dict):
        return set(value) | {key for item in value.values() for key in keys_of(item)}
    if isinstance(value, list):
        return {key for item in value for key in keys_of(item)}
    return set()


def assert_reveals_no_gold(response) -> None:
    assert response.status_code in (200, 201), response.content[:300]
    body = response.json()
    assert "gold" not in keys_of(body)
    text = json.dumps(body).lower()
    assert "gold" not in text
    assert WHY.lower() not in text


@pytest.fixture
def world():
    """A project with a gold task between two ordinary ones, a contributor who claimed and
    submitted the gold one (not scored yet), and a reviewer holding the review of an ordinary one."""
    project = make_project(review_layers=1)
    import_rows(project, task_row("t1"), task_row("g1", gold=gold()), task_row("t3"))
    reviewer = make_user("reviewer")
    other = make_user("contributor")
    first = task_claim(contributor_id=other.pk, project_id=project.id)
    task_submit(contributor_id=other.pk, task_id=first.id, judgment=judgment())
    settle()
    alice = make_user("contributor")
    client = client_for(alice)
    claim = client.post("/api/v1/tasks/claim/", {"project": str(project.id)}, format="json")
    gold_id = task_id_for(project.id, "g1")
    assert claim.json()["id"] == str(gold_id)  # gold takes its place in the queue like any task
    return {
        "project": project,
        "alice": alice,
        "client": client,
        "claim": claim,
        "gold_id": gold_id,
        "reviewer": reviewer,
        "review": pending_review(first.id),
    }


def test_a_gold_task_reveals_nothing_to_its_contributor_before_the_decision(world) -> None:
    client, gold_id = world["client"], world["gold_id"]
    assert_reveals_no_gold(world["claim"])
    submitted = client.post(f"/api/v1/tasks/{gold_id}/submissions/", judgment(preference="A"), format="json")
    assert_reveals_no_gold(submitted)

    for path in (
        "/api/v1/tasks/",
        f"/api/v1/tasks/{gold_id}/",
        f"/api/v1/tasks/{gold_id}/submissions/",
        f"/api/v1/tasks/{gold_id}/history/",
        "/api/v1/me/",
        "/api/v1/me/earnings/",
        "/api/v1/statements/",
        "/api/v1/projects/",
        f"/api/v1/projects/{world['project'].id}/",
        "/api/v1/reviews/",
        "/api/v1/payouts/",
    ):
        assert_reveals_no_gold(client.get(path))


def test_a_gold_task_has_the_fields_of_any_task(world) -> None:
    project = world["project"]
    ordinary = make_user("contributor")
    ordinary_claim = client_for(ordinary).post(
        "/api/v1/tasks/claim/", {"project": str(project.id)}, format="json"
    )

    assert set(world["claim"].json()) == set(ordinary_claim.json())
    assert ordinary_claim.json()["external_id"] == "t3"


def test_the_reviewer_sees_no_gold_and_never_gets_a_gold_review(world) -> None:
    client = client_for(world["reviewer"])
    world["client"].post(f"/api/v1/tasks/{world['gold_id']}/submissions/", judgment(), format="json")
    review_id = world["review"].id

    for path in (
        "/api/v1/tasks/",
        f"/api/v1/tasks/{world['review'].task_id}/",
        f"/api/v1/tasks/{world['review'].task_id}/submissions/",
        "/api/v1/reviews/",
        f"/api/v1/reviews/{review_id}/",
        "/api/v1/me/",
    ):
        assert_reveals_no_gold(client.get(path))
    settle()
    assert not ReviewAssignment.objects.filter(task_id=world["gold_id"]).exists()
    assert not AwaitingReview.objects.filter(task_id=world["gold_id"]).exists()
    assert client.get(f"/api/v1/tasks/{world['gold_id']}/").status_code == 404


def test_a_matching_gold_answer_is_approved_and_paid_once_however_often_delivered(world) -> None:
    alice, gold_id = world["alice"], world["gold_id"]
    task_submit(contributor_id=alice.pk, task_id=gold_id, judgment=judgment(preference="B"))

    settle()
    settle()

    task = Task.objects.get(pk=gold_id)
    assert task.status == "approved"
    submitted, approved = (
        next(r for r in read_stream(task_stream(gold_id)) if r.type == name)
        for name in ("JudgmentSubmitted", "TaskApproved")
    )
    task_reactors.score_gold_submission(submitted.event, submitted)  # the scoring, redelivered
    accrue(approved.event, approved)  # the payout, redelivered
    settle()
    [entry] = PayoutEntry.objects.filter(task_id=gold_id)
    assert (entry.contributor_id, entry.amount_cents, entry.currency, entry.kind) == (
        alice.pk,
        28000,
        "USD",
        "accrual",
    )
    assert [r.type for r in read_stream(task_stream(gold_id))].count("GoldScored") == 1
    rounds = world["client"].get(f"/api/v1/tasks/{gold_id}/").json()["rounds"]
    assert [(r["layer"], r["decision"], r["reasons"], r["feedback"]) for r in rounds] == [
        (1, "approve", [], "")
    ]


def test_a_gold_mismatch_is_rejected_with_the_explanation_in_the_contributors_rounds(world) -> None:
    client, gold_id = world["client"], world["gold_id"]
    client.post(
        f"/api/v1/tasks/{gold_id}/submissions/", judgment(preference="tie", strength=None), format="json"
    )

    settle()

    detail = client.get(f"/api/v1/tasks/{gold_id}/").json()
    assert detail["status"] == "rejected"
    [round_] = detail["rounds"]
    assert (round_["layer"], round_["decision"], round_["reasons"], round_["feedback"]) == (
        1,
        "reject",
        ["gold_mismatch"],
        WHY,
    )
    assert round_["decided_at"]
    assert not PayoutEntry.objects.filter(task_id=gold_id).exists()
    history = client.get(f"/api/v1/tasks/{gold_id}/history/").json()
    assert [e["type"] for e in history] == [
        "TaskImported",
        "TaskClaimed",
        "JudgmentSubmitted",
        "TaskRejected",
    ]
    assert [e["version"] for e in history] == [1, 2, 3, 4]  # numbered as shown: no gap marks gold
    assert "gold" not in keys_of(history)


def test_ops_see_which_task_is_gold_and_its_answer(world) -> None:
    ops = client_for(make_user("ops"))

    detail = ops.get(f"/api/v1/tasks/{world['gold_id']}/").json()
    listed = {t["external_id"]: t["gold"] for t in ops.get("/api/v1/tasks/").json()["results"]}

    assert detail["gold"] == {"preference": "B", "explanation": WHY}
    assert listed == {"t1": None, "g1": {"preference": "B", "explanation": WHY}, "t3": None}


def test_gold_tasks_never_reach_the_preference_export(world) -> None:
    project, alice, gold_id = world["project"], world["alice"], world["gold_id"]
    task_submit(contributor_id=alice.pk, task_id=gold_id, judgment=judgment(preference="B"))
    settle()
    review = world["review"]
    client_for(world["reviewer"]).post(
        f"/api/v1/reviews/{review.id}/decision/", {"decision": "approve"}, format="json"
    )
    settle()
    assert Task.objects.filter(status="approved").count() == 2

    ops = client_for(make_user("ops"))
    response = ops.get(f"/api/v1/exports/preferences/?project={project.id}")
    lines = [json.loads(line) for line in b"".join(response.streaming_content).decode().splitlines()]

    assert [line["external_id"] for line in lines] == ["t1"]


def test_only_a_gold_submission_wakes_the_gold_reactor_and_the_others_pass_at_its_next_pump(
    monkeypatch, django_capture_on_commit_callbacks
) -> None:
    project = make_project()
    import_rows(project, task_row("plain"), task_row("golden", gold=gold("B")))
    contributor = make_user("contributor")
    woken: list[str] = []
    with monkeypatch.context() as patched:
        patched.setattr(reactors, "dispatch", lambda targets, **_: woken.extend(name for name, _ in targets))
        with django_capture_on_commit_callbacks(execute=True):
            plain = task_claim(contributor_id=contributor.pk, project_id=project.id)
            task_submit(contributor_id=contributor.pk, task_id=plain.id, judgment=judgment())
        assert "review-routing" in woken
        assert "gold-scoring" not in woken
        with django_capture_on_commit_callbacks(execute=True):
            golden = task_claim(contributor_id=contributor.pk, project_id=project.id)
            task_submit(contributor_id=contributor.pk, task_id=golden.id, judgment=judgment(preference="B"))
        assert "gold-scoring" in woken

    settle()
    assert Task.objects.get(pk=golden.id).status == "approved"
    checkpoints = ReactorCheckpoint.objects.filter(reactor="gold-scoring").values_list("position", flat=True)
    assert set(checkpoints) == {head_position()}
