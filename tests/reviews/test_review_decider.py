"""The review rules on the task aggregate, given / when / then, with no database."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce

import pytest

from marlin.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from reviews.domain import (
    ReviewDecision,
    ReviewerFacts,
    check_named_reviewer,
    decide_assign,
    decide_expire,
    decide_reassign,
    decide_review,
    excluded_reviewers,
)
from tasks.domain.events import (
    JudgmentSubmitted,
    TaskApproved,
    TaskCancelled,
    TaskClaimed,
    TaskImported,
    TaskRejected,
)
from tasks.domain.project import DEFAULT_CRITERIA, DEFAULT_REASON_CODES
from tasks.domain.review_round import (
    ChangesRequested,
    Decision,
    ReviewAssigned,
    ReviewDecided,
    ReviewExpired,
    ReviewReassigned,
    TaskEnteredLayer,
)
from tasks.domain.task import ProjectPolicy, TaskState, TaskStatus, evolve
from tests.judgments import judgment

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TASK = uuid.UUID(int=1)
PROJECT = uuid.UUID(int=2)
CONTRIBUTOR, R1, R2, R3 = 7, 11, 12, 13
POLICY = ProjectPolicy(
    project_id=PROJECT,
    status="active",
    criteria=DEFAULT_CRITERIA,
    claim_timeout_minutes=120,
    review_layers=2,
    max_revisions=2,
    review_timeout_minutes=1440,
    reason_codes=DEFAULT_REASON_CODES,
)
IMPORTED = TaskImported(
    TASK, PROJECT, "e", "p", "", "a", "b", "m1", "m2", (), 0, Decimal("280.00"), "USD", 1
)  # fmt: skip


def submitted(version: int = 1, layer: int = 1) -> JudgmentSubmitted:
    body = judgment()
    return JudgmentSubmitted(
        TASK, uuid.uuid4(), CONTRIBUTOR, version, "A", 2, body["scores"], body["rationale"], 30, layer
    )


IN_REVIEW = (IMPORTED, TaskClaimed(TASK, CONTRIBUTOR, NOW + timedelta(hours=2)), submitted())


def assigned(reviewer: int, layer: int = 1, version: int = 1, n: int = 1) -> ReviewAssigned:
    return ReviewAssigned(TASK, uuid.UUID(int=100 + n), layer, reviewer, version, NOW + timedelta(days=1))


def given(*events: object) -> TaskState:
    return reduce(evolve, events, TaskState())


def decide(history: tuple, assignment: ReviewAssigned, decision: str, **fields: object) -> list:
    return decide_review(
        given(*history),
        assignment_id=assignment.assignment_id,
        reviewer_id=fields.pop("reviewer_id", assignment.reviewer_id),
        decision=ReviewDecision(
            Decision(decision), fields.pop("feedback", ""), tuple(fields.pop("reasons", ()))
        ),
        policy=fields.pop("policy", POLICY),
        now=NOW,
    )


# --- assignment ---


def test_a_submission_waits_for_a_reviewer_at_layer_1_and_gets_a_due_time() -> None:
    state = given(*IN_REVIEW)
    assert state.awaits_reviewer()

    [event] = decide_assign(state, reviewer_id=R1, assignment_id=uuid.UUID(int=101), policy=POLICY, now=NOW)

    assert event == assigned(R1)
    assert given(*IN_REVIEW, event).pending_assignment().reviewer_id == R1


def test_a_reviewer_named_by_ops_is_recorded_as_assigned_by_hand() -> None:
    state = given(*IN_REVIEW)

    [event] = decide_assign(
        state, reviewer_id=R2, assignment_id=uuid.UUID(int=101), policy=POLICY, now=NOW, by_hand=True
    )

    assert event == replace(assigned(R2), by_hand=True)
    assert assigned(R2).by_hand is False  # routing's choice, the default


def test_a_layer_with_a_pending_review_is_not_assigned_twice() -> None:
    with pytest.raises(Conflict):
        decide_assign(
            given(*IN_REVIEW, assigned(R1)),
            reviewer_id=R2,
            assignment_id=uuid.uuid4(),
            policy=POLICY,
            now=NOW,
        )


def test_nobody_reviews_their_own_work() -> None:
    with pytest.raises(NotAllowed):
        decide_assign(
            given(*IN_REVIEW), reviewer_id=CONTRIBUTOR, assignment_id=uuid.uuid4(), policy=POLICY, now=NOW
        )


def test_a_reviewer_of_layer_1_may_not_review_layer_2() -> None:
    a1 = assigned(R1)
    history = (*IN_REVIEW, a1, *decide((*IN_REVIEW, a1), a1, "approve"))

    with pytest.raises(NotAllowed):
        decide_assign(given(*history), reviewer_id=R1, assignment_id=uuid.uuid4(), policy=POLICY, now=NOW)
    assert excluded_reviewers(given(*history)) == {CONTRIBUTOR, R1}


# --- expiry and reassignment ---


def test_an_overdue_review_expires_and_the_layer_waits_again_without_that_reviewer() -> None:
    a1 = assigned(R1)
    state = given(*IN_REVIEW, a1)

    events = decide_expire(state, assignment_id=a1.assignment_id, now=NOW + timedelta(days=1, seconds=1))

    assert events == [ReviewExpired(TASK, a1.assignment_id, R1)]
    after = given(*IN_REVIEW, a1, *events)
    assert after.awaits_reviewer()
    assert R1 in excluded_reviewers(after)


def test_a_review_within_its_time_does_not_expire() -> None:
    a1 = assigned(R1)

    with pytest.raises(Conflict):
        decide_expire(given(*IN_REVIEW, a1), assignment_id=a1.assignment_id, now=NOW)


def test_ops_reassign_a_pending_review_only() -> None:
    a1 = assigned(R1)

    assert decide_reassign(given(*IN_REVIEW, a1), assignment_id=a1.assignment_id, reason="ops") == [
        ReviewReassigned(TASK, a1.assignment_id, R1, "ops")
    ]
    with pytest.raises(Conflict):
        decide_reassign(
            given(*IN_REVIEW, a1, ReviewExpired(TASK, a1.assignment_id, R1)),
            assignment_id=a1.assignment_id,
            reason="ops",
        )
    with pytest.raises(NotFound):
        decide_reassign(given(*IN_REVIEW), assignment_id=uuid.uuid4(), reason="ops")


# --- decisions ---


def test_approval_below_the_last_layer_sends_the_task_to_the_next_layer() -> None:
    a1 = assigned(R1)

    events = decide((*IN_REVIEW, a1), a1, "approve")

    assert events == [
        ReviewDecided(TASK, a1.assignment_id, R1, 1, "approve", "", ()),
        TaskEnteredLayer(TASK, 2),
    ]
    state = given(*IN_REVIEW, a1, *events)
    assert (state.status, state.layer, state.awaits_reviewer()) == (TaskStatus.IN_REVIEW, 2, True)


def test_approval_at_the_last_layer_approves_the_task_at_its_own_rate() -> None:
    a1, a2 = assigned(R1), assigned(R2, layer=2, n=2)
    history = (*IN_REVIEW, a1, *decide((*IN_REVIEW, a1), a1, "approve"), a2)

    events = decide(history, a2, "approve", feedback="Solid.")

    assert events[1] == TaskApproved(TASK, PROJECT, CONTRIBUTOR, Decimal("280.00"), "USD", NOW)
    assert given(*history, *events).status == TaskStatus.APPROVED


def test_rejection_is_final() -> None:
    a1 = assigned(R1)

    events = decide((*IN_REVIEW, a1), a1, "reject", feedback="Copied from B.", reasons=["plagiarism"])

    assert events[1] == TaskRejected(TASK, 1, R1)
    state = given(*IN_REVIEW, a1, *events)
    assert state.status == TaskStatus.REJECTED
    with pytest.raises(Conflict):
        decide_assign(state, reviewer_id=R2, assignment_id=uuid.uuid4(), policy=POLICY, now=NOW)


def test_a_request_for_changes_returns_the_revision_to_the_same_layer_and_reviewer() -> None:
    a1 = assigned(R1)
    events = decide(
        (*IN_REVIEW, a1), a1, "request_changes", feedback="Score B's tests.", reasons=["weak_rationale"]
    )

    assert events[1] == ChangesRequested(TASK, 1, R1, 1)
    state = given(*IN_REVIEW, a1, *events)
    assert (state.status, state.resume_layer, state.preferred_reviewer_id) == (
        TaskStatus.CHANGES_REQUESTED,
        1,
        R1,
    )
    revised = given(*IN_REVIEW, a1, *events, submitted(version=2, layer=1))
    assert (revised.status, revised.layer, revised.submissions) == (TaskStatus.IN_REVIEW, 1, 2)
    assert R1 not in excluded_reviewers(revised)


def test_requests_for_changes_beyond_max_revisions_are_refused() -> None:
    history: tuple = IN_REVIEW
    for n in (1, 2):
        a = assigned(R1, version=n, n=n)
        history = (
            *history,
            a,
            *decide((*history, a), a, "request_changes", feedback="more", reasons=["low_effort"]),
        )
        history = (*history, submitted(version=n + 1))
    a3 = assigned(R1, version=3, n=3)

    with pytest.raises(Conflict) as refused:
        decide((*history, a3), a3, "request_changes", feedback="again", reasons=["low_effort"])
    assert refused.value.code == "max_revisions_reached"
    assert decide((*history, a3), a3, "approve")[1] == TaskEnteredLayer(TASK, 2)


@pytest.mark.parametrize(
    ("decision", "fields", "bad"),
    [
        ("request_changes", {"reasons": ["low_effort"]}, "feedback"),
        ("reject", {"feedback": "no"}, "reasons"),
        ("reject", {"feedback": "no", "reasons": ["made_up"]}, "reasons"),
        ("approve", {"reasons": ["low_effort"]}, "reasons"),
    ],
)
def test_decisions_need_feedback_and_known_reasons_where_spec_says(decision, fields, bad) -> None:
    a1 = assigned(R1)

    with pytest.raises(InvalidInput) as refused:
        decide((*IN_REVIEW, a1), a1, decision, **fields)

    assert bad in refused.value.fields


def test_only_the_assigned_reviewer_decides_and_only_once() -> None:
    a1 = assigned(R1)
    decided = decide((*IN_REVIEW, a1), a1, "approve")

    with pytest.raises(NotAllowed):
        decide((*IN_REVIEW, a1), a1, "approve", reviewer_id=R2)
    with pytest.raises(Conflict):
        decide((*IN_REVIEW, a1, *decided), a1, "approve")


def test_a_cancelled_task_ends_its_pending_review() -> None:
    a1 = assigned(R1)
    state = given(*IN_REVIEW, a1, TaskCancelled(TASK, "duplicate"))

    assert state.pending_assignment() is None
    with pytest.raises(Conflict):
        decide((*IN_REVIEW, a1, TaskCancelled(TASK, "duplicate")), a1, "approve")


# --- why a named reviewer may not take a review ---

ABLE = ReviewerFacts(
    reviewer_id=R2, is_reviewer=True, active=True, reviewer_level=2, skills=frozenset({"python"}),
    pending=1, capacity=5,
)  # fmt: skip


def approved(assignment: ReviewAssigned) -> ReviewDecided:
    return ReviewDecided(
        TASK, assignment.assignment_id, assignment.reviewer_id, assignment.layer, Decision.APPROVE, "", ()
    )


def at_layer_2(*more: object) -> TaskState:
    """Approved at layer 1 by R1; layer 2 under review by R3."""
    a1 = assigned(R1)
    return given(*IN_REVIEW, a1, approved(a1), TaskEnteredLayer(TASK, 2), *more)


def refusal(state: TaskState, facts: ReviewerFacts, required: tuple[str, ...] = ("python",)) -> InvalidInput:
    with pytest.raises(InvalidInput) as refused:
        check_named_reviewer(state, facts, required_skills=required)
    assert "reviewer" in refused.value.fields
    return refused.value


@pytest.mark.parametrize(
    ("change", "required", "code", "details"),
    [
        ({"is_reviewer": False}, ("python",), "not_a_reviewer", {}),
        ({"active": False}, ("python",), "reviewer_inactive", {}),
        ({"reviewer_id": CONTRIBUTOR}, ("python",), "own_work", {}),
        ({"reviewer_level": 1}, ("python",), "reviewer_level_too_low", {"reviewer_level": 1, "layer": 2}),
        ({}, ("python", "sql", "go"), "reviewer_missing_skill", {"missing_skills": ["go", "sql"]}),
        ({"pending": 5}, ("python",), "reviewer_at_capacity", {"pending": 5, "capacity": 5}),
    ],
)
def test_a_refused_named_reviewer_is_told_which_rule_they_broke(
    change: dict, required: tuple[str, ...], code: str, details: dict
) -> None:
    refused = refusal(at_layer_2(assigned(R3, layer=2, n=2)), replace(ABLE, **change), required)

    assert (refused.code, refused.details) == (code, {"rule": code, **details})


def test_a_reviewer_of_another_layer_or_passed_over_is_refused_by_name() -> None:
    a2 = assigned(R2, layer=2, n=2)
    passed_over = at_layer_2(a2, ReviewReassigned(TASK, a2.assignment_id, R2, "ops"))

    other_layer = refusal(at_layer_2(), replace(ABLE, reviewer_id=R1))
    over = refusal(passed_over, ABLE)

    assert (other_layer.code, other_layer.details) == (
        "reviewed_other_layer",
        {"rule": "reviewed_other_layer"},
    )
    assert (over.code, over.details) == ("reviewer_passed_over", {"rule": "reviewer_passed_over"})


def test_an_eligible_named_reviewer_passes() -> None:
    check_named_reviewer(at_layer_2(), ABLE, required_skills=("python",))
