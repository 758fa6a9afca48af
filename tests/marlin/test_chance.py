"""The coin: a seeded generator replays the same draws (simulations); a pin still wins (tests)."""

from __future__ import annotations

import random

from marlin.kernel import chance


def draws(n: int) -> list[bool]:
    return [chance.coin() for _ in range(n)]


def test_a_seeded_generator_replays_the_same_draws() -> None:
    with chance.pinned_coin(None):
        with chance.drawn_from(random.Random(3)):
            first = draws(40)
        with chance.drawn_from(random.Random(3)):
            again = draws(40)

    assert first == again
    assert set(first) == {True, False}


def test_a_pinned_coin_wins_over_a_generator_and_both_are_undone_after_their_block() -> None:
    with chance.drawn_from(random.Random(3)), chance.pinned_coin(True):
        assert draws(10) == [True] * 10
    with chance.pinned_coin(None):
        assert set(draws(200)) == {True, False}  # the system's generator again
