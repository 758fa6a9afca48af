"""Accruals, reversals, statements and payments, through commands, reactors and the API."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import IntegrityError, connection, transaction

from marlin.eventstore.models import Event
from marlin.kernel import clock
from payments import commands
from payments.models import PayoutEntry, Statement
from payments.reactors import accrue
from reviews.commands import review_decide
from tasks.domain.events import TaskApproved
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.approvals import given_approved
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

WEDNESDAY_W47 = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
AFTER_W47 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # Tuesday of W48
IN_W49 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def finance():
    return client_for(make_user("finance"))


@pytest.fixture
def ops():
    return client_for(make_user("ops"))


def test_final_approval_through_review_accrues_the_task_rate_once() -> None:
    project = make_project(review_layers=1, rate="300.00")
    import_tasks(project, 1)
    reviewer = make_user("reviewer")
    task_id, contributor = submitted_task(project)
    settle()
    review = pending_review(task_id)

    review_decide(reviewer_id=reviewer.pk, assignment_id=review.id, decision="approve")
    settle()
    settle()

    [entry] = PayoutEntry.objects.all()
    assert (entry.task_id, entry.contributor_id, entry.kind) == (task_id, contributor.pk, "accrual")
    assert (entry.amount_cents, entry.currency, entry.period) == (30000, "USD", entry.period)


def test_the_same_approval_delivered_twice_accrues_once() -> None:
    project = make_project()
    alice = make_user("contributor")
    [task_id] = given_approved(project, 1, [alice])
    settle()
    event = TaskApproved(task_id, project.id, alice.pk, project.rate, "USD", clock.now())

    accrue(event, None)  # the reactor's handler, called again as a redelivery would
    settle()

    assert PayoutEntry.objects.filter(task_id=task_id).count() == 1


def test_the_database_refuses_a_second_accrual_row_for_a_task() -> None:
    project = make_project()
    [task_id] = given_approved(project, 1, [make_user("contributor")])
    settle()
    entry = PayoutEntry.objects.get()

    with pytest.raises(IntegrityError), transaction.atomic():
        PayoutEntry.objects.create(
            id="00000000-0000-0000-0000-000000000001", task_id=task_id, contributor_id=entry.contributor_id,
            kind="accrual", amount_cents=28000, currency="USD", period=entry.period, created_at=clock.now(),
        )  # fmt: skip


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_workers_accruing_the_same_task_at_once_make_one_entry(monkeypatch) -> None:
    monkeypatch.setattr("django.conf.settings.CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # no pumping
    project = make_project()
    alice = make_user("contributor")
    task_ids = given_approved(project, 20, [alice])
    start = threading.Barrier(4, timeout=10)
    outcomes: list[str] = []

    def accrue_all() -> None:
        try:
            start.wait()
            for task_id in task_ids:
                try:
                    commands.payout_accrue(
                        task_id=task_id, contributor_id=alice.pk, rate=project.rate, currency="USD",
                        approved_at=clock.now(),
                    )  # fmt: skip
                    outcomes.append("ok")
                except Exception as error:  # a lost race must be refused, never doubled
                    outcomes.append(getattr(error, "code", repr(error)))
        finally:
            connection.close()

    threads = [threading.Thread(target=accrue_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert set(outcomes) <= {"ok", "concurrent_update"}, set(outcomes)
    assert len(outcomes) == 80
    assert PayoutEntry.objects.count() == 20
    assert PayoutEntry.objects.values("task_id").distinct().count() == 20


def test_a_reversal_before_the_statement_lands_in_the_same_week(ops) -> None:
    project = make_project()
    with clock.pinned_at(WEDNESDAY_W47):
        [task_id] = given_approved(project, 1, [make_user("contributor")])
        settle()
        response = ops.post(
            f"/api/v1/tasks/{task_id}/reverse-approval/", {"reason": "approved the wrong pick"}, format="json"
        )
        settle()

    assert response.json()["status"] == "rejected"
    reversal = PayoutEntry.objects.get(kind="reversal")
    assert (reversal.amount_cents, reversal.period, reversal.reason) == (
        -28000,
        "2026-W47",
        "approved the wrong pick",
    )
    assert reversal.accrual.task_id == task_id
    history = [e["type"] for e in ops.get(f"/api/v1/tasks/{task_id}/history/").json()]
    assert history[-1] == "ApprovalReversed"


def test_a_reversal_after_the_statement_is_a_clawback_in_the_next_open_week(ops, finance) -> None:
    project = make_project()
    alice = make_user("contributor")
    with clock.pinned_at(WEDNESDAY_W47):
        [task_id, _] = given_approved(project, 2, [alice])
        settle()
    with clock.pinned_at(AFTER_W47):
        assert (
            finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json").status_code
            == 200
        )
    with clock.pinned_at(IN_W49):
        ops.post(f"/api/v1/tasks/{task_id}/reverse-approval/", {"reason": "late find"}, format="json")
        settle()

    reversal = PayoutEntry.objects.get(kind="reversal")
    assert reversal.period == "2026-W49"
    statement = Statement.objects.get(period="2026-W47")
    assert statement.total_cents == 56000, "the issued statement is frozen"
    report = finance.get("/api/v1/payouts/report/", {"period": "2026-W49"}).json()
    assert report["rows"][0]["reversals"] == "280.00"
    assert report["rows"][0]["net"] == "-280.00"


def test_a_second_reversal_and_reversing_an_unapproved_task_are_refused(ops) -> None:
    project = make_project()
    [task_id] = given_approved(project, 1, [make_user("contributor")])
    [open_task] = import_tasks(project, 1, prefix="open")
    settle()
    ops.post(f"/api/v1/tasks/{task_id}/reverse-approval/", {"reason": "wrong"}, format="json")

    again = ops.post(f"/api/v1/tasks/{task_id}/reverse-approval/", {"reason": "again"}, format="json")
    unapproved = ops.post(f"/api/v1/tasks/{open_task}/reverse-approval/", {"reason": "x"}, format="json")
    no_reason = ops.post(f"/api/v1/tasks/{task_id}/reverse-approval/", {}, format="json")
    settle()

    assert (again.status_code, unapproved.status_code, no_reason.status_code) == (409, 409, 400)
    assert PayoutEntry.objects.filter(kind="reversal").count() == 1


def test_closing_a_period_issues_frozen_statements_once_and_entries_then_go_to_the_next(finance) -> None:
    project = make_project()
    alice, bob = make_user("contributor"), make_user("contributor")
    with clock.pinned_at(WEDNESDAY_W47):
        given_approved(project, 3, [alice, bob])
        settle()
    with clock.pinned_at(AFTER_W47):
        closed = finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
        again = finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
        given_approved(project, 1, [alice], approved_at=WEDNESDAY_W47, prefix="late")
        settle()

    assert closed.json()["statements"] == 2
    assert again.status_code == 200
    assert Statement.objects.count() == 2
    statements = {s["contributor"]: s for s in finance.get("/api/v1/statements/").json()["results"]}
    assert (statements[alice.pk]["total"], statements[alice.pk]["lines"], statements[alice.pk]["status"]) == (
        "560.00",
        2,
        "issued",
    )
    assert PayoutEntry.objects.get(task__external_id="late1").period == "2026-W48"


def test_closing_a_closed_period_again_answers_already_closed_and_adds_nothing(finance) -> None:
    project = make_project()
    with clock.pinned_at(WEDNESDAY_W47):
        given_approved(project, 2, [make_user("contributor")])
        settle()
    with clock.pinned_at(AFTER_W47):
        first = finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
        events_after_first = Event.objects.count()
        again = finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")

    assert (first.status_code, first.json()["already_closed"]) == (200, False)
    assert (again.status_code, again.json()["already_closed"]) == (200, True)
    assert again.json()["closed_at"] == first.json()["closed_at"]
    assert again.json()["statements"] == first.json()["statements"] == 1
    assert Event.objects.count() == events_after_first
    assert Statement.objects.count() == 1


def test_a_period_that_has_not_ended_cannot_close_and_bad_periods_are_400(finance) -> None:
    with clock.pinned_at(WEDNESDAY_W47):
        unfinished = finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
    bad = finance.post("/api/v1/statements/close/", {"period": "2026-48"}, format="json")

    assert unfinished.status_code == 409
    assert bad.status_code == 400
    assert "period" in bad.json()["error"]["fields"]


def test_a_statement_is_marked_paid_once_with_its_reference(finance) -> None:
    project = make_project()
    with clock.pinned_at(WEDNESDAY_W47):
        given_approved(project, 1, [make_user("contributor")])
        settle()
    with clock.pinned_at(AFTER_W47):
        finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
    statement = Statement.objects.get()
    url = f"/api/v1/statements/{statement.id}/paid/"

    missing = finance.post(url, {}, format="json")
    paid = finance.post(url, {"reference": "WIRE-2026-0042"}, format="json")
    again = finance.post(url, {"reference": "WIRE-2026-0043"}, format="json")

    assert missing.status_code == 400
    assert (paid.json()["status"], paid.json()["reference"]) == ("paid", "WIRE-2026-0042")
    assert again.status_code == 409
    assert (
        finance.post(
            "/api/v1/statements/00000000-0000-0000-0000-000000000000/paid/", {"reference": "x"}
        ).status_code
        == 404
    )


def test_a_contributor_sees_only_their_own_entries_earnings_and_statements(finance) -> None:
    project = make_project()
    alice, bob = make_user("contributor"), make_user("contributor")
    with clock.pinned_at(WEDNESDAY_W47):
        given_approved(project, 4, [alice, bob])
        settle()
    with clock.pinned_at(AFTER_W47):
        finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
        given_approved(project, 1, [alice], prefix="new")
        settle()
    mine = client_for(alice)

    entries = mine.get("/api/v1/payouts/").json()
    earnings = mine.get("/api/v1/me/earnings/").json()

    assert {e["contributor"] for e in entries["results"]} == {alice.pk}
    assert entries["count"] == 3
    assert earnings == [
        {
            "currency": "USD",
            "accrued_net": "840.00",
            "pending": "280.00",
            "issued_unpaid": "560.00",
            "paid": "0.00",
        }
    ]
    assert [s["contributor"] for s in mine.get("/api/v1/statements/").json()["results"]] == [alice.pk]
    assert mine.get("/api/v1/payouts/", {"contributor": bob.pk}).json()["count"] == 0
    for url in (
        "/api/v1/payouts/report/?period=2026-W47",
        "/api/v1/payouts/report/?period=2026-W47&format=csv",
    ):
        assert mine.get(url).status_code == 403
    assert mine.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json").status_code == 403
    assert finance.get("/api/v1/payouts/").json()["count"] == 5


def test_accrual_and_close_of_one_period_do_not_interleave_in_time(finance) -> None:
    """An accrual for a week closed meanwhile lands in the next week, never in the closed one."""
    project = make_project()
    with clock.pinned_at(WEDNESDAY_W47):
        given_approved(project, 1, [make_user("contributor")])
    with clock.pinned_at(AFTER_W47):
        finance.post("/api/v1/statements/close/", {"period": "2026-W47"}, format="json")
        settle()  # the accrual runs only now, after the close

    assert PayoutEntry.objects.get().period == "2026-W48"
    assert Statement.objects.count() == 0
