"""The presentation order over HTTP: each reader of a submission sees the order its contributor
was shown (the contributor, reviewers at every layer); ops read canonical order with
``presented_swapped``; the read tables let the first-position rate be counted."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import pytest

from marlin.kernel import chance
from reviews.commands import review_decide
from tasks.commands import task_claim, task_release, task_submit
from tasks.models import Submission, Task
from tasks.selectors import first_position_rates
from tests.factories import client_for, import_tasks, judgment, make_project, make_user, pending_review
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

CANONICAL_A = "def f(xs):\n    return sorted(set(xs))"  # tests.factories.task_row
CANONICAL_B = "def f(xs):\n    return list(set(xs))"
SENT_SCORES = {"correctness": {"a": 5, "b": 1}, "efficiency": {"a": 4, "b": 2}}
STORED_SCORES = {"correctness": {"a": 1, "b": 5}, "efficiency": {"a": 2, "b": 4}}


def claim(contributor: Any, project: Any, *, swapped: bool) -> UUID:
    with chance.pinned_coin(swapped):
        task = task_claim(contributor_id=contributor.pk, project_id=project.id)
    assert task is not None
    return task.id


def sent(**overrides: Any) -> dict[str, Any]:
    return judgment(criteria=("correctness", "efficiency"), scores=SENT_SCORES, **overrides)


@pytest.fixture
def swapped() -> dict[str, Any]:
    """Alice's claim showed B first; she prefers what she saw as A (the import's B)."""
    project = make_project(review_layers=2, criteria=["correctness", "efficiency"])
    import_tasks(project, 2)
    alice = make_user("contributor")
    task_id = claim(alice, project, swapped=True)
    return {"project": project, "alice": alice, "task": task_id}


def test_the_claim_records_the_draw_on_the_task(swapped) -> None:
    assert Task.objects.get(pk=swapped["task"]).presented_swapped is True
    assert task_claim(contributor_id=make_user("contributor").pk) is not None  # coin pinned False
    assert Task.objects.filter(presented_swapped=False, status="claimed").count() == 1


def test_a_swapped_contributor_sees_bs_text_as_a_and_nothing_that_tells(swapped) -> None:
    alice = client_for(swapped["alice"])

    detail = alice.get(f"/api/v1/tasks/{swapped['task']}/").json()
    [listed] = alice.get("/api/v1/tasks/").json()["results"]

    for body in (detail, listed):
        assert (body["response_a"], body["response_b"]) == (CANONICAL_B, CANONICAL_A)
        assert "presented_swapped" not in body


def test_giving_a_swapped_claim_back_answers_in_the_order_it_was_shown(swapped) -> None:
    alice = client_for(swapped["alice"])

    released = alice.post(f"/api/v1/tasks/{swapped['task']}/release/", format="json")

    assert released.status_code == 200
    assert (released.json()["response_a"], released.json()["response_b"]) == (CANONICAL_B, CANONICAL_A)
    assert "presented_swapped" not in released.json()


def test_the_claim_answer_is_already_in_the_presented_order() -> None:
    project = make_project()
    import_tasks(project, 1)
    alice = client_for(make_user("contributor"))

    with chance.pinned_coin(True):
        body = alice.post("/api/v1/tasks/claim/", {}, format="json").json()

    assert (body["response_a"], body["response_b"]) == (CANONICAL_B, CANONICAL_A)
    assert "presented_swapped" not in body


def test_preference_a_when_swapped_is_stored_canonical_b_and_read_back_as_sent(swapped) -> None:
    alice = client_for(swapped["alice"])

    answer = alice.post(f"/api/v1/tasks/{swapped['task']}/submissions/", sent(), format="json")

    assert answer.status_code == 201, answer.content
    stored = Submission.objects.get(task_id=swapped["task"])
    assert (stored.preference, stored.scores, stored.presented_swapped) == ("B", STORED_SCORES, True)
    [listed] = alice.get(f"/api/v1/tasks/{swapped['task']}/submissions/").json()
    current = alice.get(f"/api/v1/tasks/{swapped['task']}/").json()["current_submission"]
    for body in (answer.json(), listed, current):
        assert (body["preference"], body["scores"]) == ("A", SENT_SCORES)
        assert "presented_swapped" not in body


def test_the_contributors_history_reads_in_the_presented_order(swapped) -> None:
    alice = client_for(swapped["alice"])
    alice.post(f"/api/v1/tasks/{swapped['task']}/submissions/", sent(), format="json")

    history = {
        entry["type"]: entry["data"]
        for entry in alice.get(f"/api/v1/tasks/{swapped['task']}/history/").json()
    }

    assert (history["TaskImported"]["response_a"], history["TaskImported"]["response_b"]) == (
        CANONICAL_B,
        CANONICAL_A,
    )
    assert (history["JudgmentSubmitted"]["preference"], history["JudgmentSubmitted"]["scores"]) == (
        "A",
        SENT_SCORES,
    )
    assert "presented_swapped" not in json.dumps(history)


def test_ops_read_canonical_order_and_presented_swapped(swapped) -> None:
    ops = client_for(make_user("ops"))
    client_for(swapped["alice"]).post(f"/api/v1/tasks/{swapped['task']}/submissions/", sent(), format="json")

    task = ops.get(f"/api/v1/tasks/{swapped['task']}/").json()
    [listed] = ops.get(f"/api/v1/tasks/?status=in_review&project={swapped['project'].id}").json()["results"]
    [submission] = ops.get(f"/api/v1/tasks/{swapped['task']}/submissions/").json()

    for body in (task, listed):
        assert (body["response_a"], body["response_b"], body["presented_swapped"]) == (
            CANONICAL_A,
            CANONICAL_B,
            True,
        )
    for body in (task["current_submission"], submission):
        assert (body["preference"], body["scores"], body["presented_swapped"]) == ("B", STORED_SCORES, True)
    history = ops.get(f"/api/v1/tasks/{swapped['task']}/history/").json()
    assert [e["data"]["presented_swapped"] for e in history if e["type"] == "TaskClaimed"] == [True]


def _reviewer_sees_the_authors_order(reviewer: Any, task_id: UUID, *, versions: int = 1) -> None:
    client = client_for(reviewer)
    review = pending_review(task_id)
    assert review.reviewer_id == reviewer.pk
    detail = client.get(f"/api/v1/reviews/{review.id}/").json()
    task = client.get(f"/api/v1/tasks/{task_id}/").json()
    listed = client.get(f"/api/v1/tasks/{task_id}/submissions/").json()
    for body in (detail["task_detail"], task):
        assert (body["response_a"], body["response_b"]) == (CANONICAL_B, CANONICAL_A)
        assert "presented_swapped" not in body
    shown = [detail["submission"], *detail["earlier_submissions"], task["current_submission"], *listed]
    assert len(shown) == 1 + 2 * versions  # under review, earlier, current, every version
    for body in shown:
        assert (body["preference"], body["scores"]) == ("A", SENT_SCORES)
        assert "presented_swapped" not in body


def test_reviewers_at_layer_1_and_2_see_the_submission_in_its_authors_order(swapped) -> None:
    first = make_user("reviewer", reviewer_level=1)
    client_for(swapped["alice"]).post(f"/api/v1/tasks/{swapped['task']}/submissions/", sent(), format="json")
    settle()
    _reviewer_sees_the_authors_order(first, swapped["task"])
    review_decide(reviewer_id=first.pk, assignment_id=pending_review(swapped["task"]).id, decision="approve")
    second = make_user("reviewer", reviewer_level=2)
    settle()

    _reviewer_sees_the_authors_order(second, swapped["task"])


def test_a_revision_after_request_changes_keeps_the_claims_order(swapped) -> None:
    reviewer = make_user("reviewer", reviewer_level=1)
    alice = client_for(swapped["alice"])
    alice.post(f"/api/v1/tasks/{swapped['task']}/submissions/", sent(), format="json")
    settle()
    review_decide(
        reviewer_id=reviewer.pk,
        assignment_id=pending_review(swapped["task"]).id,
        decision="request_changes",
        feedback="Say why A is more readable.",
        reasons=["weak_rationale"],
    )

    with chance.pinned_coin(False):  # a revision draws nothing
        revised = alice.post(f"/api/v1/tasks/{swapped['task']}/submissions/", sent(), format="json")
    settle()

    assert revised.json()["version"] == 2
    assert [
        (s.preference, s.presented_swapped) for s in Submission.objects.filter(task_id=swapped["task"])
    ] == [
        ("B", True),
        ("B", True),
    ]
    _reviewer_sees_the_authors_order(reviewer, swapped["task"], versions=2)


def test_a_new_claim_after_a_release_draws_again(swapped) -> None:
    task_release(contributor_id=swapped["alice"].pk, task_id=swapped["task"])
    assert Task.objects.get(pk=swapped["task"]).presented_swapped is False

    again = claim(make_user("contributor"), swapped["project"], swapped=False)

    assert again == swapped["task"]
    assert Task.objects.get(pk=again).presented_swapped is False


def test_a_project_with_randomize_order_off_never_swaps() -> None:
    project = make_project(randomize_order=False)
    import_tasks(project, 3)

    with chance.pinned_coin(True):
        for _ in range(3):
            task_claim(contributor_id=make_user("contributor").pk, project_id=project.id)

    assert (
        list(Task.objects.filter(project=project).values_list("presented_swapped", flat=True)) == [False] * 3
    )


def test_the_preference_export_is_canonical_with_presented_swapped(swapped) -> None:
    project = make_project(review_layers=1, criteria=["correctness", "efficiency"])
    import_tasks(project, 1)
    make_user("reviewer")
    alice = swapped["alice"]
    task_release(contributor_id=alice.pk, task_id=swapped["task"])
    task_id = claim(alice, project, swapped=True)
    task_submit(contributor_id=alice.pk, task_id=task_id, judgment=sent())
    settle()
    review = pending_review(task_id)
    review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")
    settle()

    response = client_for(make_user("ops")).get("/api/v1/exports/preferences/", {"project": str(project.id)})

    [line] = [json.loads(text) for text in b"".join(response.streaming_content).decode().splitlines()]
    assert (line["preference"], line["scores"], line["presented_swapped"]) == ("B", STORED_SCORES, True)
    assert (line["chosen"], line["rejected"]) == (CANONICAL_B, CANONICAL_A)


def test_first_position_rates_count_each_tasks_latest_judgment_from_the_read_tables() -> None:
    project = make_project(criteria=["correctness", "efficiency"])
    import_tasks(project, 6)
    alice, bob = make_user("contributor"), make_user("contributor")
    # Alice picks what she saw first three times (A unswapped, A swapped, A unswapped) and the
    # second once; a tie does not count. Bob has only a tie.
    for swap, preference in ((False, "A"), (True, "A"), (False, "A"), (True, "B"), (False, "tie")):
        task_id = claim(alice, project, swapped=swap)
        body = sent(preference=preference, **({"strength": ...} if preference == "tie" else {}))
        task_submit(contributor_id=alice.pk, task_id=task_id, judgment=body)
    task_id = claim(bob, project, swapped=True)
    task_submit(contributor_id=bob.pk, task_id=task_id, judgment=sent(preference="tie", strength=...))

    rates = first_position_rates([project.id, make_project().id])

    assert set(rates) == {(project.id, alice.pk)}
    alices = rates[(project.id, alice.pk)]
    assert (alices.first, alices.decided, alices.rate) == (3, 4, 0.75)
    assert alices.p_value == 0.625
