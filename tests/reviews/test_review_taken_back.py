"""A review that was reassigned or expired is no longer the old reviewer's to read (SPEC, "Access
and security"): list and detail alike, restricted in the query. A decided one stays theirs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marlin.kernel import clock
from reviews.jobs import expire_overdue_reviews_job
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db


@pytest.fixture
def review():
    project = make_project()
    import_tasks(project, 2)
    first, second = make_user("reviewer"), make_user("reviewer")
    task_id, _ = submitted_task(project)
    settle()
    assignment = pending_review(task_id)
    assert assignment.reviewer_id == first.pk
    return {"task": task_id, "assignment": assignment, "first": first, "second": second}


def listed_ids(client) -> list[str]:
    return [r["id"] for r in client.get("/api/v1/reviews/").json()["results"]]


def listed_ids_filtered(client) -> list[str]:
    ids = []
    for status in ("reassigned", "expired", "cancelled"):
        ids += [r["id"] for r in client.get("/api/v1/reviews/", {"status": status}).json()["results"]]
    return ids


def assert_no_longer_readable_by(client, assignment_id) -> None:
    detail = client.get(f"/api/v1/reviews/{assignment_id}/")
    assert detail.status_code == 404
    assert detail.json()["error"]["code"] == "not_found"
    assert str(assignment_id) not in listed_ids(client)
    assert str(assignment_id) not in listed_ids_filtered(client)


def test_after_ops_reassign_the_old_reviewer_no_longer_reads_the_review(review) -> None:
    old = client_for(review["first"])
    assignment_id = review["assignment"].id
    assert old.get(f"/api/v1/reviews/{assignment_id}/").status_code == 200

    moved = client_for(make_user("ops")).post(
        f"/api/v1/reviews/{assignment_id}/reassign/", {"reviewer": review["second"].pk}, format="json"
    )

    assert moved.status_code == 200
    assert_no_longer_readable_by(old, assignment_id)
    late = old.post(f"/api/v1/reviews/{assignment_id}/decision/", {"decision": "approve"}, format="json")
    assert late.status_code == 404
    new = client_for(review["second"])
    assert new.get(f"/api/v1/reviews/{moved.json()['id']}/").status_code == 200


def test_after_expiry_the_old_reviewer_no_longer_reads_the_review(review) -> None:
    old = client_for(review["first"])
    assignment_id = review["assignment"].id

    with clock.pinned_at(clock.now() + timedelta(days=1, minutes=1)):
        assert expire_overdue_reviews_job() == 1
    settle()

    assert_no_longer_readable_by(old, assignment_id)
    assert pending_review(review["task"]).reviewer_id == review["second"].pk


def test_a_decided_review_stays_readable_by_its_reviewer(review) -> None:
    reviewer = client_for(review["first"])
    assignment_id = review["assignment"].id

    decided = reviewer.post(
        f"/api/v1/reviews/{assignment_id}/decision/", {"decision": "approve"}, format="json"
    )

    assert decided.status_code == 200
    assert reviewer.get(f"/api/v1/reviews/{assignment_id}/").status_code == 200
    assert str(assignment_id) in listed_ids(reviewer)


def test_ops_still_read_every_assignment_whatever_its_status(review) -> None:
    ops = client_for(make_user("ops"))
    assignment_id = review["assignment"].id
    ops.post(f"/api/v1/reviews/{assignment_id}/reassign/", {"reviewer": review["second"].pk}, format="json")

    assert ops.get(f"/api/v1/reviews/{assignment_id}/").json()["status"] == "reassigned"
    assert str(assignment_id) in listed_ids(ops)
