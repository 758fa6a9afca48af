"""Figures of a contributor's judgments that say whether they can be trusted. Pure: no Django.

*First-position rate*: among a contributor's non-tie preferences, the share for the response
they were shown first (the presented "A"), with the two-sided p-value of an exact binomial test
against one half. An honest judge's preferences do not depend on the order of presentation, so
a rate far from 0.5 with a small p-value says the position, not the content, chose.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from math import comb


def binomial_two_sided_p(successes: int, trials: int) -> float:
    """The exact two-sided p-value of ``successes`` in ``trials`` against a probability of one
    half: the probability of every outcome no more likely than the one observed (the method of
    ``scipy.stats.binomtest``). Computed with whole numbers, so it is exact for any ``trials``
    until the final division; 1.0 for no trials."""
    if not 0 <= successes <= trials:
        raise ValueError("successes must be from 0 to trials")
    if trials == 0:
        return 1.0
    observed = comb(trials, successes)
    # C(n, i) rises to the middle and falls after it: add the coefficients no larger than the
    # observed one, from both ends inwards.
    as_likely = 0
    coefficient = 1  # C(n, i), i from 0 up
    for i in range(trials // 2 + 1):
        if coefficient > observed:
            break
        as_likely += coefficient if 2 * i == trials else 2 * coefficient
        coefficient = coefficient * (trials - i) // (i + 1)
    return float(min(Fraction(as_likely, 2**trials), Fraction(1)))


@dataclass(frozen=True)
class FirstPositionRate:
    """``first`` of ``decided`` non-tie preferences chose the response shown first; ``rate`` and
    ``p_value`` are None with no such preference."""

    first: int
    decided: int
    rate: float | None
    p_value: float | None


def first_position_rate(*, first: int, decided: int) -> FirstPositionRate:
    """The first-position rate of ``decided`` non-tie preferences, ``first`` of which chose the
    response shown first, with its two-sided binomial p-value."""
    if decided == 0:
        return FirstPositionRate(first=0, decided=0, rate=None, p_value=None)
    return FirstPositionRate(
        first=first,
        decided=decided,
        rate=first / decided,
        p_value=binomial_two_sided_p(first, decided),
    )
