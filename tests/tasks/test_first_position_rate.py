"""The first-position rate and its exact two-sided binomial p-value (pure)."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest

from tasks.domain.quality import FirstPositionRate, binomial_two_sided_p, first_position_rate


@pytest.mark.parametrize(
    ("successes", "trials", "expected"),
    [
        (7, 10, 0.34375),  # scipy.stats.binomtest(7, 10).pvalue
        (0, 20, 1.9073486328125e-06),
        (10, 20, 1.0),
        (15, 20, 0.04138946533203125),
        (5, 20, 0.04138946533203125),
        (3, 5, 1.0),
        (0, 1, 1.0),
        (0, 0, 1.0),
    ],
)
def test_the_p_value_matches_scipys_binomtest(successes: int, trials: int, expected: float) -> None:
    assert binomial_two_sided_p(successes, trials) == pytest.approx(expected, rel=1e-12)


def _by_definition(successes: int, trials: int) -> float:
    """Every outcome no more likely than the observed one, summed exactly."""
    pmf = [Fraction(math.comb(trials, i), 2**trials) for i in range(trials + 1)]
    return float(min(Fraction(1), sum(p for p in pmf if p <= pmf[successes])))


@pytest.mark.parametrize("trials", [1, 2, 3, 9, 10, 31, 64])
def test_the_p_value_is_the_sum_of_every_outcome_no_more_likely(trials: int) -> None:
    for successes in range(trials + 1):
        assert binomial_two_sided_p(successes, trials) == _by_definition(successes, trials)


def test_the_p_value_stays_exact_for_thousands_of_judgments() -> None:
    # 1,900 of 4,000: the normal approximation with a continuity correction says about 0.00165;
    # the tail summed in logarithms (lgamma) agrees with the exact value to many places.
    def log_pmf(i: int, n: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) - n * math.log(2)

    tail = 2 * sum(math.exp(log_pmf(i, 4000)) for i in range(1901))

    assert binomial_two_sided_p(1900, 4000) == pytest.approx(tail, rel=1e-9)
    assert binomial_two_sided_p(1900, 4000) == pytest.approx(0.00165, rel=0.01)
    assert binomial_two_sided_p(2500, 5000) == 1.0


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="from 0 to trials"):
        binomial_two_sided_p(11, 10)


def test_the_rate_is_the_share_for_the_response_shown_first() -> None:
    assert first_position_rate(first=15, decided=20) == FirstPositionRate(
        first=15, decided=20, rate=0.75, p_value=0.04138946533203125
    )


def test_with_no_decided_preference_there_is_no_rate() -> None:
    assert first_position_rate(first=0, decided=0) == FirstPositionRate(0, 0, None, None)
