"""Ages and rates as people read them on the ops pages ("3 h 20 min", "87.3%")."""

from __future__ import annotations

from datetime import datetime

from django import template

from marlin.kernel import clock

register = template.Library()


@register.filter
def age(seconds: int | float | None) -> str:
    """Seconds as the two largest units: "45 s", "12 min", "3 h 20 min", "2 d 4 h"."""
    if seconds is None or seconds == "":
        return ""
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h" if hours else f"{days} d"
    if hours:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    if minutes:
        return f"{minutes} min"
    return f"{secs} s"


@register.filter
def ago(moment: datetime | None) -> str:
    """How long ago ``moment`` was (or how long until it, for a moment ahead: "in 5 min")."""
    if moment is None:
        return ""
    delta = (clock.now() - moment).total_seconds()
    return f"{age(delta)} ago" if delta >= 0 else f"in {age(-delta)}"


@register.filter
def percent(rate: float | None) -> str:
    if rate is None:
        return "n/a"
    return f"{rate * 100:.1f}%"


@register.filter
def sla(level: str | None) -> str:
    """The CSS class of an SLA level (``dashboard.selectors.sla_level``); none without a level."""
    return f"sla-{level}" if level else ""
