"""Gold rules, pure: the gold answer a row may carry, scoring a gold submission, and the bar
that suspends a contributor (given events, when command, then events)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from marlin.kernel.errors import Conflict, InvalidInput, NotFound
from marlin.kernel.events import decode, encode
from tasks.domain.events import JudgmentSubmitted, TaskApproved, TaskClaimed, TaskImported, TaskRejected
from tasks.domain.gold import (
    GOLD_MISMATCH,
    ContributorSuspended,
    GoldAnswer,
    GoldBar,
    GoldScored,
    GoldTally,
    Standing,
    SuspensionLifted,
    below_bar,
    clean_gold,
    decide_lift,
    decide_suspension,
    evolve_standing,
    gold_from_columns,
    parse_accuracy,
)
from tasks.domain.project import clean_settings
from tasks.domain.task import TaskState, TaskStatus, decide_gold_score, evolve

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
TASK = uuid.UUID("00000000-0000-0000-0000-00000000000a")
PROJECT = uuid.UUID("00000000-0000-0000-0000-0000000000b0")
ALICE = 7
GOLD = GoldAnswer("B", "B handles the empty list; A raises IndexError on it.")


def given(*events) -> TaskState:
    state = TaskState()
    for event in events:
        state = evolve(state, event)
    return state


def imported(gold: GoldAnswer | None = GOLD) -> TaskImported:
    return TaskImported(
        TASK, PROJECT, "g1", "prompt", "", "a", "b", "m1", "m2", (), 0, Decimal("280.00"), "USD", 1, gold
    )


def submitted(preference: str, *, gold: bool = True) -> JudgmentSubmitted:
    return JudgmentSubmitted(TASK, uuid.uuid4(), ALICE, 1, preference, None, {}, "r" * 60, 30, 1, gold)


def in_review(preference: str = "B") -> TaskState:
    return given(imported(), TaskClaimed(TASK, ALICE, NOW), submitted(preference))


# --- the gold a row may carry --------------------------------------------------------------------------


def test_a_row_without_gold_is_an_ordinary_task() -> None:
    assert clean_gold(None) is None
    assert gold_from_columns("", "") is None
    assert gold_from_columns(None, "  ") is None


def test_gold_takes_a_canonical_preference_and_an_explanation() -> None:
    assert clean_gold({"preference": "tie", "explanation": " Both are right. "}) == GoldAnswer(
        "tie", "Both are right."
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"preference": "C", "explanation": "x"}, "preference must be A, B or tie"),
        ({"preference": "a", "explanation": "x"}, "preference must be A, B or tie"),
        ({"preference": "A"}, "explanation is required"),
        ({"preference": "A", "explanation": "   "}, "explanation is required"),
        ({"preference": "A", "explanation": "x", "model": "m1"}, "unknown keys"),
        ("A", "must be an object"),
    ],
)
def test_bad_gold_is_refused_with_what_is_wrong(raw, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        clean_gold(raw)


def test_csv_columns_make_the_gold_object_and_a_half_filled_pair_is_checked() -> None:
    assert gold_from_columns("A", "because") == {"preference": "A", "explanation": "because"}
    with pytest.raises(ValueError, match="preference"):
        clean_gold(gold_from_columns("", "an explanation without a preference"))


def test_events_recorded_before_gold_read_as_not_gold() -> None:
    old_import = {k: v for k, v in encode(imported()).items() if k != "gold"}
    old_submission = {k: v for k, v in encode(submitted("A")).items() if k != "gold"}

    assert decode("TaskImported", 1, old_import).gold is None
    assert decode("JudgmentSubmitted", 1, old_submission).gold is False
    assert decode("TaskImported", 2, encode(imported())).gold == GOLD


# --- scoring ---------------------------------------------------------------------------------------------


def test_the_import_makes_the_task_gold_and_its_submission_says_so() -> None:
    state = given(imported())

    assert state.gold == GOLD
    assert not given(imported(None)).gold


def test_a_gold_submission_never_awaits_a_reviewer() -> None:
    assert in_review().status == TaskStatus.IN_REVIEW
    assert not in_review().awaits_reviewer()


def test_a_matching_preference_is_scored_and_approved_at_the_task_rate() -> None:
    events = decide_gold_score(in_review("B"), submission_version=1, preference="B", now=NOW)

    assert events == [
        GoldScored(TASK, PROJECT, ALICE, 1, 1, "B", "B", True, "", ()),
        TaskApproved(TASK, PROJECT, ALICE, Decimal("280.00"), "USD", NOW),
    ]


def test_a_mismatch_is_rejected_with_gold_mismatch_and_the_explanation_as_feedback() -> None:
    events = decide_gold_score(in_review("A"), submission_version=1, preference="A", now=NOW)

    assert events == [
        GoldScored(TASK, PROJECT, ALICE, 1, 1, "A", "B", False, GOLD.explanation, (GOLD_MISMATCH,)),
        TaskRejected(TASK, 1, None),
    ]


def test_a_tie_matches_only_a_tie() -> None:
    state = given(imported(GoldAnswer("tie", "Equal.")), TaskClaimed(TASK, ALICE, NOW), submitted("tie"))

    [scored, outcome] = decide_gold_score(state, submission_version=1, preference="tie", now=NOW)
    [missed, _] = decide_gold_score(in_review("tie"), submission_version=1, preference="tie", now=NOW)

    assert scored.matched
    assert isinstance(outcome, TaskApproved)
    assert not missed.matched


def test_a_scored_task_is_not_scored_again() -> None:
    state = in_review("B")
    for event in decide_gold_score(state, submission_version=1, preference="B", now=NOW):
        state = evolve(state, event)

    assert state.status == TaskStatus.APPROVED
    assert decide_gold_score(state, submission_version=1, preference="B", now=NOW) == []


def test_an_ordinary_task_is_never_scored() -> None:
    state = given(imported(None), TaskClaimed(TASK, ALICE, NOW), submitted("B", gold=False))

    with pytest.raises(Conflict):
        decide_gold_score(state, submission_version=1, preference="B", now=NOW)


# --- the bar ---------------------------------------------------------------------------------------------

BAR = GoldBar(Decimal("0.800"), 5)


@pytest.mark.parametrize(
    ("answers", "correct", "below"),
    [
        (4, 0, False),  # too few answers to judge
        (5, 4, False),  # 0.8 is the bar itself: not below it
        (5, 3, True),  # 0.6
        (10, 7, True),  # 0.7
        (10, 8, False),
    ],
)
def test_below_the_bar_needs_enough_answers_and_an_accuracy_strictly_below(answers, correct, below) -> None:
    assert below_bar(GoldTally(answers, correct), BAR) is below


def test_an_off_bar_suspends_nobody() -> None:
    assert not below_bar(GoldTally(50, 0), GoldBar(None, 5))


def test_below_the_bar_suspends_once() -> None:
    suspension_id = uuid.uuid4()
    events = decide_suspension(
        Standing(),
        tally=GoldTally(5, 3),
        bar=BAR,
        project_id=PROJECT,
        contributor_id=ALICE,
        suspension_id=suspension_id,
    )
    assert events == [ContributorSuspended(suspension_id, PROJECT, ALICE, 5, 3, Decimal("0.800"), 5)]

    suspended = evolve_standing(Standing(), events[0])
    again = decide_suspension(
        suspended,
        tally=GoldTally(6, 3),
        bar=BAR,
        project_id=PROJECT,
        contributor_id=ALICE,
        suspension_id=uuid.uuid4(),
    )
    assert again == []


def test_a_lift_ends_the_suspension_once() -> None:
    suspension_id = uuid.uuid4()
    suspended = evolve_standing(
        Standing(), ContributorSuspended(suspension_id, PROJECT, ALICE, 5, 1, BAR.min_accuracy, 5)
    )

    [lifted] = decide_lift(suspended, project_id=PROJECT, contributor_id=ALICE)

    assert lifted == SuspensionLifted(suspension_id, PROJECT, ALICE)
    with pytest.raises(Conflict) as refused:
        decide_lift(evolve_standing(suspended, lifted), project_id=PROJECT, contributor_id=ALICE)
    assert refused.value.code == "not_suspended"


def test_nobody_never_suspended_has_a_suspension_to_lift() -> None:
    with pytest.raises(NotFound):
        decide_lift(Standing(), project_id=PROJECT, contributor_id=ALICE)


@pytest.mark.parametrize(
    ("raw", "parsed"),
    [(None, None), ("0.8", Decimal("0.800")), (1, Decimal("1.000")), (Decimal("0.125"), Decimal("0.125"))],
)
def test_the_accuracy_bar_is_null_or_a_fraction(raw, parsed) -> None:
    assert parse_accuracy(raw) == parsed


@pytest.mark.parametrize("raw", ["1.5", -0.1, "0.1234", "NaN", True, "high"])
def test_a_bar_outside_0_to_1_or_too_precise_is_refused(raw) -> None:
    with pytest.raises(ValueError, match=r"number from 0 to 1|decimal places"):
        parse_accuracy(raw)


def test_gold_mismatch_is_the_gold_scores_own_reason_code_never_a_projects() -> None:
    with pytest.raises(InvalidInput) as refused:
        clean_settings({"reason_codes": ["low_effort", "gold_mismatch"]})

    assert "reserved" in refused.value.fields["reason_codes"][0]
