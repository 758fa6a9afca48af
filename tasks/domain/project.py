"""The project aggregate: settings, status, and the rules for changing them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from typing import Any
from uuid import UUID

from marlin.kernel import money
from marlin.kernel.errors import Conflict, InvalidInput, NotFound
from marlin.kernel.events import DomainEvent, JsonDict, register_upcaster, stream_name
from marlin.kernel.tags import normalize_tags
from tasks.domain.gold import GOLD_MISMATCH, parse_accuracy

DEFAULT_CRITERIA = ("correctness", "efficiency", "readability", "best_practices", "instruction_following")
DEFAULT_REASON_CODES = (
    "wrong_preference",
    "weak_rationale",
    "inconsistent_scores",
    "instructions_not_followed",
    "low_effort",
    "plagiarism",
)
CODE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")  # fullmatch: no trailing newline
MAX_LAYERS = 5
MAX_INSTRUCTIONS = 50_000


class ProjectStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    ARCHIVED = "archived"


def project_stream(project_id: UUID) -> str:
    return stream_name("project", project_id)


@dataclass(frozen=True)
class ProjectSettings:
    name: str
    instructions: str = ""
    rate: Decimal = Decimal("280.00")
    currency: str = "USD"
    review_layers: int = 2
    max_revisions: int = 2
    claim_timeout_minutes: int = 120
    review_timeout_minutes: int = 1440
    criteria: tuple[str, ...] = DEFAULT_CRITERIA
    reason_codes: tuple[str, ...] = DEFAULT_REASON_CODES
    required_skills: tuple[str, ...] = ()
    randomize_order: bool = True  # each claim draws the order in which it presents A and B
    gold_min_accuracy: Decimal | None = None  # the gold bar; None: off
    gold_min_answers: int = 5
    overlap: int = 1  # sibling tasks per imported item, each for a different contributor
    appeal_window_days: int = 7  # days after a rejection in which its contributor may appeal; 0: none
    calibration_reviews: int = 3  # reviewers each calibration plant goes to, at most
    calibration_every: int = 20  # at most one plant in every this many assignments of a reviewer


MAX_GOLD_MIN_ANSWERS = 10_000
MAX_OVERLAP = 5
MAX_APPEAL_WINDOW_DAYS = 90


# --- events ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectCreated(DomainEvent):
    schema_version = 2

    project_id: UUID
    settings: ProjectSettings


@register_upcaster("ProjectCreated", 1)
def _project_created_v1_to_v2(data: JsonDict) -> JsonDict:
    """v2 added ``randomize_order`` to the settings; a project created before it has SPEC's
    default (on), which applies to the claims made since."""
    return {**data, "settings": {"randomize_order": True, **data["settings"]}}


@dataclass(frozen=True)
class ProjectUpdated(DomainEvent):
    """Changed settings only. A new rate or overlap applies to tasks imported afterwards."""

    project_id: UUID
    changes: dict[str, Any]


@dataclass(frozen=True)
class ProjectPaused(DomainEvent):
    project_id: UUID


@dataclass(frozen=True)
class ProjectResumed(DomainEvent):
    project_id: UUID


@dataclass(frozen=True)
class ProjectArchived(DomainEvent):
    project_id: UUID


# --- state -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectState:
    project_id: UUID | None = None
    settings: ProjectSettings | None = None
    status: ProjectStatus | None = None


def evolve(state: ProjectState, event: DomainEvent) -> ProjectState:
    match event:
        case ProjectCreated():
            return ProjectState(event.project_id, event.settings, ProjectStatus.ACTIVE)
        case ProjectUpdated() if state.settings is not None:
            return replace(state, settings=replace(state.settings, **settings_from_json(event.changes)))
        case ProjectPaused():
            return replace(state, status=ProjectStatus.PAUSED)
        case ProjectResumed():
            return replace(state, status=ProjectStatus.ACTIVE)
        case ProjectArchived():
            return replace(state, status=ProjectStatus.ARCHIVED)
    return state


def settings_from_json(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Changed settings as stored in an event (JSON) back into their Python types."""
    typed: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("rate", "gold_min_accuracy") and value is not None:
            typed[key] = Decimal(value)
        elif isinstance(value, list):
            typed[key] = tuple(value)
        else:
            typed[key] = value
    return typed


# --- rules -----------------------------------------------------------------------------------------


def clean_settings(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalize settings against the business rules; raise InvalidInput with fields."""
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}

    def bounded(name: str, low: int, high: int) -> None:
        if name in raw:
            value = raw[name]
            if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
                errors[name] = [f"must be a whole number from {low} to {high}"]
            else:
                clean[name] = value

    _clean_texts(raw, clean, errors)
    if "rate" in raw:
        try:
            rate = money.parse_amount(raw["rate"])
            if not Decimal("0") < rate <= money.MAX_RATE:
                raise ValueError(f"must be more than 0 and at most {money.MAX_RATE}")
            clean["rate"] = rate
        except ValueError as error:
            errors["rate"] = [str(error)]
    if "currency" in raw:
        try:
            clean["currency"] = money.check_currency(raw["currency"])
        except ValueError as error:
            errors["currency"] = [str(error)]
    bounded("review_layers", 1, MAX_LAYERS)
    bounded("max_revisions", 0, 10)
    bounded("claim_timeout_minutes", 1, 7 * 24 * 60)
    bounded("review_timeout_minutes", 1, 30 * 24 * 60)
    bounded("overlap", 1, MAX_OVERLAP)
    bounded("appeal_window_days", 0, MAX_APPEAL_WINDOW_DAYS)
    bounded("calibration_reviews", 1, 20)
    bounded("calibration_every", 1, 1000)
    for name, limit in (("criteria", 20), ("reason_codes", 30)):
        if name in raw:
            codes, problems = _codes(raw[name], limit)
            if problems:
                errors[name] = problems
            clean[name] = codes
    _flag(raw, "randomize_order", clean, errors)
    _clean_gold(raw, clean, errors)
    if "required_skills" in raw:
        skills, problems = normalize_tags(raw["required_skills"])
        if problems:
            errors["required_skills"] = problems
        clean["required_skills"] = skills
    if errors:
        raise InvalidInput(fields=errors)
    return clean


def _clean_texts(raw: Mapping[str, Any], clean: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """The project's name (trimmed, 1 to 200 characters) and instructions."""
    if "name" in raw:
        name = str(raw["name"]).strip()
        if not 1 <= len(name) <= 200:
            errors["name"] = ["must be 1 to 200 characters"]
        clean["name"] = name
    if "instructions" in raw:
        instructions = str(raw["instructions"])
        if len(instructions) > MAX_INSTRUCTIONS:
            errors["instructions"] = [f"at most {MAX_INSTRUCTIONS} characters"]
        clean["instructions"] = instructions


def _flag(raw: Mapping[str, Any], name: str, clean: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """A setting that is on or off: a JSON boolean, nothing else."""
    if name in raw:
        if isinstance(raw[name], bool):
            clean[name] = raw[name]
        else:
            errors[name] = ["must be true or false"]


def _clean_gold(raw: Mapping[str, Any], clean: dict[str, Any], errors: dict[str, list[str]]) -> None:
    """The gold bar's settings; and ``gold_mismatch`` stays the gold score's own reason code, so a
    reviewer's rejection can never read as a gold one."""
    if GOLD_MISMATCH in clean.get("reason_codes", ()):
        errors.setdefault("reason_codes", []).append(f"{GOLD_MISMATCH!r} is reserved for gold scoring")
    if "gold_min_answers" in raw:
        value = raw["gold_min_answers"]
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_GOLD_MIN_ANSWERS:
            errors["gold_min_answers"] = [f"must be a whole number from 1 to {MAX_GOLD_MIN_ANSWERS}"]
        else:
            clean["gold_min_answers"] = value
    if "gold_min_accuracy" in raw:
        try:
            clean["gold_min_accuracy"] = parse_accuracy(raw["gold_min_accuracy"])
        except ValueError as error:
            errors["gold_min_accuracy"] = [str(error)]


def _codes(values: Any, limit: int) -> tuple[tuple[str, ...], list[str]]:
    if isinstance(values, str) or not hasattr(values, "__iter__"):
        return (), ["must be a list of names"]
    codes = [str(value).strip() for value in values]
    problems = [
        f"{code!r} must be 1-40 of a-z, 0-9 and _ starting with a letter"
        for code in codes
        if not CODE_NAME.fullmatch(code)
    ]
    if not codes:
        problems.append("at least one is required")
    if len(codes) > limit:
        problems.append(f"at most {limit}")
    if len(set(codes)) != len(codes):
        problems.append("names must be unique")
    return tuple(codes), problems


def new_settings(raw: Mapping[str, Any]) -> ProjectSettings:
    """A new project's settings: the name is required, every other setting has SPEC's default."""
    if "name" not in raw:
        raise InvalidInput(fields={"name": ["this field is required"]})
    return ProjectSettings(**clean_settings(raw))


def decide_create(state: ProjectState, *, project_id: UUID, settings: ProjectSettings) -> list[DomainEvent]:
    if state.settings is not None:
        raise Conflict("this project already exists")
    return [ProjectCreated(project_id, settings)]


def decide_update(state: ProjectState, *, changes: Mapping[str, Any]) -> list[DomainEvent]:
    """``changes`` are settings checked by ``clean_settings``; only those that differ are recorded."""
    project_id, settings = check_updatable(state)
    changed = {key: value for key, value in changes.items() if getattr(settings, key) != value}
    if not changed:
        return []
    return [ProjectUpdated(project_id, changed)]


def check_updatable(state: ProjectState) -> tuple[UUID, ProjectSettings]:
    """The project's id and settings, if its settings may change: it exists and is not archived."""
    project_id, settings = _existing(state)
    if state.status == ProjectStatus.ARCHIVED:
        raise Conflict("an archived project cannot be changed", code="project_archived")
    return project_id, settings


def decide_pause(state: ProjectState) -> list[DomainEvent]:
    project_id, _ = _existing(state)
    if state.status != ProjectStatus.ACTIVE:
        raise Conflict(f"only an active project can be paused; this one is {state.status}", code="not_active")
    return [ProjectPaused(project_id)]


def decide_resume(state: ProjectState) -> list[DomainEvent]:
    project_id, _ = _existing(state)
    if state.status != ProjectStatus.PAUSED:
        raise Conflict(f"only a paused project can be resumed; this one is {state.status}", code="not_paused")
    return [ProjectResumed(project_id)]


def decide_archive(state: ProjectState) -> list[DomainEvent]:
    project_id, _ = _existing(state)
    if state.status == ProjectStatus.ARCHIVED:
        raise Conflict("this project is already archived", code="project_archived")
    return [ProjectArchived(project_id)]


def _existing(state: ProjectState) -> tuple[UUID, ProjectSettings]:
    """The project's id and settings, typed without ``None``; NotFound before its creation."""
    if state.project_id is None or state.settings is None:
        raise NotFound("no such project")
    return state.project_id, state.settings
