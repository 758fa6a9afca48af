"""The order in which a claim presents A and B, and judgments translated between that order and
the canonical one (the order of the import).

A claim draws whether its contributor sees the two responses swapped (``presented_swapped``):
the import's B shown as "A" and its A as "B". Judgments are stored canonical; the contributor
and the reviewers of their submission read them in the order the contributor saw. Swapping is
its own inverse, so one function turns a judgment either way. Pure: no Django imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from tasks.domain.judgment import Judgment

_OTHER_SIDE = {"A": "B", "B": "A"}


def swapped_preference(preference: str) -> str:
    """``A`` for ``B`` and back; a tie stays a tie."""
    return _OTHER_SIDE.get(preference, preference)


def swapped_scores(scores: Mapping[str, Mapping[str, int]]) -> dict[str, dict[str, int]]:
    """Each criterion's scores for A and B exchanged."""
    return {name: {"a": pair["b"], "b": pair["a"]} for name, pair in scores.items()}


def canonical_judgment(judgment: Judgment, *, presented_swapped: bool) -> Judgment:
    """A judgment made in the presented order, in canonical order (and back: the same swap)."""
    if not presented_swapped:
        return judgment
    return replace(
        judgment,
        preference=swapped_preference(judgment.preference),
        scores=swapped_scores(judgment.scores),
    )


def prefers_first_shown(preference: str, *, presented_swapped: bool) -> bool | None:
    """Whether a canonical ``preference`` chose the response its contributor was shown first
    (None for a tie)."""
    if preference not in _OTHER_SIDE:
        return None
    return (preference == "A") != presented_swapped
