"""Routing: who is eligible, who is chosen, what waits, and when waiting work moves."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marlin.kernel import clock
from people.commands import person_update
from reviews import commands
from reviews.jobs import expire_overdue_reviews_job, route_waiting_reviews_job
from reviews.models import AwaitingReview, ReviewAssignment, ReviewerLoad
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    project = make_project(review_layers=2)
    import_tasks(project, 12)
    return project


def reviewer(level: int = 1, **fields):
    return make_user("reviewer", reviewer_level=level, **fields)


def approve(task_id) -> None:
    review = pending_review(task_id)
    commands.review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")


def test_the_reviewer_with_fewest_pending_then_longest_idle_then_lowest_id_is_chosen(project) -> None:
    first, second, third = reviewer(), reviewer(), reviewer()

    chosen = []
    for _ in range(4):
        task_id, _ = submitted_task(project)
        settle()
        chosen.append(pending_review(task_id).reviewer_id)

    # Equal load: lowest id; then the idle ones; the fourth goes to whoever waited longest.
    assert chosen == [first.pk, second.pk, third.pk, first.pk]


def test_level_and_skills_decide_eligibility(project) -> None:
    rust = make_project(required_skills=["rust"])
    import_tasks(rust, 1, prefix="r")
    reviewer(level=1, skills=["python"])
    rustacean = reviewer(level=1, skills=["rust"])

    task_id, _ = submitted_task(rust, make_user("contributor", skills=["rust"]))
    settle()

    assert pending_review(task_id).reviewer_id == rustacean.pk


def test_a_contributor_who_also_reviews_never_gets_their_own_task(project) -> None:
    both = make_user("contributor", "reviewer")
    other = reviewer()

    task_id, _ = submitted_task(project, both)
    settle()

    assert pending_review(task_id).reviewer_id == other.pk


def test_the_layer_1_reviewer_never_reviews_layer_2_even_as_the_only_one_with_room(project) -> None:
    only = reviewer(level=2)
    task_id, _ = submitted_task(project)
    settle()
    approve(task_id)
    settle()

    assert pending_review(task_id) is None
    assert AwaitingReview.objects.get(task_id=task_id).layer == 2

    other = reviewer(level=2)
    settle()
    assert pending_review(task_id).reviewer_id == other.pk
    assert only.pk != other.pk


def test_nobody_goes_over_capacity_and_the_rest_waits(project) -> None:
    reviewer(capacity=2)

    tasks = [submitted_task(project)[0] for _ in range(3)]
    settle()

    assert ReviewerLoad.objects.get(reviewer__is_reviewer=True).pending == 2
    assert AwaitingReview.objects.filter(task_id__in=tasks).count() == 1


def test_a_decision_frees_capacity_and_routes_the_waiting_task(project) -> None:
    reviewer(capacity=1)
    tasks = [submitted_task(project)[0] for _ in range(2)]
    settle()
    # Submissions in different partitions are routed in no promised order: one gets the place.
    [assigned] = [t for t in tasks if pending_review(t) is not None]
    [waiting] = [t for t in tasks if t != assigned]

    approve(assigned)
    settle()

    assert pending_review(waiting) is not None


def test_raising_capacity_or_adding_a_reviewer_routes_waiting_work(project) -> None:
    person = reviewer(capacity=0)
    task_id, _ = submitted_task(project)
    settle()
    assert pending_review(task_id) is None

    person_update(actor_id=None, user_id=person.pk, fields={"capacity": 3})
    settle()

    assert pending_review(task_id).reviewer_id == person.pk


def test_an_overdue_review_expires_and_goes_to_someone_else(project) -> None:
    slow, quick = reviewer(), reviewer()
    task_id, _ = submitted_task(project)
    settle()
    assert pending_review(task_id).reviewer_id == slow.pk

    with clock.pinned_at(clock.now() + timedelta(days=1, minutes=1)):
        assert expire_overdue_reviews_job() == 1
    settle()

    assert pending_review(task_id).reviewer_id == quick.pk
    assert ReviewAssignment.objects.get(reviewer=slow).status == "expired"
    assert ReviewerLoad.objects.get(reviewer=slow).pending == 0


def test_deactivating_a_reviewer_routes_their_pending_work_elsewhere(project) -> None:
    leaving, staying = reviewer(), reviewer()
    task_id, _ = submitted_task(project)
    settle()
    assert pending_review(task_id).reviewer_id == leaving.pk

    person_update(actor_id=None, user_id=leaving.pk, fields={"active": False})
    settle()

    assert pending_review(task_id).reviewer_id == staying.pk
    assert ReviewAssignment.objects.get(reviewer=leaving).status == "reassigned"


def test_the_periodic_sweep_routes_what_waits(project) -> None:
    task_id, _ = submitted_task(project)
    settle()
    late = reviewer()
    # Skip the reactors: only the sweep sees the new reviewer.
    assert route_waiting_reviews_job() == 1
    assert pending_review(task_id).reviewer_id == late.pk


def test_ops_reassign_to_a_named_reviewer_or_let_routing_pick(project) -> None:
    first, second, third = reviewer(), reviewer(), reviewer(level=2)
    ops = client_for(make_user("ops"))
    task_id, contributor = submitted_task(project)
    settle()
    review = pending_review(task_id)

    named = ops.post(f"/api/v1/reviews/{review.id}/reassign/", {"reviewer": third.pk}, format="json")
    assert named.status_code == 200
    assert named.json()["reviewer"] == third.pk

    picked = ops.post(f"/api/v1/reviews/{named.json()['id']}/reassign/", {}, format="json")
    assert picked.json()["reviewer"] == second.pk  # neither the first nor the third: both had it

    ineligible = ops.post(
        f"/api/v1/reviews/{picked.json()['id']}/reassign/", {"reviewer": contributor.pk}, format="json"
    )
    assert ineligible.status_code == 400
    assert pending_review(task_id).reviewer_id == second.pk
    assert first.pk != second.pk


def test_reassigning_when_nobody_is_eligible_queues_the_task(project) -> None:
    only = reviewer()
    ops = client_for(make_user("ops"))
    task_id, _ = submitted_task(project)
    settle()

    response = ops.post(f"/api/v1/reviews/{pending_review(task_id).id}/reassign/", {}, format="json")

    assert response.status_code == 202
    assert AwaitingReview.objects.filter(task_id=task_id).exists()
    assert ReviewerLoad.objects.get(reviewer=only).pending == 0


def test_cancelling_a_task_in_review_frees_its_reviewer(project) -> None:
    person = reviewer()
    task_id, _ = submitted_task(project)
    settle()

    client_for(make_user("ops")).post(
        f"/api/v1/tasks/{task_id}/cancel/", {"reason": "bad prompt"}, format="json"
    )

    assert ReviewAssignment.objects.get(task_id=task_id).status == "cancelled"
    assert ReviewerLoad.objects.get(reviewer=person).pending == 0


def test_a_reviewer_whose_review_was_taken_away_no_longer_sees_the_task(project) -> None:
    first, _ = reviewer(), reviewer()
    ops = client_for(make_user("ops"))
    task_id, _ = submitted_task(project)
    settle()
    review = pending_review(task_id)
    assert client_for(first).get(f"/api/v1/tasks/{task_id}/").status_code == 200

    ops.post(f"/api/v1/reviews/{review.id}/reassign/", {}, format="json")

    assert client_for(first).get(f"/api/v1/tasks/{task_id}/").status_code == 404
    assert client_for(first).get(f"/api/v1/tasks/{task_id}/submissions/").status_code == 404


def test_ops_reassign_by_username(project) -> None:
    reviewer()
    rita = reviewer(level=2, username="rita")
    ops = client_for(make_user("ops"))
    task_id, _ = submitted_task(project)
    settle()
    review = pending_review(task_id)

    by_name = ops.post(f"/api/v1/reviews/{review.id}/reassign/", {"reviewer": "rita"}, format="json")

    assert by_name.status_code == 200, by_name.content
    assert by_name.json()["reviewer"] == rita.pk


def test_reassigning_to_an_unknown_reviewer_is_400_naming_the_field(project) -> None:
    reviewer()
    ops = client_for(make_user("ops"))
    task_id, _ = submitted_task(project)
    settle()
    url = f"/api/v1/reviews/{pending_review(task_id).id}/reassign/"

    for unknown in ("nobody-by-that-name", 987654):
        error = ops.post(url, {"reviewer": unknown}, format="json").json()["error"]
        assert (error["status"], error["code"]) == (400, "invalid")
        assert "reviewer" in error["fields"]
    assert pending_review(task_id) is not None  # nothing was taken back


def test_a_refused_reassignment_names_the_rule_it_broke(project) -> None:
    reviewer(level=2)
    junior = reviewer(level=1)
    reviewer(level=2)
    ops = client_for(make_user("ops"))
    task_id, _ = submitted_task(project)
    settle()
    approve(task_id)
    settle()
    review = pending_review(task_id)
    layer_1_reviewer = ReviewAssignment.objects.get(task_id=task_id, layer=1).reviewer_id
    url = f"/api/v1/reviews/{review.id}/reassign/"

    too_low = ops.post(url, {"reviewer": junior.pk}, format="json").json()["error"]
    other_layer = ops.post(url, {"reviewer": layer_1_reviewer}, format="json").json()["error"]

    assert too_low["code"] == "reviewer_level_too_low"
    assert too_low["details"] == {"rule": "reviewer_level_too_low", "reviewer_level": 1, "layer": 2}
    assert "reviewer" in too_low["fields"]
    assert other_layer["details"]["rule"] == "reviewed_other_layer"
    assert pending_review(task_id).id == review.id  # the refusal took nothing back
