"""Numbers and ages as people read them on the pages: ``{% load marlin_format %}``.

Each filter answers an en dash for a figure that does not exist (no decisions yet: no approval rate), so
a page never shows "None" or a misleading 0.
"""

from __future__ import annotations

from datetime import datetime

from django import template

from marlin.kernel import clock

register = template.Library()

MISSING = "\N{EN DASH}"
MINUTE, HOUR, DAY = 60, 3600, 86400


@register.filter
def human_age(seconds: float | None) -> str:
    """A duration in seconds, to the two largest units worth reading: "45 s", "12 min",
    "3 h 20 min", "2 d 4 h". A whole unit drops its zero remainder ("3 h", "2 d"); a negative
    duration (a clock skew) reads as "0 s"."""
    if seconds is None:
        return MISSING
    whole = max(0, int(seconds))
    if whole < MINUTE:
        return f"{whole} s"
    if whole < HOUR:
        return f"{whole // MINUTE} min"
    if whole < DAY:
        return _two_units(whole // HOUR, "h", whole % HOUR // MINUTE, "min")
    return _two_units(whole // DAY, "d", whole % DAY // HOUR, "h")


def _two_units(big: int, big_unit: str, small: int, small_unit: str) -> str:
    return f"{big} {big_unit} {small} {small_unit}" if small else f"{big} {big_unit}"


@register.filter
def seconds_since(moment: datetime | None, now: datetime) -> float | None:
    """Seconds from ``moment`` to ``now`` (the page's clock reading), for ``human_age``."""
    if moment is None:
        return None
    return (now - moment).total_seconds()


@register.filter
def percent(ratio: float | None) -> str:
    """A ratio as a percentage with one decimal: 0.8734 -> "87.3%"; no ratio -> an en dash."""
    if ratio is None:
        return MISSING
    return f"{ratio * 100:.1f}%"


@register.filter
def thousands(number: int | None) -> str:
    """A count with thousands separators: 1234 -> "1,234"."""
    if number is None:
        return MISSING
    return f"{number:,}"


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago ``moment`` was, or how long until it for a moment ahead: "3 h ago", "in 5 min"."""
    if moment is None:
        return MISSING
    seconds = (clock.now() - moment).total_seconds()
    return f"{human_age(seconds)} ago" if seconds >= 0 else f"in {human_age(-seconds)}"


@register.filter
def sla(level: str | None) -> str:
    """The CSS class of an SLA level (``dashboard.selectors.sla_level``); none without a level."""
    return f"sla-{level}" if level else ""
