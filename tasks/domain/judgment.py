"""A contributor's judgment of A against B, checked exactly as SPEC says."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from marlin.kernel.errors import InvalidInput

PREFERENCES = ("A", "B", "tie")
STRENGTHS = (1, 2, 3)
MIN_RATIONALE = 50
MAX_RATIONALE = 20_000
MAX_MINUTES = 1440
JUDGMENT_FIELDS = ("preference", "strength", "scores", "rationale", "time_spent_minutes")


@dataclass(frozen=True)
class Judgment:
    preference: str
    strength: int | None
    scores: dict[str, dict[str, int]]
    rationale: str
    time_spent_minutes: int


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def clean_judgment(raw: Mapping[str, Any], criteria: Sequence[str]) -> Judgment:
    """Raise InvalidInput naming every offending field (scores nested per criterion and side)."""
    errors: dict[str, Any] = {}
    unknown = sorted(set(raw) - set(JUDGMENT_FIELDS))
    for name in unknown:
        errors[name] = ["unknown field"]

    preference = raw.get("preference")
    if preference not in PREFERENCES:
        errors["preference"] = [f"must be one of {', '.join(PREFERENCES)}"]

    strength = raw.get("strength")
    strength_problem = _strength_problem(preference, strength)
    if strength_problem:
        errors["strength"] = [strength_problem]

    score_errors = _score_errors(raw.get("scores"), criteria)
    if score_errors:
        errors["scores"] = score_errors

    rationale = raw.get("rationale")
    rationale_problem = _rationale_problem(rationale)
    if rationale_problem:
        errors["rationale"] = [rationale_problem]

    minutes = raw.get("time_spent_minutes")
    if not _is_int(minutes) or not 1 <= minutes <= MAX_MINUTES:
        errors["time_spent_minutes"] = [f"must be a whole number of minutes from 1 to {MAX_MINUTES}"]

    if errors:
        raise InvalidInput("The judgment is not valid.", fields=errors)
    return Judgment(
        preference=preference,  # type: ignore[arg-type]
        strength=strength,
        scores={name: {"a": raw["scores"][name]["a"], "b": raw["scores"][name]["b"]} for name in criteria},
        rationale=rationale.strip(),  # type: ignore[union-attr]
        time_spent_minutes=minutes,  # type: ignore[arg-type]
    )


def _strength_problem(preference: Any, strength: Any) -> str | None:
    if preference == "tie":
        return "must be absent for a tie" if strength is not None else None
    if strength is None:
        return "is required when A or B is preferred: 1 slight, 2 clear, 3 strong"
    if not _is_int(strength) or strength not in STRENGTHS:
        return "must be 1 (slight), 2 (clear) or 3 (strong)"
    return None


def _rationale_problem(rationale: Any) -> str | None:
    if not isinstance(rationale, str):
        return "is required"
    if len(rationale.strip()) < MIN_RATIONALE:
        return f"must be at least {MIN_RATIONALE} characters"
    if len(rationale) > MAX_RATIONALE:
        return f"must be at most {MAX_RATIONALE} characters"
    if "\x00" in rationale:
        return "must not contain a NUL character"
    return None


def _score_errors(scores: Any, criteria: Sequence[str]) -> Any:
    if not isinstance(scores, Mapping):
        return [f"must map every criterion ({', '.join(criteria)}) to {{'a': 1-5, 'b': 1-5}}"]
    errors: dict[str, Any] = {}
    for name in criteria:
        if name not in scores:
            errors[name] = ["a score for A and B is required"]
            continue
        pair = scores[name]
        if not isinstance(pair, Mapping):
            errors[name] = ["must be {'a': 1-5, 'b': 1-5}"]
            continue
        side_errors: dict[str, list[str]] = {}
        for side in ("a", "b"):
            value = pair.get(side)
            if not _is_int(value) or not 1 <= value <= 5:
                side_errors[side] = ["must be a whole number from 1 to 5"]
        for extra in sorted(set(pair) - {"a", "b"}, key=str):
            side_errors[str(extra)] = ["unknown side; use 'a' and 'b'"]
        if side_errors:
            errors[name] = side_errors
    for extra in sorted(set(scores) - set(criteria), key=str):
        errors[str(extra)] = ["not a criterion of this project"]
    return errors
