"""Calibration of reviewers: prepared submissions planted with the decision they deserve.

A plant is a task of its own stream (``task-<uuid>``, the id derived from the project and
``calibration:<external id>``, so planting again is idempotent). It enters review at its
``layer`` with its prepared submission and never leaves it: routing hands it, like any review,
to up to the project's ``calibration_reviews`` reviewers of that layer, one at a time each, and
each decision is scored against ``expected_decision``. It has no contributor, is never approved,
so it never pays, and read tables keep it out of everything but its reviewers' own reads.
Pure: no Django imports.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from marlin.kernel.errors import InvalidInput
from marlin.kernel.events import DomainEvent
from tasks.domain.judgment import Judgment
from tasks.domain.review_round import Decision
from tasks.domain.rows import TaskRow, clean_task_row

PLANT_FIELDS = (
    "external_id",
    "prompt",
    "context",
    "response_a",
    "response_b",
    "model_a",
    "model_b",
    "layer",
    "submission",
    "expected_decision",
    "expected_reasons",
    "explanation",
)
MAX_EXPLANATION = 5000
PLANT_NAMESPACE = uuid.UUID("0b8f6c2e-7d1a-4f3b-9a6e-5c4d3e2f1a0b")


def plant_id_for(project_id: UUID, external_id: str) -> UUID:
    """A plant's task id: never the id of an imported task with the same external id."""
    return uuid.uuid5(PLANT_NAMESPACE, f"{project_id}:calibration:{external_id}")


@dataclass(frozen=True)
class ExpectedDecision:
    """What a plant deserves, and why (for ops: reviewers never read it)."""

    decision: Decision
    reasons: tuple[str, ...]
    explanation: str


@dataclass(frozen=True)
class PlantRow:
    """One planted submission, checked: the task's content, its layer, the prepared judgment
    (canonical order) and the decision it deserves."""

    task: TaskRow
    layer: int
    judgment: Judgment
    expected: ExpectedDecision


def caught(decision: Decision, expected: Decision) -> bool:
    """A catch: approving a plant that deserved approval, or not approving one that deserved
    changes or rejection (SPEC "Calibration of reviewers")."""
    return (decision == Decision.APPROVE) == (expected == Decision.APPROVE)


def clean_plant_row(
    raw: Mapping[str, Any],
    *,
    review_layers: int,
    reason_codes: tuple[str, ...],
    clean_judgment: Any,
) -> PlantRow:
    """Check one plant; raise InvalidInput naming each bad field. ``clean_judgment`` checks the
    prepared submission against the project's criteria (``tasks.domain.judgment``'s rules)."""
    if not isinstance(raw, Mapping):
        raise InvalidInput(fields={"row": ["must be an object"]})
    errors: dict[str, Any] = {
        str(name): ["unknown field"] for name in sorted(set(raw) - set(PLANT_FIELDS), key=str)
    }
    task = _part(errors, lambda: clean_task_row({k: raw[k] for k in PLANT_FIELDS[:7] if k in raw}))
    layer = raw.get("layer")
    if isinstance(layer, bool) or not isinstance(layer, int) or not 1 <= layer <= review_layers:
        errors["layer"] = [f"must be a review layer of the project, 1 to {review_layers}"]
    submission = raw.get("submission")
    judgment = None
    if not isinstance(submission, Mapping):
        errors["submission"] = ["is required: the prepared judgment, as a contributor would submit it"]
    else:
        problems: dict[str, Any] = {}
        judgment = _part(problems, lambda: clean_judgment(submission))
        if problems:
            errors["submission"] = problems  # nested, like the input
    expected = _expected(raw, reason_codes, errors)
    if errors:
        raise InvalidInput(fields=errors)
    assert task is not None
    assert judgment is not None
    assert expected is not None
    return PlantRow(task, layer, judgment, expected)


def _part(errors: dict[str, Any], check: Any) -> Any:
    """``check()``, or None with its field errors added to ``errors``."""
    try:
        return check()
    except InvalidInput as invalid:
        errors.update(invalid.fields)
        return None


def _expected(
    raw: Mapping[str, Any], reason_codes: tuple[str, ...], errors: dict[str, Any]
) -> ExpectedDecision | None:
    decision = raw.get("expected_decision")
    if decision not in {d.value for d in Decision}:
        errors["expected_decision"] = ["must be approve, request_changes or reject"]
        return None
    reasons = raw.get("expected_reasons") or []
    if not isinstance(reasons, list) or not all(isinstance(code, str) for code in reasons):
        errors["expected_reasons"] = ["must be a list of the project's reason codes"]
        return None
    unknown = [code for code in reasons if code not in reason_codes]
    if unknown:
        errors["expected_reasons"] = [f"unknown reason(s) {unknown}; this project's are {list(reason_codes)}"]
    elif decision == Decision.APPROVE and reasons:
        errors["expected_reasons"] = ["a plant that deserves approval takes no reason codes"]
    elif decision != Decision.APPROVE and not reasons:
        errors["expected_reasons"] = ["at least one reason code: why it deserves changes or rejection"]
    explanation = raw.get("explanation")
    if not isinstance(explanation, str) or not 1 <= len(explanation.strip()) <= MAX_EXPLANATION:
        errors["explanation"] = [f"is required: text of 1 to {MAX_EXPLANATION} characters"]
    if any(name in errors for name in ("expected_reasons", "explanation")):
        return None
    return ExpectedDecision(Decision(decision), tuple(dict.fromkeys(reasons)), explanation.strip())


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalibrationPlanted(DomainEvent):
    """Ops planted a prepared submission at ``layer``: the task, its judgment (canonical, as a
    contributor shown A and B in the import's order would have submitted it) and the decision it
    deserves. ``rate`` and ``currency`` are the project's, so the task reads like any other; it is
    never paid."""

    task_id: UUID
    project_id: UUID
    external_id: str
    prompt: str
    context: str
    response_a: str
    response_b: str
    model_a: str
    model_b: str
    layer: int
    submission_id: UUID
    preference: str
    strength: int | None
    scores: dict[str, dict[str, int]]
    rationale: str
    time_spent_minutes: int
    expected_decision: Decision
    expected_reasons: tuple[str, ...]
    explanation: str
    rate: Decimal
    currency: str
    row: int


@dataclass(frozen=True)
class CalibrationScored(DomainEvent):
    """A reviewer decided a plant: ``caught`` when the decision is right (see ``caught``). Follows
    the assignment's ``ReviewDecided`` in the same append."""

    task_id: UUID
    project_id: UUID
    assignment_id: UUID
    reviewer_id: int
    layer: int
    decision: Decision
    expected_decision: Decision
    caught: bool
