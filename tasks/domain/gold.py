"""Gold tasks and the suspension they can lead to (pure: no Django imports).

A gold task carries the answer it deserves (``GoldAnswer``, canonical order), decided at import and
never added later. Its submission is not reviewed: ``tasks.domain.task.decide_gold_score`` approves a matching
preference and rejects a mismatch with ``gold_mismatch`` and the gold explanation as feedback.

Every score counts in the contributor's tally for the project. A project with a bar
(``gold_min_accuracy``) suspends a contributor from claiming there once they have at least
``gold_min_answers`` answers counted and an accuracy below the bar (``decide_suspension``). Ops lift
a suspension; from then on only the answers after the lift count (the tally's window starts again),
so nobody is suspended again before ``gold_min_answers`` new answers are in.

A contributor's standing in a project is its own stream (``gold-standing-<project>:<person>``):
its version makes two scores never suspend twice and a lift never race a suspension.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from marlin.kernel.errors import Conflict, NotFound
from marlin.kernel.events import DomainEvent, stream_name

GOLD_MISMATCH = "gold_mismatch"
GOLD_PREFERENCES = ("A", "B", "tie")
MAX_EXPLANATION = 20_000
GOLD_ROUND_NAMESPACE = uuid.UUID("0c5bd0a4-8f0e-4f5e-9a55-2b9f1c6f4a11")


@dataclass(frozen=True, slots=True)
class GoldAnswer:
    """The preference a gold task deserves (canonical order), and why."""

    preference: str
    explanation: str


def clean_gold(value: Any) -> GoldAnswer | None:
    """A row's ``gold``: absent (None), or ``{preference: A|B|tie, explanation}``; a ValueError
    names what is wrong."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError("must be an object {preference, explanation}")
    unknown = sorted(set(value) - {"preference", "explanation"}, key=str)
    if unknown:
        raise ValueError(f"unknown keys {unknown}; gold has preference and explanation")
    preference = value.get("preference")
    if preference not in GOLD_PREFERENCES:
        raise ValueError("preference must be A, B or tie")
    explanation = value.get("explanation")
    if not isinstance(explanation, str) or not explanation.strip():
        raise ValueError("explanation is required: the feedback a mismatch gets")
    if len(explanation) > MAX_EXPLANATION:
        raise ValueError(f"explanation: at most {MAX_EXPLANATION} characters")
    if "\x00" in explanation:
        raise ValueError("explanation must not contain a NUL character")
    return GoldAnswer(preference=preference, explanation=explanation.strip())


def gold_from_columns(preference: Any, explanation: Any) -> Any:
    """A CSV row's ``gold_preference`` and ``gold_explanation`` as the ``gold`` object (None when
    both are blank), for ``clean_gold`` to check."""
    blank = (None, "")
    if preference in blank and (explanation in blank or not str(explanation).strip()):
        return None
    return {"preference": preference or None, "explanation": explanation}


def gold_tally_id(project_id: UUID, contributor_id: int) -> UUID:
    """The id of a contributor's gold tally row in a project (derived: rebuilds agree)."""
    return uuid.uuid5(GOLD_ROUND_NAMESPACE, f"tally:{project_id}:{contributor_id}")


def gold_round_id(task_id: UUID, submission_version: int) -> UUID:
    """The id of the round a gold score reads as in the task's rounds (derived: rebuilds agree)."""
    return uuid.uuid5(GOLD_ROUND_NAMESPACE, f"{task_id}:{submission_version}")


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldScored(DomainEvent):
    """A gold task's submission was scored against its gold answer (on the task's stream); an
    approval (``TaskApproved``) or a rejection (``TaskRejected``) follows."""

    task_id: UUID
    project_id: UUID
    contributor_id: int
    submission_version: int
    layer: int
    preference: str
    gold_preference: str
    matched: bool
    feedback: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ContributorSuspended(DomainEvent):
    """The contributor fell below the project's gold bar: no claims in that project until ops
    lift it. The figures are the evidence: the answers counted and how many matched."""

    suspension_id: UUID
    project_id: UUID
    contributor_id: int
    gold_answers: int
    gold_correct: int
    min_accuracy: Decimal
    min_answers: int


@dataclass(frozen=True)
class SuspensionLifted(DomainEvent):
    """Ops lifted the suspension; the contributor's gold tally in the project counts afresh."""

    suspension_id: UUID
    project_id: UUID
    contributor_id: int


def standing_stream(project_id: UUID, contributor_id: int) -> str:
    return stream_name("gold-standing", f"{project_id}:{contributor_id}")


# --- scoring ---------------------------------------------------------------------------------------


def score_gold(preference: str, gold: GoldAnswer) -> bool:
    """A canonical preference matches the gold one exactly (a tie matches only a tie)."""
    return preference == gold.preference


# --- suspension ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoldBar:
    """A project's bar: off while ``min_accuracy`` is None."""

    min_accuracy: Decimal | None
    min_answers: int = 5


@dataclass(frozen=True)
class GoldTally:
    """Answers counted since the contributor's last lift (or ever), and how many matched."""

    answers: int = 0
    correct: int = 0

    def plus(self, *, matched: bool) -> GoldTally:
        return GoldTally(self.answers + 1, self.correct + int(matched))


def below_bar(tally: GoldTally, bar: GoldBar) -> bool:
    """Enough answers, and an accuracy strictly below the bar (exact: no float division)."""
    if bar.min_accuracy is None or tally.answers < max(bar.min_answers, 1):
        return False
    return Decimal(tally.correct) < bar.min_accuracy * tally.answers


@dataclass(frozen=True)
class Standing:
    """A contributor's standing in one project, folded from its stream."""

    suspension_id: UUID | None = None  # the latest suspension, lifted or not
    suspended: bool = False


def evolve_standing(state: Standing, event: DomainEvent) -> Standing:
    match event:
        case ContributorSuspended():
            return Standing(suspension_id=event.suspension_id, suspended=True)
        case SuspensionLifted():
            return replace(state, suspended=False)
    return state


def decide_suspension(
    state: Standing,
    *,
    tally: GoldTally,
    bar: GoldBar,
    project_id: UUID,
    contributor_id: int,
    suspension_id: UUID,
) -> list[DomainEvent]:
    """Suspend a contributor below the bar, once: nothing while they are suspended already."""
    if state.suspended or bar.min_accuracy is None or not below_bar(tally, bar):
        return []
    return [
        ContributorSuspended(
            suspension_id=suspension_id,
            project_id=project_id,
            contributor_id=contributor_id,
            gold_answers=tally.answers,
            gold_correct=tally.correct,
            min_accuracy=bar.min_accuracy,
            min_answers=bar.min_answers,
        )
    ]


def decide_lift(state: Standing, *, project_id: UUID, contributor_id: int) -> list[DomainEvent]:
    """Lift the current suspension: 404 for someone never suspended in the project, 409 when the
    last one is lifted already."""
    if state.suspension_id is None:
        raise NotFound("this person has never been suspended in this project")
    if not state.suspended:
        raise Conflict("this person's suspension is lifted already", code="not_suspended")
    return [SuspensionLifted(state.suspension_id, project_id, contributor_id)]


def parse_accuracy(value: Any) -> Decimal | None:
    """``gold_min_accuracy``: null (off) or a number from 0 to 1 with at most 3 decimals."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise ValueError("must be null or a number from 0 to 1")
    try:
        accuracy = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("must be null or a number from 0 to 1") from None
    if not accuracy.is_finite() or not Decimal(0) <= accuracy <= Decimal(1):
        raise ValueError("must be null or a number from 0 to 1")
    if accuracy != accuracy.quantize(Decimal("0.001")):
        raise ValueError("at most 3 decimal places")
    return accuracy.quantize(Decimal("0.001"))
