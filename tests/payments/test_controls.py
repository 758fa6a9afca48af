"""Finance's controls: approvals with a reviewer named by ops or a new account in the chain."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from marlin.eventstore.store import RecordedEvent
from marlin.kernel import clock
from payments.controls import controls_json
from reviews.commands import review_decide
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.approvals import given_approved
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

WEEK = "2026-W47"
LONG_AGO = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)
MONDAY_W47 = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)
URL = "/api/v1/payouts/controls/"


def hour(n: float) -> datetime:
    return MONDAY_W47 + timedelta(hours=n)


def stamp(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def staff() -> SimpleNamespace:
    """Everyone registered long before the week under audit; reviewers of both layers."""
    with clock.pinned_at(LONG_AGO):
        return SimpleNamespace(
            contributor=make_user("contributor"),
            first=make_user("reviewer", reviewer_level=2),
            second=make_user("reviewer", reviewer_level=2),
            third=make_user("reviewer", reviewer_level=2),
            fourth=make_user("reviewer", reviewer_level=2),
            ops=make_user("ops"),
            finance=make_user("finance"),
        )


@pytest.fixture
def project():
    project = make_project(review_layers=2)
    import_tasks(project, 5)
    return project


def submit(project, contributor, at: datetime) -> uuid.UUID:
    with clock.pinned_at(at):
        task_id, _ = submitted_task(project, contributor)
        settle()
    return task_id


def approve(task_id: uuid.UUID, at: datetime) -> int:
    """The pending reviewer approves; returns who it was."""
    with clock.pinned_at(at):
        review = pending_review(task_id)
        review_decide(reviewer_id=review.reviewer_id, assignment_id=review.id, decision="approve")
        settle()
    return review.reviewer_id


def reassign(ops, task_id: uuid.UUID, at: datetime, body: dict) -> None:
    with clock.pinned_at(at):
        response = client_for(ops).post(
            f"/api/v1/reviews/{pending_review(task_id).id}/reassign/", body, format="json"
        )
        assert response.status_code == 200, response.content
        settle()


def someone_else(staff, task_id: uuid.UUID, *, reviewed: int) -> int:
    """A reviewer ops may name for the task's pending layer-2 review: not its current reviewer,
    nor the one who reviewed layer 1."""
    current = pending_review(task_id).reviewer_id
    reviewers = (staff.first, staff.second, staff.third, staff.fourth)
    return next(r.pk for r in reviewers if r.pk not in {current, reviewed})


def controls(user, **params: str) -> dict:
    response = client_for(user).get(URL, {"period": WEEK, **params})
    assert response.status_code == 200, response.content
    return response.json()


def csv_rows(user) -> list[dict[str, str]]:
    response = client_for(user).get(URL, {"period": WEEK, "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.endswith("\r\n")
    return list(csv.DictReader(io.StringIO(text, newline="")))


# --- hand-assigned reviewers ---


def test_an_approval_by_a_reviewer_ops_named_is_flagged_with_who_did_what_and_when(staff, project) -> None:
    task_id = submit(project, staff.contributor, hour(1))
    first = approve(task_id, hour(2))  # layer 1: routing's choice
    assert pending_review(task_id).reviewer_id != staff.third.pk
    reassign(staff.ops, task_id, hour(3), {"reviewer": staff.third.pk})
    third = approve(task_id, hour(4))

    body = controls(staff.finance)

    assert third == staff.third.pk
    assert body == {
        "period": WEEK,
        "rows": [
            {
                "task": str(task_id),
                "contributor": staff.contributor.pk,
                "amount": "280.00",
                "currency": "USD",
                "flags": ["hand_assigned_reviewer"],
                "actors": [
                    {"person": staff.contributor.pk, "did": "submitted", "at": stamp(hour(1))},
                    {"person": first, "did": "approved", "at": stamp(hour(2))},
                    {"person": staff.ops.pk, "did": "assigned_reviewer_by_hand", "at": stamp(hour(3))},
                    {"person": staff.third.pk, "did": "approved", "at": stamp(hour(4))},
                ],
            }
        ],
    }


def test_a_reassignment_where_routing_picks_is_not_flagged(staff, project) -> None:
    task_id = submit(project, staff.contributor, hour(1))
    approve(task_id, hour(2))
    before = pending_review(task_id).reviewer_id
    reassign(staff.ops, task_id, hour(3), {})
    assert pending_review(task_id).reviewer_id != before
    approve(task_id, hour(4))

    assert controls(staff.finance)["rows"] == []


def test_a_hand_assignment_counts_for_the_approval_it_led_to_and_no_other(staff, project) -> None:
    named = submit(project, staff.contributor, hour(1))
    routed = submit(project, staff.contributor, hour(1.5))
    first = approve(named, hour(2))
    approve(routed, hour(2))
    reassign(staff.ops, named, hour(3), {"reviewer": someone_else(staff, named, reviewed=first)})
    approve(named, hour(4))
    approve(routed, hour(4))

    rows = controls(staff.finance)["rows"]

    assert [row["task"] for row in rows] == [str(named)]


# --- new accounts ---


def test_a_contributor_registered_less_than_7_days_before_the_approval_is_a_new_account(
    staff, project
) -> None:
    with clock.pinned_at(hour(4) - timedelta(days=6, hours=23)):
        newcomer = make_user("contributor")
    task_id = submit(project, newcomer, hour(1))
    approve(task_id, hour(2))
    approve(task_id, hour(4))

    [row] = controls(staff.finance)["rows"]

    assert row["flags"] == ["new_account"]
    assert row["contributor"] == newcomer.pk
    assert row["actors"][0] == {
        "person": newcomer.pk,
        "did": "registered",
        "at": stamp(hour(4) - timedelta(days=6, hours=23)),
    }
    assert [actor["did"] for actor in row["actors"]] == ["registered", "submitted", "approved", "approved"]


def test_a_contributor_registered_7_days_or_more_before_the_approval_is_not(staff, project) -> None:
    with clock.pinned_at(hour(4) - timedelta(days=7)):
        week_old = make_user("contributor")
    task_id = submit(project, week_old, hour(1))
    approve(task_id, hour(2))
    approve(task_id, hour(4))

    assert controls(staff.finance)["rows"] == []


def test_a_new_reviewer_who_decided_in_the_chain_flags_it_too(staff, project) -> None:
    task_id = submit(project, staff.contributor, hour(1))
    with clock.pinned_at(hour(1.5)):
        newcomer = make_user("reviewer", reviewer_level=2)
    approve(task_id, hour(2))
    reassign(staff.ops, task_id, hour(3), {"reviewer": newcomer.pk})
    approve(task_id, hour(4))

    [row] = controls(staff.finance)["rows"]

    assert row["flags"] == ["hand_assigned_reviewer", "new_account"]
    assert {"person": newcomer.pk, "did": "registered", "at": stamp(hour(1.5))} in row["actors"]
    assert {"person": newcomer.pk, "did": "approved", "at": stamp(hour(4))} in row["actors"]


# --- the two formats and who may read them ---


def test_json_and_csv_list_the_same_rows(staff, project) -> None:
    with clock.pinned_at(hour(-1)):
        newcomer = make_user("contributor")
    flagged = [submit(project, staff.contributor, hour(1)), submit(project, newcomer, hour(1))]
    first = [approve(task_id, hour(2)) for task_id in flagged]
    reassign(staff.ops, flagged[0], hour(3), {"reviewer": someone_else(staff, flagged[0], reviewed=first[0])})
    for task_id in flagged:
        approve(task_id, hour(4))

    body = controls(staff.finance)
    rows = csv_rows(staff.finance)

    assert len(body["rows"]) == 2
    assert rows == [
        {
            "task": row["task"],
            "contributor": str(row["contributor"]),
            "amount": row["amount"],
            "currency": row["currency"],
            "flags": ";".join(row["flags"]),
            "actors": "; ".join(f"{a['person']} {a['did']} {a['at']}" for a in row["actors"]),
        }
        for row in body["rows"]
    ]


def test_finance_and_superusers_read_the_controls_and_nobody_else(staff) -> None:
    superuser = make_user(is_superuser=True)
    for user, status in (
        (staff.finance, 200),
        (superuser, 200),
        (staff.ops, 403),
        (staff.contributor, 403),
        (staff.first, 403),
    ):
        for fmt in ("json", "csv"):
            response = client_for(user).get(URL, {"period": WEEK, "format": fmt})
            assert response.status_code == status, (user.roles, fmt)
    anonymous = APIClient().get(URL, {"period": WEEK})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "not_authenticated"


def test_a_bad_or_missing_period_is_400_in_the_error_shape_even_for_csv(staff) -> None:
    client = client_for(staff.finance)
    for params in ({}, {"period": "last week"}, {"period": "2026-W60", "format": "csv"}):
        response = client.get(URL, params)
        assert response.status_code == 400
        assert response.json()["error"]["fields"]["period"]


# --- the log's older events ---


def test_a_review_assignment_stored_before_by_hand_existed_reads_as_routings_choice() -> None:
    v1 = RecordedEvent(
        event_id=uuid.uuid4(),
        stream=f"task-{uuid.UUID(int=1)}",
        version=4,
        type="ReviewAssigned",
        schema_version=1,
        data={
            "task_id": str(uuid.UUID(int=1)),
            "assignment_id": str(uuid.UUID(int=2)),
            "layer": 1,
            "reviewer_id": 11,
            "submission_version": 1,
            "due_at": "2026-11-17T09:00:00+00:00",
        },
        metadata={"actor": 3},
        recorded_at=MONDAY_W47,
    )

    assert v1.event.by_hand is False
    assert v1.event.reviewer_id == 11


# --- cost ---


def test_a_period_of_500_approvals_takes_a_few_queries_whatever_its_size() -> None:
    """One query for the accruals, then per 500 accruals one for their chains and one for the
    registrations of the people in them."""
    project = make_project()
    with clock.pinned_at(LONG_AGO):
        old = [make_user("contributor") for _ in range(40)]
    with clock.pinned_at(hour(-24)):
        new = [make_user("contributor") for _ in range(10)]
    with clock.pinned_at(hour(1)):
        given_approved(project, 500, old + new)
        settle()

    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        body = controls_json(WEEK)
        elapsed = time.perf_counter() - started

    assert len(body["rows"]) == 100  # every tenth task went to one of the new contributors
    assert {tuple(row["flags"]) for row in body["rows"]} == {("new_account",)}
    assert len(queries) == 3, [q["sql"][:120] for q in queries.captured_queries]
    assert elapsed < 5  # ~0.1 s here; the bound only catches a query per task coming back
