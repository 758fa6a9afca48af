"""Integrity checks behind ``verify_events``: the hash chain, the projections, and the checks
other apps register (payments adds its reconciliation)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from marlin import projections
from marlin.eventstore.integrity import find_first_break
from marlin.eventstore.models import Event, PositionCounter

# A registered check returns (lines to print, failures).
AppCheck = Callable[[], tuple[list[str], list[str]]]
_app_checks: dict[str, AppCheck] = {}


def register(name: str, check: AppCheck) -> None:
    _app_checks[name] = check


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def verify(*, check_projections: bool = True, progress: Callable[[int], None] | None = None) -> Report:
    report = Report()
    _verify_chain(report, progress)
    if check_projections:
        _verify_projections(report)
    for name, check in _app_checks.items():
        lines, failures = check()
        report.lines.extend(f"{name}: {line}" for line in lines)
        report.failures.extend(f"{name}: {failure}" for failure in failures)
    return report


def _verify_chain(report: Report, progress: Callable[[int], None] | None) -> None:
    counter = PositionCounter.objects.filter(pk=1).first()
    head, head_hash = (counter.position, counter.last_hash) if counter else (0, "")

    def rows():
        for row in Event.objects.filter(position__lte=head).order_by("position").iterator(chunk_size=2000):
            if progress is not None:
                progress(1)
            yield row

    broken = find_first_break(rows(), head_position=head, head_hash=head_hash)
    if broken is None:
        report.lines.append(f"chain: {head} events, positions gapless, every hash matches")
    else:
        report.failures.append(f"chain broken at position {broken.position}: {broken.reason}")
        report.lines.append(f"chain: BROKEN at position {broken.position}: {broken.reason}")


def _verify_projections(report: Report) -> None:
    differences = projections.compare_with_rebuild()
    tables = [model._meta.db_table for model in projections.owned_tables()]
    if differences:
        for table in differences:
            report.failures.append(f"projection {table} differs from a replay of the log")
        report.lines.append("projections: DIFFER in " + ", ".join(differences))
    else:
        report.lines.append(f"projections: {len(tables)} tables equal a replay of the log")
