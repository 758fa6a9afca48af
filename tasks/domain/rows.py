"""One row of a task import, checked field by field (pure: no Django imports)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marlin.kernel.errors import InvalidInput
from marlin.kernel.tags import normalize_tags, split_tag_text
from tasks.domain.gold import GoldAnswer, clean_gold, gold_from_columns

TEXT_LIMITS = {"prompt": 100_000, "context": 200_000, "response_a": 200_000, "response_b": 200_000}
REQUIRED_ROW_FIELDS = ("external_id", "prompt", "response_a", "response_b", "model_a", "model_b")
ROW_FIELDS = (*REQUIRED_ROW_FIELDS, "context", "tags", "priority", "gold")
# A CSV has no objects: its gold comes in two columns, gathered into ``gold`` before the check.
GOLD_COLUMNS = ("gold_preference", "gold_explanation")
CSV_COLUMNS = (*(name for name in ROW_FIELDS if name != "gold"), *GOLD_COLUMNS)
MAX_PRIORITY = 1_000_000


@dataclass(frozen=True, slots=True)  # an import holds thousands: no ``__dict__`` each
class TaskRow:
    external_id: str
    prompt: str
    context: str
    response_a: str
    response_b: str
    model_a: str
    model_b: str
    tags: tuple[str, ...]
    priority: int
    gold: GoldAnswer | None = None


def clean_task_row(raw: Mapping[str, Any]) -> TaskRow:
    """Check one imported row; raise InvalidInput naming each bad field."""
    errors: dict[str, list[str]] = {
        str(name): ["unknown field"] for name in sorted(set(raw) - set(ROW_FIELDS), key=str)
    }
    values: dict[str, Any] = {}
    for name, check in _CHECKS:
        try:
            values[name] = check(raw.get(name))
        except ValueError as problem:
            errors[name] = list(problem.args)
    if errors:
        raise InvalidInput(fields=errors)
    return TaskRow(**values)


def _short_text(value: Any, *, accept_int: bool = False) -> str:
    if accept_int and isinstance(value, int) and not isinstance(value, bool) and abs(value) < 10**30:
        value = str(value)
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= 200:
        raise ValueError("is required: text of 1 to 200 characters")
    _storable(value)
    return value.strip()


def _long_text(value: Any, limit: int, *, required: bool) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError("is required" if required else "must be text")
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters")
    _storable(value)
    return value


def _storable(text: str) -> None:
    """PostgreSQL stores no NUL character in text (a CSV can carry one)."""
    if "\x00" in text:
        raise ValueError("must not contain a NUL character")


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = split_tag_text(value)
    if not isinstance(value, list | tuple):
        raise ValueError("must be a list of tags")
    tags, problems = normalize_tags(value or [])
    if problems:
        raise ValueError(*problems)
    return tags


def _priority(value: Any) -> int:
    if value in ("", None):
        return 0
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,7}", value.strip()):
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_PRIORITY:
        raise ValueError(f"must be a whole number from -{MAX_PRIORITY} to {MAX_PRIORITY}")
    return value


# Each field's check, made once (not per row: an import checks thousands of rows).
_CHECKS: tuple[tuple[str, Callable[[Any], Any]], ...] = (
    ("external_id", lambda value: _short_text(value, accept_int=True)),
    ("prompt", lambda value: _long_text(value, TEXT_LIMITS["prompt"], required=True)),
    ("context", lambda value: _long_text(value, TEXT_LIMITS["context"], required=False)),
    ("response_a", lambda value: _long_text(value, TEXT_LIMITS["response_a"], required=True)),
    ("response_b", lambda value: _long_text(value, TEXT_LIMITS["response_b"], required=True)),
    ("model_a", _short_text),
    ("model_b", _short_text),
    ("tags", _tags),
    ("priority", _priority),
    ("gold", clean_gold),
)


def gold_columns_gathered(record: dict[str, Any]) -> dict[str, Any]:
    """A CSV record with ``gold_preference`` and ``gold_explanation`` gathered into ``gold``."""
    if not any(name in record for name in GOLD_COLUMNS):
        return record
    gathered = {key: value for key, value in record.items() if key not in GOLD_COLUMNS}
    gold = gold_from_columns(record.get("gold_preference"), record.get("gold_explanation"))
    if gold is not None:
        gathered["gold"] = gold
    return gathered
