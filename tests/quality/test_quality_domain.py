"""The quality figures' pure rules: rates, means, medians and when a reviewer is flagged."""

from __future__ import annotations

from decimal import Decimal

from quality.domain import (
    MIN_APPROVALS_TO_JUDGE,
    GoldRecord,
    OverturnRecord,
    contributor_flags,
    mean,
    median,
    project_overturn_median,
    rate,
    reviewer_flags,
)
from tasks.domain.quality import first_position_rate


def test_a_rate_with_nothing_to_divide_is_null_not_zero() -> None:
    assert rate(0, 0) is None
    assert rate(0, 4) == 0.0
    assert rate(1, 3) == 0.3333


def test_means_and_medians_of_nothing_are_null() -> None:
    assert mean(0, 0) is None
    assert mean(7, 2) == 3.5
    assert median([]) is None
    assert median([5.0, 1.0, 3.0]) == 3.0
    assert median([1.0, 2.0]) == 1.5


def test_the_project_median_counts_only_reviewers_with_enough_approvals() -> None:
    records = [
        OverturnRecord(1, MIN_APPROVALS_TO_JUDGE, 1),  # 0.1
        OverturnRecord(2, MIN_APPROVALS_TO_JUDGE * 2, 6),  # 0.3
        OverturnRecord(3, MIN_APPROVALS_TO_JUDGE - 1, 9),  # too few approvals to count
    ]
    assert project_overturn_median(records) == 0.2
    assert project_overturn_median([OverturnRecord(3, 1, 1)]) is None


def test_a_reviewer_overturned_twice_as_often_as_the_median_is_flagged() -> None:
    assert reviewer_flags(OverturnRecord(1, 20, 4), project_median=0.1) == ["overturned_often"]  # 0.2
    assert reviewer_flags(OverturnRecord(1, 20, 3), project_median=0.1) == []  # 0.15 < 0.2


def test_a_reviewer_is_not_flagged_on_too_little_evidence() -> None:
    too_few_approvals = OverturnRecord(1, MIN_APPROVALS_TO_JUDGE - 1, 5)
    one_overturn = OverturnRecord(2, MIN_APPROVALS_TO_JUDGE, 1)
    assert reviewer_flags(too_few_approvals, project_median=0.0) == []
    assert reviewer_flags(one_overturn, project_median=0.0) == []
    assert reviewer_flags(OverturnRecord(3, MIN_APPROVALS_TO_JUDGE, 2), project_median=None) == []


def test_when_the_median_reviewer_is_never_overturned_two_overturns_stand_out() -> None:
    assert reviewer_flags(OverturnRecord(1, MIN_APPROVALS_TO_JUDGE, 2), project_median=0.0) == [
        "overturned_often"
    ]


def test_a_contributor_is_flagged_for_position_bias_only_with_enough_judgments_and_a_small_p() -> None:
    assert contributor_flags(first_position=first_position_rate(first=20, decided=20)) == ["position_bias"]
    assert contributor_flags(first_position=first_position_rate(first=19, decided=19)) == []  # too few
    assert contributor_flags(first_position=first_position_rate(first=15, decided=20)) == []  # p = 0.041
    assert contributor_flags(first_position=first_position_rate(first=0, decided=0)) == []
    assert contributor_flags(first_position=None) == []


def test_gold_below_the_bar_needs_enough_answers_and_an_accuracy_strictly_under_it() -> None:
    bar = {"min_accuracy": Decimal("0.700"), "min_answers": 5}

    assert GoldRecord(5, 3, **bar).below_bar  # 0.6
    assert not GoldRecord(10, 7, **bar).below_bar  # exactly the bar
    assert not GoldRecord(4, 0, **bar).below_bar  # too few answers
    assert not GoldRecord(9, 0, min_accuracy=None, min_answers=5).below_bar  # no bar
    assert contributor_flags(first_position=None, gold=GoldRecord(5, 3, **bar), suspended=True) == [
        "gold_below_bar",
        "suspended",
    ]
