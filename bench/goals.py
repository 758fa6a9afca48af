"""Issue 12's table: each headline figure, what it was before the work, and what it must reach.

``BASELINE`` holds the figures measured *before* the performance work, as issue 12 reports them
(its "today" column: medians of 3 runs on this 2-core machine). They are a record, never
re-measured: ``make bench`` prints them beside the figures of the run at hand.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Before:
    """A figure from issue 12, a range when the issue gives one (``180-207``)."""

    low: float
    high: float

    def __str__(self) -> str:
        if self.low == self.high:
            return f"{self.low:g}"
        return f"{self.low:g}-{self.high:g}"


@dataclass(frozen=True)
class Goal:
    op: str  # ">=" or "<="
    target: float

    def met(self, value: float) -> bool:
        compare: Callable[[float, float], bool] = operator.ge if self.op == ">=" else operator.le
        return compare(value, self.target)

    def __str__(self) -> str:
        return f"{self.op} {self.target:g}"


@dataclass(frozen=True)
class Headline:
    name: str
    measure: str
    unit: str
    goal: Goal | None
    # Ratio figures are compared on the result's ratio (Marlin / raw) rather than on Marlin's own.
    on_ratio: bool = False
    # In bench/results/latest.json (the 13 names issue 12 lists) or only in the table.
    in_latest: bool = True
    # What the result's second figure is: the raw database, or the code before the work.
    versus: str = "raw"


# The figures measured before the work, from issue 12 ("today"). Fixed: a record, not a setting.
BASELINE: dict[str, Before] = {
    "commands_per_s_2proc": Before(180, 207),
    "commands_per_s_8proc": Before(147, 165),
    "round_trips_claim": Before(15, 15),
    "round_trips_submission": Before(21, 21),
    "round_trips_decision": Before(23, 23),
    "routing_events_per_s": Before(58, 58),
    "payout_events_per_s": Before(115, 115),
    "routing_queries_when_full": Before(101, 101),  # and 91 ms
    "claim_after_import_p99_ms": Before(31, 49),
    "rebuild_ratio": Before(77, 77),
    "import_ratio": Before(5.9, 5.9),
    "routing_latency_p99_ms": Before(151, 151),
    "workday_approved_tasks_per_s": Before(3.5, 3.5),
}

HEADLINES: tuple[Headline, ...] = (
    Headline(
        "commands_per_s_2proc", "commands/s, claim + submit, 2 processes, no HTTP", "cmd/s", Goal(">=", 400)
    ),
    Headline("commands_per_s_8proc", "commands/s, claim + submit, 8 processes", "cmd/s", None),
    Headline("round_trips_claim", "round trips per claim", "round trips", Goal("<=", 8)),
    Headline("round_trips_submission", "round trips per submission", "round trips", Goal("<=", 10)),
    Headline("round_trips_decision", "round trips per decision", "round trips", Goal("<=", 10)),
    Headline(
        "routing_events_per_s", "routing events/s, one partition, 1,000 backlog", "event/s", Goal(">=", 300)
    ),
    Headline("payout_events_per_s", "payout events/s, one partition", "event/s", Goal(">=", 300)),
    Headline(
        "routing_queries_when_full",
        "decision while every reviewer is full: queries",
        "queries",
        Goal("<=", 3),
    ),
    Headline(
        "claim_after_import_p99_ms", "claim p99 right after a 10k import, no ANALYZE", "ms", Goal("<=", 5)
    ),
    Headline("rebuild_ratio", "rebuild / raw read, 20k-event log", "x", Goal("<=", 5), on_ratio=True),
    Headline("import_ratio", "import 10k tasks / raw executemany", "x", Goal("<=", 2.5), on_ratio=True),
    Headline("routing_latency_p99_ms", "routing latency p99, real worker", "ms", Goal("<=", 150)),
    Headline(
        "routing_latency_workday_p99_ms",
        "  ... under the workday load",
        "ms",
        Goal("<=", 150),
        in_latest=False,
    ),
    Headline(
        "workday_approved_tasks_per_s",
        "workday over HTTP: approved tasks/s",
        "task/s",
        Goal(">=", 3 * 3.5),  # "at least triple today's 3.5", the figure on its own harness
    ),
    # The same harness on the code before the work, right after this run's workday: "triple" judged
    # like for like (bench.workday_before). The issue's own harness is not in the repository.
    Headline(
        "workday_vs_before",
        "  ... x the code before issue 12, same harness and run",
        "x",
        Goal(">=", 3),
        on_ratio=True,
        in_latest=False,
        versus="before",
    ),
    # Issue 14: the model leaderboard stays fast (not one of issue 12's names, so not in latest).
    Headline(
        "leaderboard_100k_s",
        "leaderboard, 100k judgments over 20 models: read + fit",
        "s",
        Goal("<=", 1),
        in_latest=False,
    ),
)

LATEST_NAMES: tuple[str, ...] = tuple(h.name for h in HEADLINES if h.in_latest)
