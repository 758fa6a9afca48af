"""A judgment file, checked here against the project's criteria before it is sent.

The server checks the same rules (SPEC "Submission") and stays the judge; checking first means a
contributor sees every problem of a file at once, with no request spent and nothing recorded.

A judgment file (YAML)::

    preference: A            # A, B or tie
    strength: 2              # 1 slight, 2 clear, 3 strong; leave it out for a tie
    scores:                  # every criterion of the project, 1-5 for A and for B
      correctness: {a: 5, b: 3}
      efficiency: {a: 4, b: 4}
    rationale: >
      A handles the empty list and runs in O(n log n); B mutates its input.
    time_spent_minutes: 50
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from marlin_client.errors import MarlinError

FIELDS = ("preference", "strength", "scores", "rationale", "time_spent_minutes")
PREFERENCES = ("A", "B", "tie")
MIN_RATIONALE = 50
MAX_RATIONALE = 20_000
MAX_MINUTES = 1440


@dataclass(frozen=True)
class Problem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class JudgmentInvalid(MarlinError):
    """A judgment file that cannot be sent as it is; ``problems`` lists every reason."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        super().__init__(f"{source}: {len(problems)} problem(s)")
        self.source = source
        self.problems = list(problems)


def load_judgment(path: Path) -> dict[str, Any]:
    """The judgment in a YAML (or JSON) file, as the mapping the API takes."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise JudgmentInvalid(str(path), [Problem("file", error.strerror or str(error))]) from error
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise JudgmentInvalid(str(path), [Problem("file", f"not valid YAML: {error}")]) from error
    if not isinstance(data, dict):
        raise JudgmentInvalid(str(path), [Problem("file", "must be a mapping of the judgment's fields")])
    return data


def judgment_problems(judgment: Mapping[str, Any], criteria: Sequence[str]) -> list[Problem]:
    """Every way ``judgment`` breaks the rules for a project with these criteria (none: valid)."""
    problems = [Problem(str(name), "unknown field") for name in sorted(set(judgment) - set(FIELDS), key=str)]
    preference = judgment.get("preference")
    if preference not in PREFERENCES:
        problems.append(Problem("preference", "must be A, B or tie"))
    problems += _strength_problems(preference, judgment.get("strength"))
    problems += _score_problems(judgment.get("scores"), criteria)
    problems += _rationale_problems(judgment.get("rationale"))
    minutes = judgment.get("time_spent_minutes")
    if not _is_int(minutes) or not 1 <= minutes <= MAX_MINUTES:
        problems.append(Problem("time_spent_minutes", f"must be a whole number from 1 to {MAX_MINUTES}"))
    return problems


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _strength_problems(preference: Any, strength: Any) -> list[Problem]:
    if preference == "tie":
        return [Problem("strength", "must be left out for a tie")] if strength is not None else []
    if strength is None:
        return [Problem("strength", "is required when A or B is preferred: 1 slight, 2 clear, 3 strong")]
    if not _is_int(strength) or strength not in (1, 2, 3):
        return [Problem("strength", "must be 1 (slight), 2 (clear) or 3 (strong)")]
    return []


def _score_problems(scores: Any, criteria: Sequence[str]) -> list[Problem]:
    if not isinstance(scores, Mapping):
        return [Problem("scores", f"must give every criterion ({', '.join(criteria)}) a score for a and b")]
    problems = []
    for name in criteria:
        pair = scores.get(name)
        if pair is None:
            problems.append(Problem(f"scores.{name}", "is missing: give a and b a score from 1 to 5"))
        elif not isinstance(pair, Mapping):
            problems.append(Problem(f"scores.{name}", "must be {a: 1-5, b: 1-5}"))
        else:
            for side in ("a", "b"):
                value = pair.get(side)
                if not _is_int(value) or not 1 <= value <= 5:
                    problems.append(Problem(f"scores.{name}.{side}", "must be a whole number from 1 to 5"))
            for extra in sorted(set(pair) - {"a", "b"}, key=str):
                problems.append(Problem(f"scores.{name}.{extra}", "unknown side: use a and b"))
    for extra in sorted(set(scores) - set(criteria), key=str):
        problems.append(
            Problem(f"scores.{extra}", f"not a criterion of this project ({', '.join(criteria)})")
        )
    return problems


def _rationale_problems(rationale: Any) -> list[Problem]:
    if not isinstance(rationale, str) or not rationale.strip():
        return [Problem("rationale", "is required")]
    length = len(rationale.strip())
    if length < MIN_RATIONALE:
        return [Problem("rationale", f"must be at least {MIN_RATIONALE} characters (it has {length})")]
    if len(rationale) > MAX_RATIONALE:
        return [Problem("rationale", f"must be at most {MAX_RATIONALE} characters")]
    if "\x00" in rationale:
        return [Problem("rationale", "must not contain a NUL character")]
    return []


def template(criteria: Sequence[str]) -> str:
    """A judgment file to fill in for a project with these criteria."""
    scores = "".join(f"  {name}: {{a: 3, b: 3}}\n" for name in criteria)
    return (
        "preference: A            # A, B or tie\n"
        "strength: 2              # 1 slight, 2 clear, 3 strong; leave it out for a tie\n"
        "scores:                  # 1-5 for A and for B on every criterion\n"
        f"{scores}"
        "rationale: >             # at least 50 characters\n"
        "  Why the preferred answer is better, concretely.\n"
        "time_spent_minutes: 45\n"
    )
