"""The leaderboard's arithmetic (``quality.bradley_terry``, ``quality.leaderboard``): the fit
reproduces a published maximum-likelihood example, ties are half wins, the order a pair was shown
in changes nothing, and the bootstrap interval is reproducible and holds the estimate."""

from __future__ import annotations

import math
import random

import pytest

from quality import bradley_terry as bt
from quality.leaderboard import standings

# The 1987 American League East results (Agresti, Categorical Data Analysis, 2nd ed., 2002,
# table 10.10, p. 438), as BradleyTerry2 ships them (data/baseball.csv): home team, away team,
# home wins, away wins.
BASEBALL = """\
Milwaukee,Detroit,4,3;Milwaukee,Toronto,4,2;Milwaukee,New York,4,3;Milwaukee,Boston,6,1
Milwaukee,Cleveland,4,2;Milwaukee,Baltimore,6,0;Detroit,Milwaukee,3,3;Detroit,Toronto,4,2
Detroit,New York,4,3;Detroit,Boston,6,0;Detroit,Cleveland,6,1;Detroit,Baltimore,4,3
Toronto,Milwaukee,2,5;Toronto,Detroit,4,3;Toronto,New York,2,4;Toronto,Boston,4,3
Toronto,Cleveland,4,2;Toronto,Baltimore,6,0;New York,Milwaukee,3,3;New York,Detroit,5,1
New York,Toronto,2,5;New York,Boston,4,3;New York,Cleveland,4,2;New York,Baltimore,6,1
Boston,Milwaukee,5,1;Boston,Detroit,2,5;Boston,Toronto,3,3;Boston,New York,4,2
Boston,Cleveland,5,2;Boston,Baltimore,6,0;Cleveland,Milwaukee,2,5;Cleveland,Detroit,3,3
Cleveland,Toronto,3,4;Cleveland,New York,4,3;Cleveland,Boston,4,2;Cleveland,Baltimore,2,4
Baltimore,Milwaukee,2,5;Baltimore,Detroit,1,5;Baltimore,Toronto,1,6;Baltimore,New York,2,4
Baltimore,Boston,1,6;Baltimore,Cleveland,3,4"""
# Agresti's table 10.11 (the model without home advantage): log-strengths against Baltimore,
# given to two decimals; BradleyTerry2's own test (tests/testthat/test-baseball.R) checks them.
AGRESTI = {
    "Milwaukee": 1.58,
    "Detroit": 1.44,
    "Toronto": 1.29,
    "New York": 1.25,
    "Boston": 1.11,
    "Cleveland": 0.68,
    "Baltimore": 0.0,
}


def baseball() -> bt.Tally:
    tally = bt.Tally()
    for game in BASEBALL.replace("\n", ";").split(";"):
        home, away, home_wins, away_wins = game.split(",")
        tally.add(home, away, "A", int(home_wins))
        tally.add(home, away, "B", int(away_wins))
    return tally


def fitted(tally: bt.Tally, **options) -> dict[str, float]:
    strengths = bt.fit(bt.pairs_of(len(tally.models), tally.cells), **options)
    return dict(zip(tally.models, strengths, strict=True))


def test_the_fit_reproduces_agrestis_baseball_estimates() -> None:
    strengths = fitted(baseball(), prior=0)

    against_baltimore = {team: math.log(s / strengths["Baltimore"]) for team, s in strengths.items()}

    assert {team: round(value, 2) for team, value in against_baltimore.items()} == AGRESTI


def test_the_fit_is_a_maximum_of_the_likelihood_each_models_expected_wins_are_its_wins() -> None:
    tally = baseball()
    strengths = bt.fit(bt.pairs_of(len(tally.models), tally.cells), prior=0)
    data = bt.pairs_of(len(tally.models), tally.cells)

    expected = [0.0] * data.size
    for i, j, games in data.pairs:
        expected[i] += games * strengths[i] / (strengths[i] + strengths[j])
        expected[j] += games * strengths[j] / (strengths[i] + strengths[j])

    assert expected == pytest.approx(data.wins, abs=1e-6)


def test_the_prior_moves_a_well_measured_rating_by_little() -> None:
    plain = bt.ratings(list(fitted(baseball(), prior=0).values()))
    with_prior = bt.ratings(list(fitted(baseball()).values()))

    assert max(abs(a - b) for a, b in zip(plain, with_prior, strict=True)) < 10
    assert [round(a) for a in plain] != [round(b) for b in with_prior]  # but it is there


def test_ratings_are_on_the_elo_scale_with_mean_1000() -> None:
    assert bt.ratings([10.0, 1.0]) == pytest.approx([1200.0, 800.0])  # ten times the odds: 400 points
    assert sum(bt.ratings([3.0, 1.0, 0.5])) / 3 == pytest.approx(1000.0)


def test_a_model_that_never_lost_gets_a_finite_rating_first() -> None:
    rows = [("ace", "bolt", "A")] * 5 + [("bolt", "cane", "A")] * 3 + [("cane", "bolt", "tie")]

    _, table = standings(((a, b, p, None) for a, b, p in rows), [], samples=20)

    assert [row["model"] for row in table] == ["ace", "bolt", "cane"]
    assert all(math.isfinite(row["rating"]) and math.isfinite(row["ci_high"]) for row in table)


def test_the_model_that_wins_more_often_ranks_first() -> None:
    rows = [("slow", "fast", "B")] * 7 + [("slow", "fast", "A")] * 3

    _, table = standings(((a, b, p, None) for a, b, p in rows), [], samples=20)

    assert [row["model"] for row in table] == ["fast", "slow"]
    assert (table[0]["win_rate"], table[0]["wins"], table[0]["losses"]) == (0.7, 7, 3)


def test_a_tie_counts_as_half_a_win_for_each() -> None:
    ties = bt.Tally()
    ties.add("x", "y", "tie", 2)
    ties.add("x", "y", "A", 1)
    halves = bt.Tally()
    halves.add("x", "y", "A", 2)
    halves.add("x", "y", "B", 1)

    assert bt.pairs_of(2, ties.cells).wins == [2.0, 1.0] == bt.pairs_of(2, halves.cells).wins
    assert fitted(ties) == pytest.approx(fitted(halves))
    _, table = standings([("x", "y", "tie", None), ("x", "y", "A", None)], [], samples=5)
    assert (table[0]["win_rate"], table[0]["ties"]) == (0.75, 1)


def test_swapping_the_order_of_a_pair_changes_nothing() -> None:
    rng = random.Random(7)
    models = ["m1", "m2", "m3", "m4"]
    rows = []
    for _ in range(300):
        a, b = rng.sample(models, 2)
        rows.append(
            (a, b, rng.choice("AAB") if a < b else rng.choice(["A", "B", "tie"]), {"c": {"a": 3, "b": 4}})
        )
    flip = {"A": "B", "B": "A", "tie": "tie"}
    swapped = [(b, a, flip[p], {"c": {"a": s["c"]["b"], "b": s["c"]["a"]}}) for a, b, p, s in rows]

    assert standings(rows, ["c"], samples=30) == standings(swapped, ["c"], samples=30)


def test_the_bootstrap_is_reproducible_and_its_interval_holds_the_estimate() -> None:
    rng = random.Random(3)
    rows = [("p", "q", "A" if rng.random() < 0.6 else "B", None) for _ in range(400)]
    rows += [("q", "r", "A" if rng.random() < 0.55 else "tie", None) for _ in range(400)]

    first = standings(rows, [], samples=50)
    again = standings(rows, [], samples=50)
    other_seed = standings(rows, [], samples=50, seed=1)

    assert first == again
    assert first != other_seed
    for row in first[1]:
        assert row["ci_low"] < row["rating"] < row["ci_high"]


def test_the_multinomial_resample_keeps_the_total_and_the_proportions() -> None:
    rng = random.Random(11)
    weights = [5000, 30, 0, 20000, 7]
    draws = [bt.multinomial(rng, sum(weights), weights) for _ in range(400)]

    assert all(sum(draw) == sum(weights) for draw in draws)
    assert all(draw[2] == 0 for draw in draws)
    for k, weight in enumerate(weights):
        assert sum(draw[k] for draw in draws) / 400 == pytest.approx(weight, rel=0.02, abs=0.5)


@pytest.mark.parametrize(("n", "p"), [(1000, 0.3), (50, 0.05), (100_000, 0.7), (40, 0.5)])
def test_binomial_draws_have_the_binomial_mean_and_variance(n: int, p: float) -> None:
    rng = random.Random(5)
    draws = [bt.binomial(rng, n, p) for _ in range(4000)]
    mean = sum(draws) / len(draws)
    variance = sum((d - mean) ** 2 for d in draws) / (len(draws) - 1)

    assert all(0 <= d <= n for d in draws)
    assert mean == pytest.approx(n * p, rel=0.01, abs=0.1)
    assert variance == pytest.approx(n * p * (1 - p), rel=0.1)


def test_mean_scores_are_of_each_models_own_answer() -> None:
    rows = [
        ("m", "n", "A", {"correctness": {"a": 5, "b": 1}}),
        ("n", "m", "B", {"correctness": {"a": 2, "b": 4}}),
    ]

    _, table = standings(rows, ["correctness", "style"], samples=5)

    by_model = {row["model"]: row["mean_scores"] for row in table}
    assert by_model == {"m": {"correctness": 4.5, "style": None}, "n": {"correctness": 1.5, "style": None}}
