"""Appeals: a contributor appeals a rejection, once, within the project's window; a top-layer
reviewer who has not reviewed the task decides; approve overturns (approved and paid exactly
once), reject upholds. Driven through the REST API as the people involved would."""

from __future__ import annotations

import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection

from marlin import projections
from marlin.eventstore.models import Event
from marlin.kernel import clock
from marlin.kernel.errors import DomainError
from payments.models import PayoutEntry
from payments.periods import period_of
from payments.reactors import accrue
from reviews.models import ReviewAssignment
from tasks.commands import task_appeal
from tasks.domain.events import TaskApproved
from tasks.models import Appeal, Task
from tests.factories import client_for, import_tasks, make_project, make_user, pending_review, submitted_task
from tests.support.settle import settle

pytestmark = pytest.mark.django_db

REASON = "The rejection says B handles the empty input, but B's loop raises IndexError on []; A is right."
REJECTION = {"decision": "reject", "feedback": "B is the better answer.", "reasons": ["wrong_preference"]}


def _decide(assignment: Any, body: dict[str, Any]) -> Any:
    reviewer = assignment.reviewer
    return client_for(reviewer).post(f"/api/v1/reviews/{assignment.id}/decision/", body, format="json")


@pytest.fixture
def rejected() -> dict[str, Any]:
    """A two-layer task approved at layer 1 and rejected at layer 2, with one more level-2
    reviewer who has not touched it."""
    project = make_project(review_layers=2)
    import_tasks(project, 2)
    make_user("reviewer", reviewer_level=1)
    second = make_user("reviewer", reviewer_level=2)
    task_id, alice = submitted_task(project)
    settle()
    assert _decide(pending_review(task_id), {"decision": "approve"}).status_code == 200
    settle()
    layer_two = pending_review(task_id)
    assert layer_two.reviewer_id == second.pk
    assert _decide(layer_two, REJECTION).status_code == 200
    settle()
    fresh = make_user("reviewer", reviewer_level=3)
    settle()
    return {"project": project, "task": task_id, "alice": alice, "rejecter": second, "fresh": fresh}


def _appeal(person: Any, task_id: Any, reason: str = REASON) -> Any:
    return client_for(person).post(f"/api/v1/tasks/{task_id}/appeal/", {"reason": reason}, format="json")


def test_an_appeal_goes_to_a_top_layer_reviewer_who_has_not_reviewed_the_task(rejected) -> None:
    answer = _appeal(rejected["alice"], rejected["task"])
    assert answer.status_code == 200, answer.content
    assert answer.json()["status"] == "appealed"
    settle()

    appeal = pending_review(rejected["task"])
    assert (appeal.kind, appeal.layer, appeal.reviewer_id) == ("appeal", 2, rejected["fresh"].pk)
    detail = client_for(rejected["fresh"]).get(f"/api/v1/reviews/{appeal.id}/").json()
    assert (detail["kind"], detail["appeal_reason"]) == ("appeal", REASON)
    assert [r["decision"] for r in detail["earlier_rounds"]] == ["approve", "reject"]
    # The appeal's reviewer reads the task like any assigned one.
    task = client_for(rejected["fresh"]).get(f"/api/v1/tasks/{rejected['task']}/").json()
    assert task["status"] == "appealed"


def test_an_overturned_appeal_approves_the_task_and_pays_it_once_in_the_open_period(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()

    answer = _decide(pending_review(rejected["task"]), {"decision": "approve", "feedback": "A is right."})
    settle()

    assert answer.status_code == 200, answer.content
    assert Task.objects.get(pk=rejected["task"]).status == "approved"
    [entry] = PayoutEntry.objects.filter(task_id=rejected["task"])
    assert (entry.kind, entry.amount_cents, entry.contributor_id) == ("accrual", 28000, rejected["alice"].pk)
    assert entry.period == period_of(clock.now())
    # The approval's message delivered again adds nothing.
    approved = TaskApproved(
        rejected["task"], rejected["project"].id, rejected["alice"].pk, entry.task.rate, "USD", clock.now()
    )
    accrue(approved, None)
    settle()
    assert PayoutEntry.objects.filter(task_id=rejected["task"]).count() == 1
    assert Appeal.objects.get(pk=rejected["task"]).overturned is True


def test_an_upheld_appeal_leaves_the_task_rejected_and_the_contributor_reads_the_outcome(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()

    answer = _decide(pending_review(rejected["task"]), REJECTION | {"feedback": "B is still better."})
    settle()

    assert answer.status_code == 200, answer.content
    task = client_for(rejected["alice"]).get(f"/api/v1/tasks/{rejected['task']}/").json()
    assert task["status"] == "rejected"
    assert [(r["kind"], r["layer"], r["decision"]) for r in task["rounds"]] == [
        ("review", 1, "approve"),
        ("review", 2, "reject"),
        ("appeal", 2, "reject"),
    ]
    assert task["rounds"][-1]["feedback"] == "B is still better."
    assert not PayoutEntry.objects.filter(task_id=rejected["task"]).exists()
    assert Appeal.objects.get(pk=rejected["task"]).overturned is False


def test_an_appeal_cannot_be_sent_back_for_changes(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()
    appeal = pending_review(rejected["task"])

    answer = _decide(
        appeal, {"decision": "request_changes", "feedback": "Say more.", "reasons": ["weak_rationale"]}
    )

    assert answer.status_code == 400
    assert "decision" in answer.json()["error"]["fields"]
    assert ReviewAssignment.objects.get(pk=appeal.id).status == "pending"


def test_one_appeal_per_task(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()
    assert _appeal(rejected["alice"], rejected["task"]).json()["error"]["code"] == "already_appealed"
    _decide(pending_review(rejected["task"]), REJECTION)
    settle()

    again = _appeal(rejected["alice"], rejected["task"])

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_appealed"


def test_an_appeal_after_the_window_is_refused(rejected) -> None:
    with clock.pinned_at(clock.now() + timedelta(days=7, minutes=1)):
        answer = _appeal(rejected["alice"], rejected["task"])

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "appeal_window_closed"
    assert Task.objects.get(pk=rejected["task"]).status == "rejected"


def test_a_project_sets_its_window_and_zero_turns_appeals_off(rejected) -> None:
    ops = client_for(make_user("ops"))
    path = f"/api/v1/projects/{rejected['project'].id}/"
    assert ops.patch(path, {"appeal_window_days": 0}, format="json").json()["appeal_window_days"] == 0
    assert _appeal(rejected["alice"], rejected["task"]).json()["error"]["code"] == "appeal_window_closed"
    assert ops.patch(path, {"appeal_window_days": 91}, format="json").status_code == 400

    ops.patch(path, {"appeal_window_days": 30}, format="json")
    with clock.pinned_at(clock.now() + timedelta(days=29)):
        assert _appeal(rejected["alice"], rejected["task"]).status_code == 200


def test_a_short_reason_is_refused_and_writes_nothing(rejected) -> None:
    answer = _appeal(rejected["alice"], rejected["task"], reason="I disagree.")

    assert answer.status_code == 400
    assert "reason" in answer.json()["error"]["fields"]
    assert Task.objects.get(pk=rejected["task"]).status == "rejected"
    assert not Appeal.objects.exists()


def test_only_the_tasks_contributor_appeals(rejected) -> None:
    bob = make_user("contributor")
    assert _appeal(bob, rejected["task"]).status_code == 404
    assert _appeal(rejected["fresh"], rejected["task"]).status_code == 403


def test_only_a_rejected_task_is_appealed_and_never_a_reversed_approval() -> None:
    project = make_project(review_layers=1)
    import_tasks(project, 1)
    make_user("reviewer")
    task_id, alice = submitted_task(project)
    settle()
    assert _appeal(alice, task_id).json()["error"]["code"] == "not_rejected"
    _decide(pending_review(task_id), {"decision": "approve"})
    settle()
    ops = client_for(make_user("ops"))
    ops.post(f"/api/v1/tasks/{task_id}/reverse-approval/", {"reason": "wrong gold"}, format="json")

    answer = _appeal(alice, task_id)

    assert answer.status_code == 409
    assert answer.json()["error"]["code"] == "approval_reversed"


def test_an_appeal_waits_until_an_eligible_reviewer_appears(rejected) -> None:
    client_for(make_user("ops")).patch(
        f"/api/v1/people/{rejected['fresh'].pk}/", {"active": False}, format="json"
    )
    settle()
    _appeal(rejected["alice"], rejected["task"])
    settle()
    assert pending_review(rejected["task"]) is None  # the two who reviewed it may not hear it

    newcomer = make_user("reviewer", reviewer_level=2)
    settle()

    appeal = pending_review(rejected["task"])
    assert (appeal.reviewer_id, appeal.kind) == (newcomer.pk, "appeal")


def test_ops_may_not_hand_an_appeal_to_someone_who_reviewed_the_task(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()
    appeal = pending_review(rejected["task"])
    ops = client_for(make_user("ops"))

    answer = ops.post(
        f"/api/v1/reviews/{appeal.id}/reassign/", {"reviewer": rejected["rejecter"].pk}, format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "reviewed_appealed_task"
    assert ReviewAssignment.objects.get(pk=appeal.id).status == "pending"


def test_a_log_with_appeals_rebuilds_to_the_live_tables(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()
    _decide(pending_review(rejected["task"]), {"decision": "approve"})
    settle()

    assert projections.compare_with_rebuild() == {}


def test_the_quality_reports_count_appeals_filed_won_and_overturned_against_the_rejecter(rejected) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()
    _decide(pending_review(rejected["task"]), {"decision": "approve"})
    settle()
    ops = client_for(make_user("ops"))
    project = rejected["project"].id

    contributors = ops.get(f"/api/v1/quality/contributors/?project={project}").json()["rows"]
    reviewers = ops.get(f"/api/v1/quality/reviewers/?project={project}").json()["rows"]

    [alice] = [row for row in contributors if row["contributor"] == rejected["alice"].pk]
    assert (alice["appeals_filed"], alice["appeals_won"], alice["approved"]) == (1, 1, 1)
    overturned = {row["reviewer"]: row["appeals_overturned"] for row in reviewers}
    assert overturned == {
        **dict.fromkeys(overturned, 0),
        rejected["rejecter"].pk: 1,
    }
    assert overturned[rejected["fresh"].pk] == 0  # the appeal's own reviewer decided, lost nothing
    csv = b"".join(ops.get(f"/api/v1/quality/reviewers/?project={project}&format=csv").streaming_content)
    assert b"appeals_overturned" in csv.splitlines()[0]


def test_the_quality_page_shows_appeals_won_and_rejections_overturned(rejected, client) -> None:
    _appeal(rejected["alice"], rejected["task"])
    settle()
    _decide(pending_review(rejected["task"]), {"decision": "approve"})
    settle()
    client.force_login(make_user("ops"))

    html = client.get(f"/ops/projects/{rejected['project'].id}/quality/").content.decode()

    assert '<td class="num appeals">1 <span class="muted">of 1</span></td>' in html
    assert html.count('<td class="num appeals-overturned">1</td>') == 1


def test_a_gold_mismatch_is_appealed_like_any_rejection_and_heard_by_a_person() -> None:
    project = make_project(review_layers=2, randomize_order=False)
    import_tasks(project, 1, gold={"preference": "B", "explanation": "B checks the empty input; A does not."})
    reviewer = make_user("reviewer", reviewer_level=2)
    task_id, alice = submitted_task(project, preference="A")
    settle()
    assert Task.objects.get(pk=task_id).status == "rejected"  # scored, never reviewed

    assert _appeal(alice, task_id).status_code == 200
    settle()

    appeal = pending_review(task_id)
    assert (appeal.reviewer_id, appeal.kind, appeal.layer) == (reviewer.pk, "appeal", 2)
    _decide(appeal, {"decision": "approve"})
    settle()
    assert PayoutEntry.objects.filter(task_id=task_id, kind="accrual").count() == 1
    assert Appeal.objects.get(pk=task_id).rejected_by_id is None  # counts against no reviewer


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_appeals_of_one_task_file_exactly_one() -> None:
    """Eight requests for the same appeal at once (a client retrying hard): one appeal is filed,
    the others are refused, and the log holds a single AppealFiled."""
    project = make_project(review_layers=1)
    import_tasks(project, 1)
    make_user("reviewer")
    task_id, alice = submitted_task(project)
    settle()
    _decide(pending_review(task_id), REJECTION)
    settle()
    start = threading.Barrier(8, timeout=30)

    def appeal(_: int) -> str:
        try:
            start.wait()
            task_appeal(contributor_id=alice.pk, task_id=task_id, reason=REASON)
            return "filed"
        except DomainError as refused:
            return refused.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(appeal, range(8)))

    assert outcomes["filed"] == 1
    assert set(outcomes) <= {"filed", "already_appealed", "concurrent_update"}
    assert Event.objects.filter(stream=f"task-{task_id}", type="AppealFiled").count() == 1
