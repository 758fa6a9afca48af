"""A judgment is checked exactly as SPEC says; every offending field is named."""

from __future__ import annotations

from typing import Any

import pytest

from marlin.kernel.errors import InvalidInput
from tasks.domain.judgment import clean_judgment
from tasks.domain.project import DEFAULT_CRITERIA
from tests.judgments import judgment


def refusal(**overrides: Any) -> dict[str, Any]:
    with pytest.raises(InvalidInput) as refused:
        clean_judgment(judgment(**overrides), DEFAULT_CRITERIA)
    return refused.value.fields


def test_a_complete_judgment_is_accepted() -> None:
    cleaned = clean_judgment(judgment(), DEFAULT_CRITERIA)

    assert cleaned.preference == "A"
    assert set(cleaned.scores) == set(DEFAULT_CRITERIA)


def test_a_tie_has_no_strength() -> None:
    assert clean_judgment(judgment(preference="tie", strength=...), DEFAULT_CRITERIA).strength is None
    assert "strength" in refusal(preference="tie", strength=1)


@pytest.mark.parametrize("strength", [None, 0, 4, "2", True, 2.0])
def test_a_preference_for_a_or_b_needs_a_strength_of_1_2_or_3(strength: Any) -> None:
    assert "strength" in refusal(strength=strength)


@pytest.mark.parametrize("preference", ["a", "C", "", None, 1])
def test_preference_is_a_b_or_tie(preference: Any) -> None:
    assert "preference" in refusal(preference=preference)


def test_every_criterion_needs_a_score_for_a_and_b_and_no_others() -> None:
    scores = {name: {"a": 3, "b": 3} for name in DEFAULT_CRITERIA[1:]}
    scores["efficiency"] = {"a": 6, "b": 0, "c": 3}
    scores["vibes"] = {"a": 5, "b": 5}

    fields = refusal(scores=scores)["scores"]

    assert fields["correctness"] == ["a score for A and B is required"]
    assert set(fields["efficiency"]) == {"a", "b", "c"}
    assert fields["vibes"] == ["not a criterion of this project"]


@pytest.mark.parametrize("value", [1.5, "4", True, None])
def test_scores_are_whole_numbers(value: Any) -> None:
    scores = {name: {"a": 3, "b": 3} for name in DEFAULT_CRITERIA}
    scores["readability"]["a"] = value

    assert "readability" in refusal(scores=scores)["scores"]


def test_rationale_is_at_least_50_characters_not_counting_padding() -> None:
    assert "rationale" in refusal(rationale="x" * 49)
    assert "rationale" in refusal(rationale=" " * 60 + "short")
    assert clean_judgment(judgment(rationale="y" * 50), DEFAULT_CRITERIA)


@pytest.mark.parametrize("minutes", [0, 1441, -5, "60", 30.5])
def test_time_spent_is_1_to_1440_minutes(minutes: Any) -> None:
    assert "time_spent_minutes" in refusal(time_spent_minutes=minutes)


def test_unknown_fields_are_refused() -> None:
    assert refusal(model_a="guess")["model_a"] == ["unknown field"]


def test_all_offending_fields_are_reported_at_once() -> None:
    fields = refusal(preference="Z", rationale="", time_spent_minutes=0, scores=[])

    assert set(fields) >= {"preference", "rationale", "time_spent_minutes", "scores"}
