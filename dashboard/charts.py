"""Charts drawn on the server as inline SVG: no script, no CDN, works offline and prints.

Pure functions from numbers to markup. A value of None is a gap (no data that day), never a
zero. Every point carries a ``<title>`` so hovering it tells the exact value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#3567c4", "#d9822b", "#2e9b57", "#9b3fb5", "#c23b3b")
WIDTH, HEIGHT = 560, 200
LEFT, RIGHT, TOP, BOTTOM = 44, 22, 14, 28


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float | None]


def nice_ceiling(value: float) -> float:
    """The top of an axis with four grid lines at round steps: four times the smallest 1, 2, 2.5
    or 5 times a power of ten at or above a quarter of ``value`` (1 for nothing)."""
    if value <= 0:
        return 1.0
    quarter = value / 4
    power = 10 ** math.floor(math.log10(quarter))
    for step in (1, 2, 2.5, 5, 10):
        if quarter <= step * power + 1e-9:
            return 4 * step * power
    return 40 * power  # pragma: no cover - the loop always returns


def line_chart(
    series: Sequence[Series],
    labels: Sequence[str],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda value: f"{value:g}",
    ceiling: float | None = None,
    chart_id: str = "",
) -> SafeString:
    """Lines over ``labels`` (one point per label), a y axis from zero with four grid lines."""
    top_value = ceiling or nice_ceiling(
        max((v for s in series for v in s.values if v is not None), default=0)
    )
    plot = _Plot(len(labels), top_value)
    parts = [_frame(title, chart_id), *plot.grid(fmt), *plot.x_labels(labels)]
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        for run in _runs(one.values):
            points = " ".join(f"{plot.x(i):.1f},{plot.y(v):.1f}" for i, v in run)
            parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>')
        for i, value in enumerate(one.values):
            if value is None:
                continue
            tip = escape(f"{one.name}, {labels[i]}: {fmt(value)}")
            parts.append(
                f'<circle class="point" cx="{plot.x(i):.1f}" cy="{plot.y(value):.1f}" r="2.5" '
                f'fill="{colour}"><title>{tip}</title></circle>'
            )
    parts.append(_legend(series))
    parts.append("</svg>")
    return mark_safe("".join(parts))


def bar_chart(
    series: Sequence[Series],
    labels: Sequence[str],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda value: f"{value:g}",
    chart_id: str = "",
) -> SafeString:
    """Stacked bars, one per label: the series stack in the order given."""
    totals = [sum(s.values[i] or 0 for s in series) for i in range(len(labels))]
    plot = _Plot(len(labels), nice_ceiling(max(totals, default=0)), bars=True)
    parts = [_frame(title, chart_id), *plot.grid(fmt), *plot.x_labels(labels)]
    width = max(2.0, plot.step * 0.7)
    for i in range(len(labels)):
        base = 0.0
        for index, one in enumerate(series):
            value = one.values[i] or 0
            if not value:
                continue
            y_top, y_bottom = plot.y(base + value), plot.y(base)
            tip = escape(f"{one.name}, {labels[i]}: {fmt(value)}")
            parts.append(
                f'<rect class="bar" x="{plot.x(i) - width / 2:.1f}" y="{y_top:.1f}" width="{width:.1f}" '
                f'height="{y_bottom - y_top:.1f}" fill="{PALETTE[index % len(PALETTE)]}">'
                f"<title>{tip}</title></rect>"
            )
            base += value
    parts.append(_legend(series))
    parts.append("</svg>")
    return mark_safe("".join(parts))


class _Plot:
    def __init__(self, count: int, top_value: float, *, bars: bool = False) -> None:
        self.count, self.top_value = count, top_value
        inner = WIDTH - LEFT - RIGHT
        self.step = inner / max(count, 1) if bars else inner / max(count - 1, 1)
        self.offset = self.step / 2 if bars else 0.0

    def x(self, index: int) -> float:
        return LEFT + self.offset + index * self.step

    def y(self, value: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - value / self.top_value)

    def grid(self, fmt: Callable[[float], str]) -> list[str]:
        lines = []
        for tick in range(5):
            value = self.top_value * tick / 4
            y = self.y(value)
            lines.append(
                f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e3e7ee"/>'
            )
            lines.append(
                f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="10" fill="#6b7585">'
                f"{escape(fmt(value))}</text>"
            )
        return lines

    def x_labels(self, labels: Sequence[str]) -> list[str]:
        every = max(1, math.ceil(len(labels) / 8))
        shown = [i for i in range(len(labels)) if (len(labels) - 1 - i) % every == 0]
        return [
            f'<text x="{self.x(i):.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="10" '
            f'fill="#6b7585">{escape(labels[i])}</text>'
            for i in shown
        ]


def _frame(title: str, chart_id: str) -> str:
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    return (
        f'<svg{ident} class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT + 18}" '
        f'role="img" aria-label="{escape(title, {chr(34): "&quot;"})}"><title>{escape(title)}</title>'
    )


def _legend(series: Sequence[Series]) -> str:
    items, x = [], LEFT
    for index, one in enumerate(series):
        colour = PALETTE[index % len(PALETTE)]
        items.append(f'<rect x="{x}" y="{HEIGHT + 6}" width="10" height="10" fill="{colour}"/>')
        items.append(
            f'<text x="{x + 14}" y="{HEIGHT + 15}" font-size="11" fill="#1d2430">{escape(one.name)}</text>'
        )
        x += 24 + 7 * len(one.name)
    return "".join(items)


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The stretches of consecutive known values (a line is not drawn across a gap)."""
    runs: list[list[tuple[int, float]]] = []
    current: list[tuple[int, float]] = []
    for index, value in enumerate(values):
        if value is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append((index, value))
    if current:
        runs.append(current)
    return [run for run in runs if len(run) > 1]


@dataclass(frozen=True)
class Interval:
    """One row of an interval chart: a value and the interval around it."""

    label: str
    value: float
    low: float
    high: float


ROW_HEIGHT, LABEL_WIDTH = 24, 150


def interval_chart(
    rows: Sequence[Interval],
    *,
    title: str,
    fmt: Callable[[float], str] = lambda value: f"{value:.0f}",
    reference: float | None = None,
    chart_id: str = "",
) -> SafeString:
    """Horizontal: one row per item, top to bottom as given, a dot at its value and a bar across
    its interval, on an x axis spanning every interval in round steps (a dashed line at
    ``reference``, such as the average rating)."""
    lowest = min((r.low for r in rows), default=0.0)
    highest = max((r.high for r in rows), default=1.0)
    if reference is not None:
        lowest, highest = min(lowest, reference), max(highest, reference)
    step = nice_ceiling(max(highest - lowest, 1e-9)) / 4
    start = math.floor(lowest / step) * step
    end = max(math.ceil(highest / step) * step, start + step)
    height = TOP + ROW_HEIGHT * max(len(rows), 1) + BOTTOM
    left, right = LABEL_WIDTH, WIDTH - RIGHT

    def x(value: float) -> float:
        return left + (right - left) * (value - start) / (end - start)

    label = escape(title, {chr(34): "&quot;"})
    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    parts = [
        f'<svg{ident} class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'role="img" aria-label="{label}"><title>{escape(title)}</title>'
    ]
    ticks = round((end - start) / step)
    for tick in range(ticks + 1):
        at = x(start + tick * step)
        value = start + tick * step
        parts.append(
            f'<line x1="{at:.1f}" x2="{at:.1f}" y1="{TOP}" y2="{height - BOTTOM}" stroke="#e3e7ee"/>'
            f'<text x="{at:.1f}" y="{height - 10}" text-anchor="middle" font-size="10" '
            f'fill="#6b7585">{escape(fmt(value))}</text>'
        )
    if reference is not None:
        parts.append(
            f'<line class="reference" x1="{x(reference):.1f}" x2="{x(reference):.1f}" y1="{TOP}" '
            f'y2="{height - BOTTOM}" stroke="#9aa3b1" stroke-dasharray="4 3"/>'
        )
    for index, row in enumerate(rows):
        y = TOP + ROW_HEIGHT * index + ROW_HEIGHT / 2
        tip = escape(f"{row.label}: {fmt(row.value)} ({fmt(row.low)} to {fmt(row.high)})")
        parts.append(
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" font-size="11" fill="#1d2430">'
            f"{escape(row.label)}</text>"
            f'<line class="interval" x1="{x(row.low):.1f}" x2="{x(row.high):.1f}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{PALETTE[0]}" stroke-width="3" stroke-linecap="round" opacity="0.45"/>'
            f'<circle class="point" cx="{x(row.value):.1f}" cy="{y:.1f}" r="4" fill="{PALETTE[0]}">'
            f"<title>{tip}</title></circle>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))
