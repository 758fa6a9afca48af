"""Inter-rater agreement on nominal judgments: pure functions, no database.

A *unit* is one thing that was judged (a task, a pair of answers); its judgments are the values
the judges gave it (``'A'``, ``'B'``, ``'tie'``, any hashable). Values are nominal: two
judgments agree when they are equal and disagree otherwise, with no notion of "nearly equal".
A unit with fewer than two judgments cannot show agreement or disagreement, so it is not
*pairable* and is left out of every figure (including ``n`` in alpha, as Krippendorff does).

Percent agreement is pooled over pairs, not averaged over units: over every pairable unit, the
number of unordered pairs of its judgments that are equal, summed, divided by the number of
unordered pairs, summed (a unit with ``m`` judgments has ``m (m - 1) / 2`` pairs). A unit judged
by more people therefore weighs more, as it carries more evidence. Counting ordered pairs instead
would double numerator and denominator alike and give the same figure.

Percent agreement ignores agreement expected by chance: two judges who both answer ``'A'`` 95%
of the time agree about 90% of the time without looking. Krippendorff's alpha corrects for it:
``alpha = 1 - D_o / D_e``, the observed disagreement over the disagreement expected if the same
values were handed out at random. It is 1 for perfect agreement, 0 for agreement at chance level
and negative for systematic disagreement. It accepts any number of judges per unit and missing
judgments. The computation follows Krippendorff (2011), "Computing Krippendorff's
Alpha-Reliability", with the coincidence matrix
``o_ck = sum_u (number of ordered c-k pairs of judgments in u) / (m_u - 1)``, ``n_c = sum_k o_ck``
and ``n = sum_c n_c`` (the number of pairable judgments). For the nominal metric this reduces to

    alpha = ((n - 1) * sum_c o_cc - sum_c n_c (n_c - 1)) / (n (n - 1) - sum_c n_c (n_c - 1))

When every pairable judgment has the same value, no disagreement is possible, even by chance
(``D_e = 0``), and alpha is undefined: ``None``, not 1.0, since the data cannot tell reliable
judges from judges who always give the same answer.

The sums are exact (``Fraction``) and only the results are rounded to ``float``, so the figures
do not depend on the order of the units.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)


@dataclass(frozen=True)
class Agreement:
    items: int  # pairable units: those with two or more judgments
    percent: float | None  # pooled share of equal pairs of judgments within a unit; None without pairs
    alpha: float | None  # Krippendorff's alpha, nominal; None without pairs or without any variation


def _equal_pairs(counts: Counter[Hashable]) -> int:
    """Unordered pairs of equal judgments in a unit whose values occur ``counts`` times."""
    return sum(k * (k - 1) // 2 for k in counts.values())


def agreement(units: Iterable[Sequence[Hashable]]) -> Agreement:
    """Each unit is the list of values (e.g. ``'A'``, ``'B'``, ``'tie'``) the judges gave it; units
    with fewer than two values are not pairable and ignored."""
    items = 0
    agreeing_pairs = 0
    pairs = 0
    coincident = Fraction(0)  # sum_c o_cc
    totals: Counter[Hashable] = Counter()  # n_c
    for unit in units:
        m = len(unit)
        if m < 2:
            continue
        items += 1
        counts = Counter(unit)
        equal = _equal_pairs(counts)
        agreeing_pairs += equal
        pairs += m * (m - 1) // 2
        # o_cc gains n_uc (n_uc - 1) / (m_u - 1): the ordered equal pairs, weighted 1 / (m_u - 1)
        # so that every judgment contributes one pairable value in total.
        coincident += Fraction(2 * equal, m - 1)
        totals.update(counts)
    if not items:
        return Agreement(items=0, percent=None, alpha=None)
    n = sum(totals.values())
    chance = sum(k * (k - 1) for k in totals.values())  # sum_c n_c (n_c - 1)
    expected = n * (n - 1) - chance  # (n - 1) * D_e, up to the same factor as the numerator
    alpha = None if expected == 0 else float(((n - 1) * coincident - chance) / expected)
    return Agreement(items=items, percent=agreeing_pairs / pairs, alpha=alpha)


def agreement_with_others(units: Iterable[Sequence[tuple[Key, Hashable]]]) -> dict[Key, tuple[int, int]]:
    """Each unit is a sequence of ``(judge, value)`` judgments. For each judge, ``(agreeing, pairs)``
    over the pairs formed by one of that judge's judgments and one of another judge's judgments in
    the same unit, so ``agreeing / pairs`` is how often the judge agrees with the others.

    A pair between two different judges counts once for each of them. Two judgments by the same
    judge in one unit are not compared with each other (that would be self-consistency, not
    agreement with others), though each is compared with the other judges'. A judge who never
    shares a unit with another judge gets no entry, so every ``pairs`` returned is positive.
    """
    tallies: dict[Key, tuple[int, int]] = {}
    for unit in units:
        if len(unit) < 2:
            continue
        values = Counter(value for _, value in unit)
        judged = Counter(judge for judge, _ in unit)
        own = Counter(unit)  # (judge, value) -> how often this judge gave this value here
        for judge, value in unit:
            # Every judgment of the unit except this judge's own (this one included).
            others = len(unit) - judged[judge]
            if not others:
                continue
            agreeing = values[value] - own[judge, value]
            before = tallies.get(judge, (0, 0))
            tallies[judge] = (before[0] + agreeing, before[1] + others)
    return tallies
