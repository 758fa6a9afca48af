"""A valid judgment body, for pure and HTTP tests alike (no Django imports here)."""

from __future__ import annotations

from typing import Any

from tasks.domain.project import DEFAULT_CRITERIA

RATIONALE = "A handles the empty input and runs in linear time; B loops twice and misses the edge case."


def judgment(criteria: tuple[str, ...] = DEFAULT_CRITERIA, **overrides: Any) -> dict[str, Any]:
    """A complete judgment; pass ``field=...`` (Ellipsis) to leave a field out."""
    body: dict[str, Any] = {
        "preference": "A",
        "strength": 2,
        "scores": {name: {"a": 4, "b": 2} for name in criteria},
        "rationale": RATIONALE,
        "time_spent_minutes": 55,
    }
    body.update(overrides)
    return {key: value for key, value in body.items() if value is not ...}
