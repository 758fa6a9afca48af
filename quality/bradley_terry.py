"""The model leaderboard's arithmetic: pure functions, no database.

Judgments are tallied per pair of models (``Tally``); the Bradley-Terry model gives each model a
strength ``p`` such that ``i`` beats ``j`` with probability ``p_i / (p_i + p_j)``. The strengths
are the maximum-likelihood estimate, found with Hunter's MM algorithm (Hunter 2004, "MM
algorithms for generalized Bradley-Terry models"): ``p_i <- W_i / sum_j n_ij / (p_i + p_j)``,
repeated until no strength moves by more than ``TOLERANCE`` (relative) between two rounds. A tie
counts as half a win for each side.

A model that never lost (or never won) has no finite maximum-likelihood strength, and nor does a
group of models never compared with the rest. So the leaderboard adds ``PRIOR`` to every model:
one virtual game against an average opponent (strength 1, the geometric mean of the strengths,
which every MM round restores), drawn (half a win, half a loss). It pulls every strength a little
towards the middle, by much less than its interval once a model has a few dozen judgments, and
makes every rating finite.

Ratings are on the Elo scale: ``1000 + 400 * log10(p)``, shifted so their mean is 1000 (400
points is a factor of ten in the odds of winning; 200 points is about 3 to 1, a 76% chance).

The 95% interval is a percentile bootstrap: ``SAMPLES`` resamples of the judgments with
replacement, drawn with ``random.Random(SEED)`` so the same data always gives the same interval.
A resample is drawn in aggregated form (a multinomial over the observed (pair, outcome) cells,
which is what drawing the judgments one by one gives) and fitted starting from the point
estimate, so 100,000 judgments cost the same as 100.
"""

from __future__ import annotations

import math
import random
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field

TOLERANCE = 1e-9  # the largest relative change of a strength between MM rounds, at convergence
BOOTSTRAP_TOLERANCE = 1e-5  # a resample's fit: 1e-5 relative is under 0.01 rating points
MAX_ROUNDS = 100_000
PRIOR = 0.5  # virtual half-win and half-loss of every model against an average opponent
SAMPLES = 200  # bootstrap resamples
SEED = 20040101  # the bootstrap's fixed seed
BASE, SCALE = 1000.0, 400.0

A_WINS, B_WINS, TIE = 0, 1, 2


@dataclass
class Tally:
    """Judgments counted per unordered pair of models: ``cells[(i, j)]`` with ``i < j`` (model
    indices) holds [wins of i, wins of j, ties], so the order a pair was shown in never matters."""

    models: list[Hashable] = field(default_factory=list)
    index: dict[Hashable, int] = field(default_factory=dict)
    cells: dict[tuple[int, int], list[int]] = field(default_factory=dict)

    def model(self, name: Hashable) -> int:
        if name not in self.index:
            self.index[name] = len(self.models)
            self.models.append(name)
        return self.index[name]

    def add(self, model_a: Hashable, model_b: Hashable, preference: str, count: int = 1) -> None:
        """One judgment (``count`` of them) of ``model_a`` against ``model_b``: "A", "B" or "tie"."""
        a, b = self.model(model_a), self.model(model_b)
        if a == b:
            return  # a model compared with itself says nothing about its strength
        outcome = {"A": A_WINS, "B": B_WINS}.get(preference, TIE)
        if a > b:
            a, b = b, a
            outcome = {A_WINS: B_WINS, B_WINS: A_WINS}.get(outcome, TIE)
        self.cells.setdefault((a, b), [0, 0, 0])[outcome] += count

    def canonical(self) -> Tally:
        """The same counts with the models numbered by name and the cells in that order: what the
        bootstrap draws no longer depends on the order the judgments came in."""
        ordered = Tally()
        for name in sorted(self.models, key=str):
            ordered.model(name)
        for (i, j), (i_wins, j_wins, ties) in self.cells.items():
            for preference, count in (("A", i_wins), ("B", j_wins), ("tie", ties)):
                if count:
                    ordered.add(self.models[i], self.models[j], preference, count)
        ordered.cells = dict(sorted(ordered.cells.items()))
        return ordered

    @property
    def judgments(self) -> int:
        return sum(sum(counts) for counts in self.cells.values())


@dataclass(frozen=True)
class Pairs:
    """What the MM fit needs: per pair ``(i, j, n_ij)`` and per model its (half-)wins."""

    size: int
    pairs: list[tuple[int, int, float]]
    wins: list[float]


def pairs_of(size: int, cells: dict[tuple[int, int], Sequence[int]]) -> Pairs:
    wins = [0.0] * size
    pairs = []
    for (i, j), (i_wins, j_wins, ties) in cells.items():
        total = i_wins + j_wins + ties
        if not total:
            continue
        wins[i] += i_wins + ties / 2
        wins[j] += j_wins + ties / 2
        pairs.append((i, j, float(total)))
    return Pairs(size, pairs, wins)


def fit(
    data: Pairs,
    *,
    prior: float = PRIOR,
    start: Sequence[float] | None = None,
    tolerance: float = TOLERANCE,
) -> list[float]:
    """The Bradley-Terry strengths by MM. With ``prior`` 0 this is the plain maximum-likelihood
    estimate (it exists only when every model both won and lost, in a connected comparison
    graph). Strengths are kept at a geometric mean of 1 after every round, so the prior's
    virtual opponent (strength 1) is always the average model."""
    n = data.size
    strengths = list(start) if start else [1.0] * n
    wins = [w + prior for w in data.wins]
    for _ in range(MAX_ROUNDS):
        denominators = [2 * prior / (s + 1.0) for s in strengths]
        for i, j, games in data.pairs:
            share = games / (strengths[i] + strengths[j])
            denominators[i] += share
            denominators[j] += share
        updated = [w / d if d else 1.0 for w, d in zip(wins, denominators, strict=True)]
        updated = _geometric_mean_one(updated)  # the virtual opponent stays average
        change = max(
            (abs(new - old) / old for new, old in zip(updated, strengths, strict=True) if old), default=0.0
        )
        strengths = updated
        if change < tolerance:
            return strengths
    raise ArithmeticError("the Bradley-Terry fit did not converge")  # pragma: no cover


def _geometric_mean_one(strengths: list[float]) -> list[float]:
    scale = math.exp(sum(math.log(s) for s in strengths) / len(strengths))
    return [s / scale for s in strengths]


def ratings(strengths: Sequence[float]) -> list[float]:
    """Elo-scale ratings, shifted so their mean is ``BASE``."""
    raw = [SCALE * math.log10(s) for s in strengths]
    shift = BASE - sum(raw) / len(raw) if raw else 0.0
    return [r + shift for r in raw]


def bootstrap(
    tally: Tally, start: Sequence[float], *, samples: int = SAMPLES, seed: int = SEED
) -> list[list[float]]:
    """``samples`` resampled rating vectors (one rating per model each)."""
    rng = random.Random(seed)
    keys = list(tally.cells)
    counts = [count for key in keys for count in tally.cells[key]]
    total = sum(counts)
    found = []
    for _ in range(samples):
        drawn = multinomial(rng, total, counts)
        cells = {key: drawn[3 * k : 3 * k + 3] for k, key in enumerate(keys)}
        strengths = fit(pairs_of(len(tally.models), cells), start=start, tolerance=BOOTSTRAP_TOLERANCE)
        found.append(ratings(strengths))
    return found


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q`` quantile (0..1), interpolated between neighbours as numpy's default does."""
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def multinomial(rng: random.Random, total: int, weights: Sequence[int]) -> list[int]:
    """``total`` draws over cells in proportion to ``weights``: a binomial per cell, conditional on
    the cells before it (exactly the multinomial distribution)."""
    left, weight_left = total, float(sum(weights))
    drawn = []
    for weight in weights:
        if left <= 0 or weight_left <= 0:
            drawn.append(0)
            continue
        k = binomial(rng, left, min(1.0, weight / weight_left))
        drawn.append(k)
        left -= k
        weight_left -= weight
    return drawn


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw: counting geometric gaps when ``n * p`` is small, else Hörmann's BTRS
    transformed rejection (1993), as Python 3.12's ``random.binomialvariate`` does."""
    if n <= 0 or p <= 0.0:
        return 0
    if p >= 1.0:
        return n
    if p > 0.5:
        return n - binomial(rng, n, 1.0 - p)
    if n * p < 10.0:
        log_q = math.log(1.0 - p)
        successes = position = 0
        while True:
            position += math.floor(math.log(1.0 - rng.random()) / log_q) + 1
            if position > n:
                return successes
            successes += 1
    spq = math.sqrt(n * p * (1.0 - p))
    b = 1.15 + 2.53 * spq
    a = -0.0873 + 0.0248 * b + 0.01 * p
    c = n * p + 0.5
    v_r = 0.92 - 4.2 / b
    alpha = (2.83 + 5.1 / b) * spq
    lpq = math.log(p / (1.0 - p))
    m = math.floor((n + 1) * p)
    h = math.lgamma(m + 1) + math.lgamma(n - m + 1)
    while True:
        u = rng.random() - 0.5
        v = rng.random()
        us = 0.5 - abs(u)
        k = math.floor((2.0 * a / us + b) * u + c)
        if k < 0 or k > n:
            continue
        if us >= 0.07 and v <= v_r:
            return k
        v *= alpha / (a / (us * us) + b)
        if math.log(v) <= h - math.lgamma(k + 1) - math.lgamma(n - k + 1) + (k - m) * lpq:
            return k


@dataclass(frozen=True)
class Rated:
    model: Hashable
    rating: float
    ci_low: float
    ci_high: float


def rate(tally: Tally, *, samples: int = SAMPLES, seed: int = SEED) -> list[Rated]:
    """Every model's rating and 95% bootstrap interval, best first (ties of rating by name)."""
    if not tally.models:
        return []
    tally = tally.canonical()
    strengths = fit(pairs_of(len(tally.models), tally.cells))
    point = ratings(strengths)
    resampled = bootstrap(tally, strengths, samples=samples, seed=seed)
    rated = []
    for i, model in enumerate(tally.models):
        values = sorted(sample[i] for sample in resampled)
        low, high = (percentile(values, 0.025), percentile(values, 0.975)) if values else (None, None)
        rated.append(Rated(model, point[i], low, high))
    return sorted(rated, key=lambda r: (-r.rating, str(r.model)))
