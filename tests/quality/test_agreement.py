"""Inter-rater agreement (``quality.agreement``): alpha reproduces Krippendorff's published worked
examples, percent agreement is pooled over pairs within a unit, the undefined cases are ``None``,
and each judge's agreement with the others is counted pair by pair. No database."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pytest

from quality.agreement import Agreement, agreement, agreement_with_others

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", the worked example for nominal
# data with any number of observers and missing values: four observers, twelve units, missing as
# None. Published alpha (nominal) = 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]
# Krippendorff (2011), the worked example for binary data, two observers, no missing values. Published
# alpha = 1 - (20 - 1) * 4 / (14 * 6) = 0.095.
TWO_OBSERVERS = [
    [0, 1, 0, 0, 0, 0, 0, 0, 1, 0],
    [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
]


def units_of(observers: Sequence[Sequence[Hashable | None]]) -> list[list[Hashable]]:
    """The observers-by-units table as units: each unit's present values, the missing left out."""
    return [[value for value in unit if value is not None] for unit in zip(*observers, strict=True)]


def test_alpha_reproduces_krippendorffs_worked_example_with_four_observers_and_missing_values():
    result = agreement(units_of(KRIPPENDORFF_2011))

    assert result.alpha == pytest.approx(0.743, abs=5e-4)
    # Exactly 113/152 (n = 40 pairable values); the krippendorff package (0.9.0) gives the same
    # 0.743421052631579.
    assert result.alpha == pytest.approx(113 / 152, abs=1e-12)
    # The last unit has a single value: not pairable.
    assert result.items == 11


def test_alpha_reproduces_krippendorffs_two_observer_binary_example():
    result = agreement(units_of(TWO_OBSERVERS))

    assert result.alpha == pytest.approx(0.095, abs=5e-4)
    assert result.alpha == pytest.approx(1 - 19 * 4 / (14 * 6), abs=1e-12)
    assert result.items == 10
    assert result.percent == pytest.approx(6 / 10)


def test_percent_agreement_pools_equal_pairs_over_all_pairs_within_units():
    # Per unit, (equal unordered pairs, unordered pairs): all eleven pairable units of the
    # four-observer example. A unit of three or four judgments weighs more than one of two.
    per_unit = [(3, 3), (3, 6), (6, 6), (6, 6), (6, 6), (0, 6), (6, 6), (3, 6), (6, 6), (3, 3), (1, 1)]
    expected = sum(equal for equal, _ in per_unit) / sum(pairs for _, pairs in per_unit)

    assert agreement(units_of(KRIPPENDORFF_2011)).percent == pytest.approx(expected)
    assert expected == pytest.approx(43 / 55)


def test_percent_agreement_is_not_the_mean_of_per_unit_rates():
    # One pair agreeing, then three judgments with one equal pair of three: pooled 2/4, not the
    # mean of 1 and 1/3.
    assert agreement([["A", "A"], ["A", "A", "B"]]).percent == pytest.approx(2 / 4)


def test_perfect_agreement_gives_alpha_one_and_percent_one():
    result = agreement([["A", "A"], ["B", "B", "B"], ["tie", "tie"]])

    assert result == Agreement(items=3, percent=1.0, alpha=1.0)


def test_alpha_is_undefined_when_every_value_is_the_same():
    # No disagreement is possible even by chance (D_e = 0): alpha is None, percent still 1.
    result = agreement([["A", "A"], ["A", "A", "A"], ["A"]])

    assert result == Agreement(items=2, percent=1.0, alpha=None)


def test_units_with_fewer_than_two_values_are_ignored():
    with_singles = agreement([["A"], ["A", "B"], [], ["B", "B"], ["tie"]])
    without = agreement([["A", "B"], ["B", "B"]])

    assert with_singles.items == 2
    assert with_singles == without


def test_no_pairable_unit_gives_no_figures():
    assert agreement([]) == Agreement(items=0, percent=None, alpha=None)
    assert agreement([["A"], [], ["B"]]) == Agreement(items=0, percent=None, alpha=None)


def test_values_may_be_any_hashable():
    labels = {1: "A", 2: "B", 3: "tie", 4: ("other", 4), 5: frozenset({"x"})}
    as_numbers = units_of(KRIPPENDORFF_2011)
    as_labels = [[labels[value] for value in unit] for unit in as_numbers]

    assert agreement(as_labels) == agreement(as_numbers)
    assert agreement([["A", "B"], ["tie", "tie"], ["A", "A", "tie"]]).items == 3


def test_units_may_be_given_once_as_a_generator_in_any_order():
    units = units_of(KRIPPENDORFF_2011)

    assert agreement(unit for unit in units) == agreement(units)
    assert agreement(reversed(units)) == agreement(units)


def test_agreement_with_others_counts_each_judges_pairs_with_the_other_judges():
    units = [
        [("ann", "A"), ("bob", "A"), ("cy", "B")],  # ann 1/2, bob 1/2, cy 0/2
        [("ann", "tie"), ("bob", "B")],  # ann 0/1, bob 0/1
        [("cy", "A")],  # no pair
        [("dee", "A")],  # dee never shares a unit: no entry
    ]

    assert agreement_with_others(units) == {"ann": (1, 3), "bob": (1, 3), "cy": (0, 2)}


def test_agreement_with_others_does_not_compare_a_judge_with_themselves():
    # ann judged the unit twice: each of her judgments is compared with bob's only.
    units = [[("ann", "A"), ("ann", "A"), ("bob", "A")], [("cy", "B"), ("cy", "A")]]

    assert agreement_with_others(units) == {"ann": (2, 2), "bob": (2, 2)}


def test_agreement_with_others_adds_up_to_twice_the_pooled_pairs():
    # With one judgment per judge per unit, every pair counts once for each of its two judges.
    units = [
        [(judge, value) for judge, value in enumerate(unit) if value is not None]
        for unit in zip(*KRIPPENDORFF_2011, strict=True)
    ]
    tallies = agreement_with_others(units)

    assert sum(agreeing for agreeing, _ in tallies.values()) == 2 * 43
    assert sum(pairs for _, pairs in tallies.values()) == 2 * 55
