"""The task decider, given / when / then, with no database."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce

import pytest

from marlin.kernel.errors import Conflict, InvalidInput, NotAllowed, NotFound
from tasks.domain.events import (
    ClaimExpired,
    JudgmentSubmitted,
    TaskCancelled,
    TaskClaimed,
    TaskImported,
    TaskReleased,
)
from tasks.domain.judgment import clean_judgment
from tasks.domain.project import DEFAULT_CRITERIA
from tasks.domain.rows import TaskRow
from tasks.domain.task import (
    ProjectPolicy,
    TaskState,
    TaskStatus,
    check_may_claim,
    decide_cancel,
    decide_claim,
    decide_expire_claim,
    decide_import,
    decide_release,
    decide_submit,
    evolve,
    task_id_for,
)
from tests.judgments import judgment

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TASK = uuid.UUID(int=1)
PROJECT = ProjectPolicy(
    project_id=uuid.UUID(int=2), status="active", criteria=DEFAULT_CRITERIA, claim_timeout_minutes=120
)
ROW = TaskRow("ext-1", "prompt", "", "a", "b", "model-x", "model-y", ("python",), 3)
IMPORTED = TaskImported(
    TASK, PROJECT.project_id, "ext-1", "prompt", "", "a", "b", "model-x", "model-y", ("python",), 3,
    Decimal("280.00"), "USD", 1,
)  # fmt: skip
CLAIMED = TaskClaimed(TASK, 7, NOW + timedelta(minutes=120))


def given(*events: object) -> TaskState:
    return reduce(evolve, events, TaskState())


def submitted(version: int = 1, layer: int = 1) -> JudgmentSubmitted:
    body = judgment()
    return JudgmentSubmitted(
        TASK, uuid.uuid4(), 7, version, body["preference"], body["strength"], body["scores"],
        body["rationale"], body["time_spent_minutes"], layer,
    )  # fmt: skip


# --- import ---


def test_importing_a_new_task_records_the_project_rate_and_currency() -> None:
    events = decide_import(given(), task_id=TASK, row=ROW, row_number=1, project=PROJECT)

    assert events == [IMPORTED]
    assert given(*events).status == TaskStatus.OPEN


def test_importing_an_existing_task_records_nothing() -> None:
    assert decide_import(given(IMPORTED), task_id=TASK, row=ROW, row_number=1, project=PROJECT) == []


def test_importing_into_an_archived_project_is_refused() -> None:
    archived = ProjectPolicy(**{**PROJECT.__dict__, "status": "archived"})

    with pytest.raises(Conflict):
        decide_import(given(), task_id=TASK, row=ROW, row_number=1, project=archived)


def test_the_same_external_id_in_the_same_project_is_always_the_same_task() -> None:
    assert task_id_for(PROJECT.project_id, "x") == task_id_for(PROJECT.project_id, "x")
    assert task_id_for(PROJECT.project_id, "x") != task_id_for(uuid.UUID(int=3), "x")


# --- claim ---


def test_claiming_an_open_task_sets_the_claim_timeout_from_the_project() -> None:
    events = decide_claim(given(IMPORTED), contributor_id=7, project=PROJECT, now=NOW, coin=False)

    assert events == [CLAIMED]
    state = given(IMPORTED, *events)
    assert (state.status, state.contributor_id) == (TaskStatus.CLAIMED, 7)


@pytest.mark.parametrize("history", [(IMPORTED, CLAIMED), (IMPORTED, CLAIMED, submitted())])
def test_a_task_that_is_not_open_cannot_be_claimed(history: tuple) -> None:
    with pytest.raises(Conflict):
        decide_claim(given(*history), contributor_id=8, project=PROJECT, now=NOW, coin=False)


@pytest.mark.parametrize("status", ["paused", "archived"])
def test_a_project_that_is_not_active_hands_out_no_claims(status: str) -> None:
    project = ProjectPolicy(**{**PROJECT.__dict__, "status": status})

    with pytest.raises(Conflict):
        decide_claim(given(IMPORTED), contributor_id=7, project=project, now=NOW, coin=False)


def test_a_contributor_holding_a_claim_or_inactive_may_not_claim() -> None:
    with pytest.raises(Conflict):
        check_may_claim(active=True, held_task_id=TASK)
    with pytest.raises(NotAllowed):
        check_may_claim(active=False, held_task_id=None)
    check_may_claim(active=True, held_task_id=None)


def test_the_claim_held_refusal_names_the_held_task() -> None:
    with pytest.raises(Conflict) as refused:
        check_may_claim(active=True, held_task_id=TASK)

    assert refused.value.code == "claim_held"
    assert refused.value.details == {"task": str(TASK)}


def test_a_task_that_does_not_exist_cannot_be_claimed() -> None:
    with pytest.raises(NotFound):
        decide_claim(given(), contributor_id=7, project=PROJECT, now=NOW, coin=False)


# --- release and expiry ---


def test_the_claimant_releases_and_the_task_is_open_again() -> None:
    events = decide_release(given(IMPORTED, CLAIMED), contributor_id=7)

    assert events == [TaskReleased(TASK, 7, "released")]
    assert given(IMPORTED, CLAIMED, *events).status == TaskStatus.OPEN


def test_only_the_claimant_may_release() -> None:
    with pytest.raises(NotAllowed):
        decide_release(given(IMPORTED, CLAIMED), contributor_id=8)


def test_a_submitted_task_cannot_be_released() -> None:
    with pytest.raises(Conflict):
        decide_release(given(IMPORTED, CLAIMED, submitted()), contributor_id=7)


def test_a_claim_past_its_timeout_expires_and_the_task_reopens() -> None:
    later = NOW + timedelta(minutes=121)

    events = decide_expire_claim(given(IMPORTED, CLAIMED), now=later)

    assert events == [ClaimExpired(TASK, 7)]
    state = given(IMPORTED, CLAIMED, *events)
    assert (state.status, state.contributor_id) == (TaskStatus.OPEN, None)


def test_a_claim_within_its_timeout_does_not_expire() -> None:
    with pytest.raises(Conflict):
        decide_expire_claim(given(IMPORTED, CLAIMED), now=NOW + timedelta(minutes=119))


def test_a_released_task_has_no_claim_to_expire() -> None:
    with pytest.raises(Conflict):
        decide_expire_claim(
            given(IMPORTED, CLAIMED, TaskReleased(TASK, 7, "released")), now=NOW + timedelta(days=1)
        )


# --- submit ---


def submit(state: TaskState, contributor_id: int = 7, now: datetime = NOW, **overrides: object) -> list:
    cleaned = clean_judgment(judgment(**overrides), PROJECT.criteria)
    return decide_submit(
        state, contributor_id=contributor_id, judgment=cleaned, submission_id=uuid.UUID(int=9), now=now
    )


def test_the_claimant_submits_version_1_into_review_layer_1() -> None:
    [event] = submit(given(IMPORTED, CLAIMED))

    assert isinstance(event, JudgmentSubmitted)
    assert (event.version, event.layer, event.preference, event.strength) == (1, 1, "A", 2)
    state = given(IMPORTED, CLAIMED, event)
    assert (state.status, state.layer, state.submissions) == (TaskStatus.IN_REVIEW, 1, 1)


def test_someone_else_cannot_submit() -> None:
    with pytest.raises(NotAllowed):
        submit(given(IMPORTED, CLAIMED), contributor_id=8)


def test_an_expired_claim_cannot_submit_even_before_the_sweep() -> None:
    with pytest.raises(Conflict):
        submit(given(IMPORTED, CLAIMED), now=NOW + timedelta(minutes=121))


@pytest.mark.parametrize(
    "history",
    [(IMPORTED,), (IMPORTED, CLAIMED, submitted()), (IMPORTED, CLAIMED, TaskCancelled(TASK, "dup"))],
)
def test_submitting_outside_a_claim_or_a_change_request_is_refused(history: tuple) -> None:
    with pytest.raises((Conflict, NotAllowed)):
        submit(given(*history))


def test_an_invalid_judgment_is_refused_with_its_fields() -> None:
    with pytest.raises(InvalidInput) as refused:
        submit(given(IMPORTED, CLAIMED), rationale="too short", strength=7)

    assert set(refused.value.fields) == {"rationale", "strength"}


# --- cancel ---


@pytest.mark.parametrize("history", [(IMPORTED,), (IMPORTED, CLAIMED), (IMPORTED, CLAIMED, submitted())])
def test_ops_cancel_any_task_that_is_not_approved(history: tuple) -> None:
    events = decide_cancel(given(*history), reason="duplicate of ext-9")

    assert events == [TaskCancelled(TASK, "duplicate of ext-9")]
    assert given(*history, *events).status == TaskStatus.CANCELLED


def test_cancelling_needs_a_reason() -> None:
    with pytest.raises(InvalidInput):
        decide_cancel(given(IMPORTED), reason="   ")


def test_a_cancelled_task_cannot_be_cancelled_again() -> None:
    with pytest.raises(Conflict):
        decide_cancel(given(IMPORTED, TaskCancelled(TASK, "x")), reason="again")
