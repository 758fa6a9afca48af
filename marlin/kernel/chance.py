"""The one source of chance of Marlin: a fair coin from the operating system's generator.

Every random draw a command records (the presentation order of a claim) comes from here, never
from ``random`` directly, so that a draw cannot be predicted from earlier ones (``SystemRandom``)
and so tests can pin the coin, as they pin the clock. The pin is process-wide, not per thread:
a test's live server answers from threads of its own.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager

_system = random.SystemRandom()
_pinned: list[bool | None] = [None]
_source: list[random.Random] = [_system]


def coin() -> bool:
    """Heads (True) or tails, each with probability one half (pinned in tests)."""
    pinned = _pinned[0]
    if pinned is not None:
        return pinned
    return _source[0].getrandbits(1) == 1


@contextmanager
def drawn_from(generator: random.Random) -> Iterator[None]:
    """Every ``coin()`` in the block is drawn from ``generator``: a seeded simulation replays the
    same draws (never used to serve people, whose draws must not be predictable)."""
    previous = _source[0]
    _source[0] = generator
    try:
        yield
    finally:
        _source[0] = previous


@contextmanager
def pinned_coin(side: bool | None) -> Iterator[None]:
    """Every ``coin()`` in the block falls on ``side``; ``None`` draws for real again."""
    previous = _pinned[0]
    _pinned[0] = side
    try:
        yield
    finally:
        _pinned[0] = previous
