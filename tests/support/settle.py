"""Run reactors in this process until nothing is left: what the workers would do, deterministically."""

from marlin import reactors


def settle() -> int:
    total = 0
    while handled := reactors.pump_all():
        total += handled
    return total
