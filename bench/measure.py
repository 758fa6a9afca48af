"""What a benchmark reports: Marlin's figure, the raw database's, and their ratio."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any


@dataclass
class Result:
    benchmark: str
    metric: str
    unit: str
    marlin: float
    raw: float | None
    ratio: float | None
    samples: int
    notes: str = ""
    # The headline figure's name in bench/results/latest.json (the names issue 12 asks for).
    name: str | None = None


def result(
    benchmark: str,
    metric: str,
    unit: str,
    marlin: float,
    raw: float | None,
    *,
    samples: int,
    notes: str = "",
    name: str | None = None,
) -> Result:
    ratio = round(marlin / raw, 2) if raw else None
    return Result(
        benchmark,
        metric,
        unit,
        round(marlin, 3),
        None if raw is None else round(raw, 3),
        ratio,
        samples,
        notes,
        name,
    )


def percentile(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def raw_connection(url: str) -> Any:
    import psycopg

    return psycopg.connect(url.replace("postgres://", "postgresql://", 1))
