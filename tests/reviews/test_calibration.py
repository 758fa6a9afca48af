"""Calibration plants: ops plant prepared submissions with the decision they deserve; routing
gives each to up to ``calibration_reviews`` reviewers of its layer, at most one in every
``calibration_every`` assignments of a reviewer, as an ordinary review; decisions are scored; a
plant never pays and never shows where ops, queues, payouts, exports or the leaderboard look."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from typing import Any

import pytest
from django.db import connection

from marlin import projections
from marlin.eventstore.models import Event
from marlin.kernel import clock
from marlin.kernel.errors import DomainError
from payments.models import PayoutEntry
from reviews.commands import calibration_offer
from reviews.models import ReviewAssignment
from tasks.calibration import calibration_plant
from tasks.models import CalibrationPlant, CalibrationScore, Task
from tests.factories import client_for, import_tasks, make_project, make_user, submitted_task
from tests.judgments import judgment
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

EXPLANATION = "B's scores contradict the pick: B is scored higher everywhere yet A is preferred."


def plant_row(external_id: str = "cal-1", **fields: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "prompt": f"Write a function for case {external_id}.",
        "context": "",
        "response_a": "def f(xs):\n    return sorted(set(xs))",
        "response_b": "def f(xs):\n    return list(set(xs))",
        "model_a": "atlas-70b",
        "model_b": "corvid-xl",
        "layer": 1,
        "submission": judgment(),
        "expected_decision": "reject",
        "expected_reasons": ["inconsistent_scores"],
        "explanation": EXPLANATION,
        **fields,
    }


def plant(ops: Any, project: Any, *rows: dict[str, Any]) -> dict[str, Any]:
    answer = ops.post(f"/api/v1/projects/{project.id}/calibration/", list(rows), format="json")
    assert answer.status_code == 200, answer.content
    settle()
    return answer.json()


def plant_reviews(**filters: Any) -> Any:
    return ReviewAssignment.all_objects.filter(calibration=True, **filters)


def decide(reviewer: Any, assignment_id: Any, decision: str) -> Any:
    body: dict[str, Any] = {"decision": decision}
    if decision != "approve":
        body |= {"feedback": "The scores contradict the pick.", "reasons": ["inconsistent_scores"]}
    answer = client_for(reviewer).post(f"/api/v1/reviews/{assignment_id}/decision/", body, format="json")
    assert answer.status_code == 200, answer.content
    settle()
    return answer


@pytest.fixture
def ops() -> Any:
    return client_for(make_user("ops"))


def test_a_plant_goes_to_up_to_calibration_reviews_reviewers_of_its_layer_once_each(ops) -> None:
    project = make_project(review_layers=2, calibration_reviews=2)
    low = [make_user("reviewer", reviewer_level=1) for _ in range(3)]
    high = make_user("reviewer", reviewer_level=2)

    result = plant(ops, project, plant_row("cal-1", layer=2))

    assert result == {"created": 1, "skipped": 0, "errors": []}
    assert list(plant_reviews().values_list("reviewer_id", flat=True)) == [high.pk]  # layer 2: level 2
    plant(ops, project, plant_row("cal-2", layer=1))
    given = list(plant_reviews(layer=1).values_list("reviewer_id", flat=True))
    assert len(given) == 2
    assert len(set(given)) == 2
    assert set(given) <= {person.pk for person in (*low, high)}
    assert plant(ops, project, plant_row("cal-2", layer=1)) == {"created": 0, "skipped": 1, "errors": []}


def test_a_plant_reads_to_its_reviewer_exactly_like_any_review(ops) -> None:
    """Every field a reviewer can read of a plant and of a real review: the same keys, the same
    kinds of values, in the review list and detail, the task list and detail, the submissions."""
    project = make_project(review_layers=1, calibration_reviews=1, randomize_order=False)
    import_tasks(project, 1)
    reviewer = make_user("reviewer", capacity=5)
    real_task, _ = submitted_task(project)
    settle()
    plant(ops, project, plant_row("cal-1"))
    real = ReviewAssignment.objects.get(task_id=real_task)
    planted = plant_reviews().get()
    client = client_for(reviewer)

    listed = {row["id"]: row for row in client.get("/api/v1/reviews/").json()["results"]}
    tasks = {row["id"]: row for row in client.get("/api/v1/tasks/").json()["results"]}
    reads = {
        "review list": (listed[str(real.id)], listed[str(planted.id)]),
        "review detail": tuple(client.get(f"/api/v1/reviews/{a.id}/").json() for a in (real, planted)),
        "task list": (tasks[str(real.task_id)], tasks[str(planted.task_id)]),
        "task detail": tuple(client.get(f"/api/v1/tasks/{a.task_id}/").json() for a in (real, planted)),
        "submissions": tuple(
            client.get(f"/api/v1/tasks/{a.task_id}/submissions/").json()[0] for a in (real, planted)
        ),
    }

    for where, (of_real, of_plant) in reads.items():
        assert _shape(of_plant) == _shape(of_real), where
    assert reads["review detail"][1]["kind"] == "review"
    assert reads["task detail"][1]["contributor_pseudonym"].startswith("contributor-")
    assert reads["task detail"][1]["status"] == "in_review"
    # Decided, a plant reads as the decision made it, like any task: here approved at the top.
    decide(reviewer, real.id, "approve")
    decide(reviewer, planted.id, "approve")
    after = [client.get(f"/api/v1/tasks/{a.task_id}/").json() for a in (real, planted)]
    assert [(task["status"], task["layer"]) for task in after] == [("approved", None)] * 2
    detail = client.get(f"/api/v1/reviews/{planted.id}/").json()
    assert (detail["status"], detail["task_detail"]["status"]) == ("decided", "approved")
    # The list's filters agree with what its rows show.
    for status, expected in (("approved", 2), ("in_review", 0)):
        found = client.get("/api/v1/tasks/", {"status": status}).json()
        assert found["count"] == expected, status
        assert all(row["status"] == status for row in found["results"])


def _shape(value: Any) -> Any:
    """Keys and the kinds of their values, all the way down (a null is its own kind)."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({repr(_shape(item)) for item in value})
    return type(value).__name__


def test_a_reviewer_gets_at_most_one_plant_in_every_calibration_every_assignments(ops) -> None:
    project = make_project(review_layers=1, calibration_reviews=1, calibration_every=3)
    import_tasks(project, 6)
    reviewer = make_user("reviewer", capacity=1)
    plant(ops, project, plant_row("cal-1"), plant_row("cal-2"), plant_row("cal-3"))
    contributors = [make_user("contributor") for _ in range(6)]
    kinds = []

    for person in contributors:
        submitted_task(project, person)
        settle()
        for assignment in ReviewAssignment.all_objects.filter(reviewer=reviewer, status="pending"):
            kinds.append("plant" if assignment.calibration else "task")
            decide(reviewer, assignment.id, "approve")
            for left in ReviewAssignment.all_objects.filter(reviewer=reviewer, status="pending"):
                kinds.append("plant" if left.calibration else "task")
                decide(reviewer, left.id, "approve")

    for start in range(len(kinds) - 2):
        assert kinds[start : start + 3].count("plant") <= 1, kinds
    assert kinds.count("plant") == 3


def test_decisions_are_scored_and_the_reviewers_report_shows_seen_catch_rate_and_the_flag(
    ops, client
) -> None:
    project = make_project(review_layers=1, calibration_reviews=1, calibration_every=1)
    careless = make_user("reviewer", capacity=10)
    plant(
        ops,
        project,
        plant_row("bad-1"),
        plant_row("bad-2"),
        plant_row("good-1", expected_decision="approve", expected_reasons=[]),
    )
    for assignment in plant_reviews(reviewer=careless, status="pending"):
        decide(careless, assignment.id, "approve")

    scores = dict(CalibrationScore.objects.values_list("task__external_id", "caught"))
    report = ops.get(f"/api/v1/quality/reviewers/?project={project.id}").json()["rows"]

    assert scores == {"bad-1": False, "bad-2": False, "good-1": True}
    [row] = report
    assert (row["calibration_seen"], row["calibration_catch_rate"]) == (3, 0.3333)
    assert "approves_bad_plants" in row["flags"]
    assert row["decisions"] == 0  # plants are not in the ordinary figures
    client.force_login(make_user("ops"))
    page = client.get(f"/ops/projects/{project.id}/quality/").content.decode()
    assert '<td class="num calibration">33.3% <span class="muted">of 3</span></td>' in page
    queues = client.get("/ops/").content.decode()
    assert "approves_bad_plants" in queues  # among the people who stand out


def test_plants_never_pay_nor_show_in_ops_lists_queues_exports_or_the_leaderboard(ops) -> None:
    project = make_project(review_layers=1, calibration_reviews=1)
    reviewer = make_user("reviewer")
    plant(ops, project, plant_row("cal-1", expected_decision="approve", expected_reasons=[]))
    planted = plant_reviews().get()
    held = ops.get("/api/v1/queues/").json()["reviewers"]
    assert [(r["id"], r["pending"]) for r in held] == [(reviewer.pk, 0)]  # the plant takes no visible place
    decide(reviewer, planted.id, "approve")

    assert not PayoutEntry.objects.exists()
    assert ops.get("/api/v1/tasks/").json()["count"] == 0
    assert ops.get(f"/api/v1/tasks/{planted.task_id}/").status_code == 404
    assert ops.get("/api/v1/reviews/").json()["count"] == 0
    [queue] = [q for q in ops.get("/api/v1/queues/").json()["projects"] if q["id"] == str(project.id)]
    assert all(state["count"] == 0 for state in queue["tasks"].values())
    assert all(layer["assigned"] == 0 for layer in queue["layers"])
    export = ops.get(f"/api/v1/exports/preferences/?project={project.id}")
    assert b"".join(export.streaming_content) == b""
    assert ops.get(f"/api/v1/projects/{project.id}/leaderboard/").json()["judgments"] == 0
    assert Task.all_objects.get(pk=planted.task_id).status == "in_review"  # never approved


def test_a_plant_row_is_checked_field_by_field_and_valid_rows_are_planted(ops) -> None:
    project = make_project(review_layers=2)
    import_tasks(project, 1, prefix="real-")

    result = ops.post(
        f"/api/v1/projects/{project.id}/calibration/",
        [
            plant_row("ok-1"),
            plant_row("bad-layer", layer=3),
            plant_row("bad-decision", expected_decision="maybe"),
            plant_row("no-reasons", expected_reasons=[]),
            plant_row("bad-judgment", submission=judgment(rationale="short")),
            plant_row("real-1"),
        ],
        format="json",
    ).json()

    assert result["created"] == 1
    errors = {error["row"]: set(error["errors"]) for error in result["errors"]}
    assert errors == {
        2: {"layer"},
        3: {"expected_decision"},
        4: {"expected_reasons"},
        5: {"submission"},
        6: {"external_id"},
    }


def test_a_log_with_plants_rebuilds_to_the_live_tables(ops) -> None:
    project = make_project(review_layers=1, calibration_reviews=2)
    first, second = make_user("reviewer"), make_user("reviewer")
    plant(ops, project, plant_row("cal-1"))
    for assignment in plant_reviews(status="pending"):
        decide(first if assignment.reviewer_id == first.pk else second, assignment.id, "reject")

    assert projections.compare_with_rebuild() == {}


def test_a_plant_review_taken_back_frees_its_place_for_another_reviewer(ops) -> None:
    project = make_project(review_layers=1, calibration_reviews=1)
    first = make_user("reviewer")
    plant(ops, project, plant_row("cal-1"))
    taken = plant_reviews().get()
    assert taken.reviewer_id == first.pk

    ops.patch(f"/api/v1/people/{first.pk}/", {"active": False}, format="json")
    settle()
    second = make_user("reviewer")
    settle()

    assert ReviewAssignment.all_objects.get(pk=taken.id).status == "reassigned"
    assert list(plant_reviews(status="pending").values_list("reviewer_id", flat=True)) == [second.pk]
    assert CalibrationPlant.objects.get().reviews == 1


def test_ops_never_reach_a_plant_or_its_review_by_id(ops) -> None:
    project = make_project(review_layers=1)
    make_user("reviewer")
    plant(ops, project, plant_row("cal-1"))
    planted = plant_reviews().get()

    assert ops.get(f"/api/v1/reviews/{planted.id}/").status_code == 404
    assert ops.post(f"/api/v1/reviews/{planted.id}/reassign/", {}, format="json").status_code == 404
    before = Event.objects.count()
    for action in ("cancel", "reverse-approval"):
        answer = ops.post(f"/api/v1/tasks/{planted.task_id}/{action}/", {"reason": "x"}, format="json")
        assert answer.status_code == 404, action
    assert Event.objects.count() == before


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_offers_never_give_a_plant_more_reviews_than_the_project_asks() -> None:
    project = make_project(review_layers=1, calibration_reviews=2, calibration_every=1)
    reviewers = [make_user("reviewer") for _ in range(8)]
    with clock.pinned_at(clock.now()):
        calibration_plant(actor_id=None, project_id=project.id, rows=[(1, plant_row("cal-1"))])
    start = threading.Barrier(8, timeout=30)

    def offer(person: Any) -> None:
        try:
            start.wait()
            with suppress(DomainError):
                calibration_offer(reviewer_id=person.pk)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(offer, reviewers))

    given = list(plant_reviews().values_list("reviewer_id", flat=True))
    assert len(given) == 2
    assert len(set(given)) == 2
    assert CalibrationPlant.objects.get().reviews == 2
