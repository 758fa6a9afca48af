"""The presentation order in the task decider, given / when / then, with no database: a claim
records its draw, a submission is stored canonical, a revision keeps its claim's order, old
events read as not swapped."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import reduce

from marlin.kernel import chance
from marlin.kernel.events import decode, encode
from tasks.domain.events import JudgmentSubmitted, TaskClaimed, TaskImported, TaskReleased
from tasks.domain.judgment import clean_judgment
from tasks.domain.presentation import canonical_judgment, prefers_first_shown
from tasks.domain.project import DEFAULT_CRITERIA, ProjectCreated, ProjectSettings
from tasks.domain.review_round import ChangesRequested
from tasks.domain.task import ProjectPolicy, TaskState, decide_claim, decide_submit, evolve
from tests.judgments import judgment

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
TASK = uuid.UUID(int=1)
PROJECT = ProjectPolicy(
    project_id=uuid.UUID(int=2), status="active", criteria=DEFAULT_CRITERIA, claim_timeout_minutes=120
)
IMPORTED = TaskImported(
    TASK, PROJECT.project_id, "ext-1", "prompt", "", "a", "b", "model-x", "model-y", (), 0,
    Decimal("280.00"), "USD", 1,
)  # fmt: skip
SCORES = {name: {"a": 4, "b": 2} for name in DEFAULT_CRITERIA}


def given(*events: object) -> TaskState:
    return reduce(evolve, events, TaskState())


def claimed(*, swapped: bool, contributor: int = 7) -> TaskClaimed:
    return TaskClaimed(TASK, contributor, NOW + timedelta(minutes=120), presented_swapped=swapped)


def submit(state: TaskState, **overrides: object) -> JudgmentSubmitted:
    [event] = decide_submit(
        state,
        contributor_id=7,
        judgment=clean_judgment(judgment(**overrides), DEFAULT_CRITERIA),
        submission_id=uuid.uuid4(),
        now=NOW,
    )
    assert isinstance(event, JudgmentSubmitted)
    return event


def test_the_claim_records_its_draw() -> None:
    [heads] = decide_claim(given(IMPORTED), contributor_id=7, project=PROJECT, now=NOW, coin=True)
    [tails] = decide_claim(given(IMPORTED), contributor_id=7, project=PROJECT, now=NOW, coin=False)

    assert heads == claimed(swapped=True)
    assert tails == claimed(swapped=False)
    assert given(IMPORTED, heads).presented_swapped is True


def test_a_project_with_randomize_order_off_never_swaps() -> None:
    fixed = replace(PROJECT, randomize_order=False)

    [event] = decide_claim(given(IMPORTED), contributor_id=7, project=fixed, now=NOW, coin=True)

    assert event == claimed(swapped=False)


def test_a_preference_for_a_shown_swapped_is_stored_as_b_with_the_scores_swapped() -> None:
    event = submit(given(IMPORTED, claimed(swapped=True)), preference="A", scores=SCORES)

    assert event.preference == "B"
    assert event.scores == {name: {"a": 2, "b": 4} for name in DEFAULT_CRITERIA}
    assert event.presented_swapped is True


def test_a_judgment_shown_in_the_imports_order_is_stored_as_sent() -> None:
    event = submit(given(IMPORTED, claimed(swapped=False)), preference="A", scores=SCORES)

    assert (event.preference, event.scores, event.presented_swapped) == ("A", SCORES, False)


def test_a_tie_stays_a_tie_and_its_scores_are_still_swapped() -> None:
    event = submit(given(IMPORTED, claimed(swapped=True)), preference="tie", strength=..., scores=SCORES)

    assert event.preference == "tie"
    assert event.scores["correctness"] == {"a": 2, "b": 4}


def test_a_revision_keeps_its_claims_order() -> None:
    state = given(IMPORTED, claimed(swapped=True))
    first = submit(state)
    revising = given(IMPORTED, claimed(swapped=True), first, ChangesRequested(TASK, 1, 9, 1))

    revision = submit(revising, preference="A")

    assert (revision.version, revision.preference, revision.presented_swapped) == (2, "B", True)


def test_a_new_claim_after_a_release_draws_again() -> None:
    released = given(IMPORTED, claimed(swapped=True), TaskReleased(TASK, 7, "released"))
    assert released.presented_swapped is False

    [again] = decide_claim(released, contributor_id=8, project=PROJECT, now=NOW, coin=False)

    assert again == claimed(swapped=False, contributor=8)


def test_swapping_a_judgment_twice_gives_it_back() -> None:
    sent = clean_judgment(judgment(preference="B", scores=SCORES), DEFAULT_CRITERIA)

    stored = canonical_judgment(sent, presented_swapped=True)

    assert stored.preference == "A"
    assert canonical_judgment(stored, presented_swapped=True) == sent


def test_the_first_shown_response_is_a_unless_swapped() -> None:
    assert prefers_first_shown("A", presented_swapped=False) is True
    assert prefers_first_shown("B", presented_swapped=True) is True
    assert prefers_first_shown("A", presented_swapped=True) is False
    assert prefers_first_shown("tie", presented_swapped=True) is None


# --- events stored before the order was recorded ---


def test_an_old_claim_event_reads_as_not_swapped() -> None:
    stored = {
        key: value for key, value in encode(claimed(swapped=True)).items() if key != "presented_swapped"
    }

    event = decode("TaskClaimed", 1, stored)

    assert event == claimed(swapped=False)


def test_an_old_submission_event_reads_as_not_swapped() -> None:
    new = submit(given(IMPORTED, claimed(swapped=False)))
    stored = {key: value for key, value in encode(new).items() if key != "presented_swapped"}

    assert decode("JudgmentSubmitted", 1, stored) == new


def test_an_old_project_reads_with_randomize_order_on() -> None:
    data = encode(ProjectCreated(uuid.UUID(int=3), ProjectSettings(name="Old", randomize_order=False)))
    del data["settings"]["randomize_order"]

    event = decode("ProjectCreated", 1, data)

    assert isinstance(event, ProjectCreated)
    assert event.settings.randomize_order is True


def test_the_new_events_are_written_at_their_new_schema_versions() -> None:
    assert (TaskClaimed.schema_version, JudgmentSubmitted.schema_version, ProjectCreated.schema_version) == (
        2,
        2,
        2,
    )


# --- the coin ---


def test_the_coin_draws_both_sides_when_not_pinned() -> None:
    with chance.pinned_coin(None):
        draws = {chance.coin() for _ in range(200)}  # both sides: a miss has odds 2**-199

    assert draws == {True, False}


def test_a_pinned_coin_falls_on_its_side_and_is_unpinned_after_the_block() -> None:
    with chance.pinned_coin(True):
        assert all(chance.coin() for _ in range(20))
        with chance.pinned_coin(False):
            assert not any(chance.coin() for _ in range(20))
        assert chance.coin() is True
