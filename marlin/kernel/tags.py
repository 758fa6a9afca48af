"""Tags: skills, required skills and task tags share one normal form (lowercase, sorted, unique)."""

from __future__ import annotations

import re
from collections.abc import Iterable

TAG_PATTERN = re.compile(r"[a-z0-9][a-z0-9+#._-]{0,39}")  # fullmatch: no trailing newline
MAX_TAGS = 50


def normalize_tags(values: Iterable[object]) -> tuple[tuple[str, ...], list[str]]:
    """Return (normalized tags, errors). A tag is 1..40 of ``a-z 0-9 + # . _ -``."""
    errors: list[str] = []
    tags: set[str] = set()
    for value in values:
        if not isinstance(value, str):
            errors.append(f"{value!r} is not a text tag")
            continue
        tag = value.strip().lower()
        if not TAG_PATTERN.fullmatch(tag):
            errors.append(f"{value!r} is not a valid tag (1-40 of a-z, 0-9, + # . _ -)")
            continue
        tags.add(tag)
    if len(tags) > MAX_TAGS:
        errors.append(f"at most {MAX_TAGS} tags")
    return tuple(sorted(tags)), errors


def split_tag_text(text: str) -> list[str]:
    """Tags written in one text field (CSV): separated by commas, semicolons or pipes."""
    return [part for part in re.split(r"[,;|]", text) if part.strip()]
